"""What the session page shows of its billing: the drafts and invoices of its charges."""

from __future__ import annotations

from prebill.billing.models import BillableItem, PreInvoice
from prebill.invoicing.models import Invoice

from .models import TrainingSession


def billing_follow_up(session: TrainingSession) -> tuple[list[PreInvoice], list[Invoice]]:
    items = BillableItem.objects.filter(training_charge__session=session)
    drafts = PreInvoice.objects.filter(lines__items__in=items).distinct().select_related("client").order_by("pk")
    invoices = Invoice.objects.filter(lines__item_shares__item__in=items).distinct().order_by("number")
    return list(drafts), list(invoices)
