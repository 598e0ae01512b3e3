"""Who calls the API: a bearer token, or the browser's session for the interactive docs."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from prebill.accounts.roles import has_role

from .models import ApiToken, hash_key


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        found = ApiToken.objects.active().select_related("user").filter(key_hash=hash_key(token)).first()
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


class SessionUser(SessionAuth):
    """The logged-in browser session; ninja checks the CSRF token on writes."""


AUTH = [TokenAuth(), SessionUser()]


def require(request, roles: tuple[str, ...]) -> None:
    """403 unless the caller holds one of `roles`."""
    if not has_role(request.auth, roles):
        raise HttpError(403, gettext("your role does not allow this"))
