"""Recording audit events; the trail itself is never edited (database triggers refuse it)."""

from __future__ import annotations

from .models import AuditEvent


def record(*, user, action: str, obj, before: dict | None = None, after: dict | None = None) -> AuditEvent:
    user = user if getattr(user, "is_authenticated", False) else None
    return AuditEvent.objects.create(user=user, action=action, object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk), before=before or {}, after=after or {})
