"""Roles are Django groups; each step of billing belongs to roles (administrators may do everything)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied

PREPARER = "preparer"
VALIDATOR = "validator"
ACCOUNTANT = "accountant"
COLLECTIONS = "collections"
ADMINISTRATOR = "administrator"
ROLES = (PREPARER, VALIDATOR, ACCOUNTANT, COLLECTIONS, ADMINISTRATOR)

# Who may do what; the interfaces ask these, never a list of their own.
SEE_PRE_BILLING = (PREPARER, VALIDATOR, ACCOUNTANT, COLLECTIONS, ADMINISTRATOR)
RUN_PRE_BILLING = (PREPARER, ADMINISTRATOR)
SEE_PORTFOLIO = (PREPARER, VALIDATOR, ACCOUNTANT, COLLECTIONS, ADMINISTRATOR)
EDIT_PORTFOLIO = (PREPARER, ADMINISTRATOR)
SEE_INVOICES = (PREPARER, VALIDATOR, ACCOUNTANT, COLLECTIONS, ADMINISTRATOR)
VALIDATE_INVOICES = (VALIDATOR, ADMINISTRATOR)
POST_INVOICES = (ACCOUNTANT, ADMINISTRATOR)
RECORD_PAYMENTS = (COLLECTIONS, ADMINISTRATOR)
SEE_AGED_BALANCE = (COLLECTIONS, ACCOUNTANT, ADMINISTRATOR)  # what clients owe (also on the dashboard)
SEND_INVOICES = (VALIDATOR, COLLECTIONS, ADMINISTRATOR)  # e-mail them to the clients
SEE_AUDIT = (VALIDATOR, ACCOUNTANT, ADMINISTRATOR)
EDIT_FIRM_SETTINGS = (ADMINISTRATOR,)  # the firm's legal wordings and sector agreement (prebill.organisation)


def roles_of(user) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(ROLES)
    cached = getattr(user, "_prebill_roles", None)
    if cached is None:
        cached = user._prebill_roles = set(user.groups.values_list("name", flat=True))
    return cached


def acting_user(user):
    """The user to record as the author of a change: None for the command line or an anonymous caller."""
    return user if getattr(user, "is_authenticated", False) else None


def has_role(user, roles: tuple[str, ...]) -> bool:
    held = roles_of(user)
    return ADMINISTRATOR in held or bool(held.intersection(roles))


def role_required(roles: tuple[str, ...]) -> Callable:
    """View decorator: a logged-in user holding one of `roles`, else 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied("your role does not allow this page")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
