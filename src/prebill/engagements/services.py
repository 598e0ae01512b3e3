"""Changes to engagements and their billing plans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from prebill.billing.models import BillableItem

from .models import Installment


class InstallmentBilled(Exception):
    """A billed installment is on a validated invoice: only a credit note can change it."""


@transaction.atomic
def change_installment(*, installment: Installment, due_date: date, amount: Decimal, label: str) -> Installment:
    """Change an installment of the billing plan while it is not billed; its pending item follows at the next run."""
    locked = Installment.objects.select_for_update().get(pk=installment.pk)
    if BillableItem.objects.filter(installment=locked, status=BillableItem.Status.BILLED).exists():
        raise InstallmentBilled(
            f"the installment of {locked.due_date:%d/%m/%Y} is already invoiced: correct it with a credit note")
    locked.due_date, locked.amount, locked.label = due_date, amount, label
    locked.save(update_fields=["due_date", "amount", "label"])
    installment.refresh_from_db()
    return locked
