"""Login throttling: after PREBILL_LOGIN_FAILURES wrong passwords for a user name within
PREBILL_LOGIN_LOCKOUT_MINUTES, that name cannot log in (not even with the right password) until the window
has passed. Failures are rows, so every web process of the installation counts the same ones."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import LoginFailure


def _since():
    return timezone.now() - timedelta(minutes=settings.PREBILL_LOGIN_LOCKOUT_MINUTES)


def locked_out(username: str) -> bool:
    return LoginFailure.objects.filter(username=username.lower()[:150], at__gte=_since()).count() \
        >= settings.PREBILL_LOGIN_FAILURES


def failed(username: str, address: str | None) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], address=address or "")
    LoginFailure.objects.filter(at__lt=_since()).delete()  # the table keeps only the window


def succeeded(username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()[:150]).delete()
