"""The training part of a pre-invoice or invoice page: its sessions, description lines, and adding a session."""

from django import template

from prebill.accounts.roles import RUN_PRE_BILLING, has_role
from prebill.billing.models import PreInvoice

from .. import selectors, services

register = template.Library()


@register.inclusion_tag("training/_document_training.html", takes_context=True)
def training_of(context, document) -> dict:
    """Nothing when the document bills no training; the form to add a session only on a funder's draft."""
    charges = list(selectors.charges_on(document))
    may_add = (isinstance(document, PreInvoice) and has_role(context["request"].user, RUN_PRE_BILLING)
               and services.is_consolidated(document))
    return {
        "request": context["request"], "csrf_token": context.get("csrf_token"), "document": document,
        "sessions": selectors.linked_sessions(charges), "lines": selectors.training_lines(charges),
        "to_add": list(selectors.sessions_to_add(document)[:100]) if may_add else None,
    }
