"""Recording audit events; the trail itself is never edited (database triggers refuse it)."""

from __future__ import annotations

from prebill.accounts.roles import acting_user

from .models import AuditEvent


def record(*, user, action: str, obj, before: dict | None = None, after: dict | None = None) -> AuditEvent:
    user = acting_user(user)
    return AuditEvent.objects.create(user=user, action=action, object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk), before=before or {}, after=after or {})
