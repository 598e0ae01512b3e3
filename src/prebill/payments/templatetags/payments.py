"""The payments parts of pages other apps own: on a pre-invoice page (prebill.billing's) what is set aside
for the draft, what is left to pay of it and the form that sets a deposit aside; on an invoice page
(prebill.invoicing's) the amount due, the forms that record a payment or use a deposit, the payments received."""

from datetime import date

from django import template

from .. import services

register = template.Library()


def _page(context, document, **values) -> dict:
    return {"request": context["request"], "csrf_token": context.get("csrf_token"), "roles": context.get("roles"),
            "document": document, **values}


@register.inclusion_tag("payments/_reserved_on.html", takes_context=True)
def reserved_on(context, document) -> dict:
    """The rows under the totals: each deposit set aside for the draft, then the amount due (none: nothing)."""
    reservations, due = services.pre_invoice_due(document)
    return _page(context, document, reservations=reservations, due=due)


@register.inclusion_tag("payments/_reserve_deposit.html", takes_context=True)
def reserve_deposit_form(context, document) -> dict:
    """Set a deposit of the client aside for the draft, while something is due and a deposit has money left."""
    return _page(context, document, due=services.pre_invoice_due(document)[1],
                 deposits=services.client_deposits(document.client_id))


@register.inclusion_tag("payments/_invoice_due.html", takes_context=True)
def invoice_due(context, invoice) -> dict:
    """The row under an invoice's totals: what is left to pay of it (none on a credit note)."""
    due = services.amounts_due([invoice.pk])[invoice.pk] if invoice.kind == "invoice" else None
    return _page(context, invoice, due=due)


@register.inclusion_tag("payments/_invoice_collection.html", takes_context=True)
def invoice_collection(context, invoice) -> dict:
    """While an invoice is due: record a payment of it, or settle it with a deposit of the client."""
    due = services.amounts_due([invoice.pk])[invoice.pk] if invoice.kind == "invoice" else None
    return _page(context, invoice, due=due, today=date.today(),
                 deposits=services.client_deposits(invoice.client_id) if due and due > 0 else [])


@register.inclusion_tag("payments/_invoice_payments.html", takes_context=True)
def invoice_payments(context, invoice) -> dict:
    """The payments and deposits allocated to an invoice."""
    return _page(context, invoice, allocations=invoice.allocations.select_related("payment").order_by("pk"))


@register.simple_tag
def amounts_due_of(invoices) -> dict:
    """What is left to pay of each invoice of a list (by id; credit notes have none), in three queries."""
    return services.amounts_due([invoice.pk for invoice in invoices if invoice.kind == "invoice"])
