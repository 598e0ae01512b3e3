"""The login form, throttled (prebill.accounts.throttle)."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext

from . import throttle


class ThrottledLoginForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and throttle.locked_out(username):
            raise forms.ValidationError(
                gettext("Too many failed logins for this user: try again in %(minutes)s minutes.")
                % {"minutes": settings.PREBILL_LOGIN_LOCKOUT_MINUTES}, code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                throttle.failed(username, self.request.META.get("REMOTE_ADDR") if self.request else None)
            raise
        throttle.succeeded(username)
        return cleaned
