"""Changes to engagements and their billing plans.

Billing is built on engagements, so what billing knows or does is passed in by the caller (prebill.billing's
views, the REST API): whether an installment is invoiced already (prebill.billing.selectors.installment_billed)
and bringing the drafts of months already run in step (prebill.billing.services.bring_in_step).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from prebill.clients.models import PaymentMethod
from prebill.core.grouping import LineMode
from prebill.core.refusals import Refusal
from prebill.core.vat import VatRegime

from .models import Engagement, EngagementConditions, Installment

MAX_PAYMENT_DAYS = 365  # as the interchange format allows


class ConditionsRefused(Refusal, ValueError):
    """The engagement's conditions row is refused; the message says why."""


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
                   line_mode: str = LineMode.DETAILED, bring_in_step: Callable[..., object]) -> EngagementConditions:
    """Add a dated row of the engagement's own billing conditions; the drafts of months already run follow
    (`bring_in_step(clients=..., since=...)`, in the same transaction)."""
    if not isinstance(applies_from, date):
        raise ConditionsRefused(gettext("Give the date the conditions apply from."))
    if isinstance(payment_terms_days, bool) or not isinstance(payment_terms_days, int) \
            or not 0 <= payment_terms_days <= MAX_PAYMENT_DAYS:
        raise ConditionsRefused(gettext("Payment terms are a whole number of days from 0 to %(max)d.")
                                % {"max": MAX_PAYMENT_DAYS})
    if vat_regime not in {r.value for r in VatRegime}:
        raise ConditionsRefused(gettext("Unknown VAT regime %(value)s.") % {"value": vat_regime})
    if payment_method not in PaymentMethod.values:
        raise ConditionsRefused(gettext("Unknown payment method %(value)s.") % {"value": payment_method})
    if line_mode not in {m.value for m in LineMode}:
        raise ConditionsRefused(gettext("Unknown line presentation %(value)s.") % {"value": line_mode})
    taken = gettext("The engagement already has conditions from %(date)s: each date has one row.") % {
        "date": applies_from.strftime("%d/%m/%Y")}
    if EngagementConditions.objects.filter(engagement=engagement, applies_from=applies_from).exists():
        raise ConditionsRefused(taken)
    try:
        with transaction.atomic():
            row = EngagementConditions.objects.create(
                engagement=engagement, applies_from=applies_from, vat_regime=str(vat_regime),
                payment_terms_days=payment_terms_days, end_of_month=bool(end_of_month),
                payment_method=str(payment_method), line_mode=str(line_mode))
            bring_in_step(clients=[engagement.client_id], since=applies_from)  # drafts of months run follow
            return row
    except IntegrityError:  # another user added the same date meanwhile
        raise ConditionsRefused(taken) from None
