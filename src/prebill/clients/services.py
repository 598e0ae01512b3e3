"""Changes to clients: their dated billing conditions.

Billing is built on clients, so bringing the drafts of months already run in step is passed in by the caller
(prebill.billing.services.bring_in_step, from billing's views and the REST API).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from prebill.audit.services import record
from prebill.core.grouping import LineMode, PaymentTerms
from prebill.core.legal import LegalRefusal, check_payment_terms
from prebill.core.refusals import Refusal
from prebill.core.vat import VatRegime
from prebill.organisation.models import Organisation

from .models import BillingConditions, Client, DatedConditions, PaymentMethod

MAX_PAYMENT_DAYS = 365  # as the interchange format allows


class ConditionsRefused(Refusal, ValueError):
    """A row of dated billing conditions is refused; the message says why."""


def payment_terms_agreement() -> dict:
    """The firm's sector agreement on payment terms, as `check_payment_terms` takes it (none: the legal cap)."""
    row = Organisation.objects.values("payment_terms_agreement", "payment_terms_agreement_days").first() or {}
    return {"agreement": row.get("payment_terms_agreement") or "",
            "agreement_days": row.get("payment_terms_agreement_days")}


def add_dated_conditions(*, model: type[DatedConditions], owner: dict, client_id: int, applies_from: date,
                         payment_terms_days: int, end_of_month: bool, vat_regime: str, payment_method: str,
                         line_mode: str, bring_in_step: Callable[..., object], user=None,
                         **extra) -> DatedConditions:
    """Add a row of `model` (a client's or an engagement's conditions) for `owner` (its foreign key), checked;
    the drafts of the client's months already run follow in the same transaction, and the audit keeps it."""
    if not isinstance(applies_from, date):
        raise ConditionsRefused(gettext("Give the date the conditions apply from."))
    if isinstance(payment_terms_days, bool) or not isinstance(payment_terms_days, int) \
            or not 0 <= payment_terms_days <= MAX_PAYMENT_DAYS:
        raise ConditionsRefused(gettext("Payment terms are a whole number of days from 0 to %(max)d.")
                                % {"max": MAX_PAYMENT_DAYS})
    try:
        check_payment_terms(PaymentTerms(payment_terms_days, bool(end_of_month)), **payment_terms_agreement())
    except LegalRefusal as refused:  # beyond the legal cap (L441-10), and no sector agreement allows it
        raise ConditionsRefused(refused.message, where=refused.where, **refused.params) from None
    if vat_regime not in {r.value for r in VatRegime}:
        raise ConditionsRefused(gettext("Unknown VAT regime %(value)s.") % {"value": vat_regime})
    if payment_method not in PaymentMethod.values:
        raise ConditionsRefused(gettext("Unknown payment method %(value)s.") % {"value": payment_method})
    if line_mode not in {m.value for m in LineMode}:
        raise ConditionsRefused(gettext("Unknown line presentation %(value)s.") % {"value": line_mode})
    taken = gettext("Conditions from %(date)s exist already: each date has one row.") % {
        "date": applies_from.strftime("%d/%m/%Y")}
    if model.objects.filter(**owner, applies_from=applies_from).exists():
        raise ConditionsRefused(taken)
    try:
        with transaction.atomic():
            row = model.objects.create(
                **owner, applies_from=applies_from, vat_regime=str(vat_regime),
                payment_terms_days=payment_terms_days, end_of_month=bool(end_of_month),
                payment_method=str(payment_method), line_mode=str(line_mode), **extra)
            record(user=user, action="conditions", obj=row, after={
                "applies_from": applies_from.isoformat(), "payment_terms_days": payment_terms_days,
                "end_of_month": bool(end_of_month), "vat_regime": str(vat_regime),
                "payment_method": str(payment_method), "line_mode": str(line_mode),
                **{name: str(value) for name, value in extra.items()}})
            bring_in_step(clients=[client_id], since=applies_from)  # drafts of months run follow
            return row
    except IntegrityError:  # another user added the same date meanwhile
        raise ConditionsRefused(taken) from None


def add_conditions(*, client: Client, applies_from: date, payment_terms_days: int, end_of_month: bool = False,
                   vat_regime: str = VatRegime.STANDARD, payment_method: str = PaymentMethod.TRANSFER,
                   line_mode: str = LineMode.DETAILED, currency: str = "EUR",
                   bring_in_step: Callable[..., object], user=None) -> BillingConditions:
    """Add a dated row of the client's billing conditions; the drafts of months already run follow."""
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise ConditionsRefused(gettext("A currency is a code of three letters (EUR)."))
    return add_dated_conditions(
        model=BillingConditions, owner={"client": client}, client_id=client.pk, applies_from=applies_from,
        payment_terms_days=payment_terms_days, end_of_month=end_of_month, vat_regime=vat_regime,
        payment_method=payment_method, line_mode=line_mode, bring_in_step=bring_in_step, user=user,
        currency=currency.upper())
