"""A refusal raised while a page handles a form becomes a message, and the user goes back to that page.

Views call the services and let their refusals (prebill.core.refusals.Refusal) through: this middleware is
the one place that words them for the page, in the user's language.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from prebill.core.refusals import Refusal


def after_refusal(target):
    """Send a refused request to `target(request, **url_kwargs)` (a URL) rather than back where it came from."""
    def decorate(view):
        view.after_refusal = target
        return view
    return decorate


class RefusalsAsMessages:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, Refusal):
            return None
        messages.error(request, exception.translated(gettext))
        return HttpResponseRedirect(_back(request))


def on_this_site(request: HttpRequest, url: str) -> bool:
    """Whether `url` leads to this site (a page to go back to, never an open redirect)."""
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure())


def _back(request: HttpRequest) -> str:
    """The view's own target, else the page the form came from (same host only), else the home page."""
    match = request.resolver_match
    target = getattr(match.func, "after_refusal", None) if match else None
    if target is not None:
        return target(request, **match.kwargs)
    referer = request.META.get("HTTP_REFERER", "")
    if on_this_site(request, referer):
        parts = urlsplit(referer)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
        # A page that refuses to be shown would send the browser back to itself for ever.
        if not (request.method in ("GET", "HEAD") and back == request.get_full_path()):
            return referer
    return resolve_url("home")
