"""The audit trail in the pages: each event's action and changes as sentences (prebill.audit.sentences)."""

from django import template

from prebill.audit import sentences
from prebill.audit.models import AuditEvent

register = template.Library()


@register.filter
def action_label(event: AuditEvent) -> str:
    return sentences.action_label(event.action)


@register.filter
def audit_changes(event: AuditEvent) -> str:
    """"state : validated → posted ; amount due : 88,80 € → 0,00 €" in the reader's language."""
    return " ; ".join(sentences.changes(event))


@register.filter
def code_label(value, field: str) -> str:
    """A coded value ("bill_now") as the user reads it, by the field it is the value of ("decision")."""
    return sentences.value_label(field, value)


@register.filter
def object_label(event: AuditEvent) -> str:
    return sentences.object_label(event)
