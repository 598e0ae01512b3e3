"""The client's account on its page (prebill.clients'): its invoices and what is left to pay of each, what it
owes in all, its deposits with money left and its current drafts. A few queries, whatever their number."""

from decimal import Decimal

from django import template

from prebill.billing.models import PreInvoice
from prebill.invoicing.models import Invoice

from .. import services

register = template.Library()


@register.inclusion_tag("payments/_client_account.html", takes_context=True)
def client_account(context, client) -> dict:
    invoices = list(Invoice.objects.filter(client=client).only(
        "pk", "kind", "number", "issue_date", "due_date", "currency", "total_including_vat", "client_id")
        .order_by("-issue_date", "-number"))
    due = services.amounts_due([i.pk for i in invoices if i.kind == Invoice.Kind.INVOICE])  # one call for all
    for invoice in invoices:
        invoice.due = due.get(invoice.pk)
    deposits = services.client_deposits(client.pk)
    drafts = list(PreInvoice.objects.filter(client=client).only(
        "pk", "period", "invoice_date", "currency", "total_excluding_vat", "total_including_vat", "source",
        "client_id").order_by("period", "invoice_date", "pk"))
    return {"request": context.get("request"), "roles": context.get("roles"), "client": client,
            "invoices": invoices, "owed": sum(due.values(), Decimal("0.00")), "deposits": deposits,
            "deposits_left": sum((left for _payment, left in deposits), Decimal("0.00")), "drafts": drafts}
