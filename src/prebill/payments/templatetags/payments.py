"""The deposits part of a pre-invoice page (the page is prebill.billing's, the deposits are this app's):
what is set aside for the draft, what is left to pay of it, and the form that sets a deposit aside."""

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
