"""Changes to engagements and their billing plans.

Billing is built on engagements, so what billing knows or does is passed in by the caller (prebill.billing's
views, the REST API): whether an installment is invoiced already (prebill.billing.selectors.installment_billed)
and bringing the drafts of months already run in step (prebill.billing.services.bring_in_step).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from prebill.clients.models import PaymentMethod
from prebill.clients.services import add_dated_conditions
from prebill.core.grouping import LineMode
from prebill.core.refusals import Refusal
from prebill.core.vat import VatRegime

from .models import Engagement, EngagementConditions, Installment


class InstallmentBilled(Refusal):
    """A billed installment is on a validated invoice: only a credit note can change it."""


@transaction.atomic
def change_installment(*, installment: Installment, due_date: date, amount: Decimal, label: str,
                       is_billed: Callable[[Installment], bool]) -> Installment:
    """Change an installment of the billing plan while it is not billed (`is_billed` says, under the lock);
    its pending item follows at the next run."""
    locked = Installment.objects.select_for_update().get(pk=installment.pk)
    if is_billed(locked):
        raise InstallmentBilled(gettext("The installment of %(date)s is already invoiced: correct it with a credit note.")
                                % {"date": f"{locked.due_date:%d/%m/%Y}"})

    locked.due_date, locked.amount, locked.label = due_date, amount, label
    locked.save(update_fields=["due_date", "amount", "label"])
    installment.refresh_from_db()
    return locked


def add_conditions(*, engagement: Engagement, applies_from: date, payment_terms_days: int, end_of_month: bool = False,
                   vat_regime: str = VatRegime.STANDARD, payment_method: str = PaymentMethod.TRANSFER,
                   line_mode: str = LineMode.DETAILED, bring_in_step: Callable[..., object],
                   user=None) -> EngagementConditions:
    """Add a dated row of the engagement's own billing conditions; the drafts of months already run follow
    (`bring_in_step(clients=..., since=...)`, in the same transaction)."""
    return add_dated_conditions(
        model=EngagementConditions, owner={"engagement": engagement}, client_id=engagement.client_id,
        applies_from=applies_from, payment_terms_days=payment_terms_days, end_of_month=end_of_month,
        vat_regime=vat_regime, payment_method=payment_method, line_mode=line_mode, bring_in_step=bring_in_step,
        user=user)
