"""The e-invoicing parts of pages other apps own: on an invoice page (prebill.invoicing's) its life cycle at the
platform; on a client page (prebill.clients') its address in the directory."""

from django import template

from .. import services
from ..lifecycle import STATUSES

register = template.Library()


@register.inclusion_tag("einvoicing/_invoice_lifecycle.html", takes_context=True)
def invoice_lifecycle(context, invoice) -> dict:
    transmission, events = services.statuses_of(invoice)
    return {"request": context["request"], "csrf_token": context.get("csrf_token"), "roles": context.get("roles"),
            "invoice": invoice, "transmission": transmission, "events": events,
            "payment_reports": services.payment_reports_of(invoice),
            "e_invoiced": services.is_e_invoiced(invoice), "configured": services.platform() is not None}


@register.inclusion_tag("einvoicing/_client_directory.html", takes_context=True)
def client_directory(context, client) -> dict:
    return {"request": context["request"], "csrf_token": context.get("csrf_token"), "roles": context.get("roles"),
            "client": client, "configured": services.platform() is not None}


@register.inclusion_tag("einvoicing/_status_filter.html")
def platform_status_filter(chosen: str) -> dict:
    """The invoices list's filter by life-cycle status."""
    return {"statuses": [(str(code), s.label) for code, s in STATUSES.items()], "chosen": chosen}
