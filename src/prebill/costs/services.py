"""Declaring rebillable costs with their proofs (which invoice their items go on is prebill.billing's)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from prebill.accounts.roles import acting_user
from prebill.attachments.services import FileRefused, store
from prebill.audit.services import record
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.core.vat import vat_rate_problem
from prebill.engagements.models import Engagement

from .models import ActivityReport, Expense, Overtime, Purchase


class CostRefused(Refusal, ValueError):
    """The cost or the decision is refused; the message says why."""


class ProofRefused(CostRefused):
    """The proof's file is not kept (its type or its size): the input is wrong, not the cost."""



def _check_engagement(client_id: int, engagement_id: int | None) -> None:
    if engagement_id is not None and not Engagement.objects.filter(pk=engagement_id, client_id=client_id).exists():
        raise CostRefused(gettext("This engagement is not one of the client's."))


def _check_amounts(excluding: Decimal, vat_rate: Decimal, including: Decimal | None = None) -> None:
    if excluding < 0 or (including is not None and including < excluding):
        raise CostRefused(gettext("Amounts are positive and the amount incl. VAT is not below the amount excl. VAT."))
    if vat_rate_problem(vat_rate):
        raise CostRefused(gettext("VAT rate %(rate)s %% is out of range (0 to 100 excluded).") % {"rate": vat_rate})


def _check_disbursement(disbursement: bool, markup_percent: Decimal | None = None,
                        resale_price: Decimal | None = None) -> None:
    """Débours are re-billed at the exact amount paid (CGI art. 267 II-2°): never marked up nor resold."""
    if disbursement and (markup_percent is not None or resale_price is not None):
        raise CostRefused(gettext(
            "A cost paid in the client's name (débours) is re-billed at the exact amount paid: remove its markup "
            "or resale price, or untick débours."), where="disbursement")


def store_proof(*, upload, client_id: int, user=None):
    """Keep a proof of a client's cost (type and size checked on the content)."""
    try:
        return store(upload, client_id=client_id, user=user)
    except FileRefused as refused:
        raise ProofRefused(refused.message, where=refused.where, **refused.params) from None



def _proof(upload, client_id: int, user):
    return None if upload is None else store_proof(upload=upload, client_id=client_id, user=user)


def _not_invoiced(item_of, what: str) -> None:
    item = getattr(item_of, "billable_item", None) if item_of.pk else None
    if item is not None and (item.status == item.Status.BILLED or item.billed_quantity):
        raise CostRefused(gettext("This %(what)s is invoiced: correct it with a credit note.") % {"what": what})


@transaction.atomic
def declare_expense(*, collaborator_id: int, client_id: int, engagement_id: int | None, day: date, nature: str,
                    amount_excluding_vat: Decimal, amount_including_vat: Decimal, vat_rate: Decimal,
                    rebillable: bool = True, receipt=None, expense_id: int | None = None, user=None,
                    disbursement: bool = False) -> Expense:
    """Declare (or correct, while not invoiced) an expense; a correction without a new receipt keeps the old one.
    A débours (`disbursement`) bills its amount incl. VAT, without VAT."""
    _check_engagement(client_id, engagement_id)
    _check_amounts(amount_excluding_vat, vat_rate, amount_including_vat)
    if not nature.strip():
        raise CostRefused(gettext("Say what the expense was for."))
    expense = Expense() if expense_id is None else Expense.objects.select_for_update().get(pk=expense_id)
    _not_invoiced(expense, gettext("expense"))
    before = {"amount": str(expense.amount_excluding_vat or ""), "receipt": expense.receipt_id,
              "disbursement": expense.disbursement}
    expense.collaborator_id, expense.client_id, expense.engagement_id, expense.date = (
        collaborator_id, client_id, engagement_id, day)
    expense.nature, expense.vat_rate, expense.rebillable = nature.strip()[:100], vat_rate, rebillable
    expense.disbursement = disbursement
    expense.amount_excluding_vat, expense.amount_including_vat = amount_excluding_vat, amount_including_vat
    expense.receipt = _proof(receipt, client_id, user) or expense.receipt
    expense.created_by = expense.created_by or acting_user(user)
    expense.save()
    record(user=user, action="declare_expense", obj=expense, before=before,
           after={"amount": str(amount_excluding_vat), "receipt": expense.receipt_id, "disbursement": disbursement})
    return expense


@transaction.atomic
def record_purchase(*, client_id: int, engagement_id: int | None, day: date, supplier: str, reference: str,
                    amount_excluding_vat: Decimal, vat_rate: Decimal, rebillable: bool = True,
                    markup_percent: Decimal | None = None, resale_price: Decimal | None = None, proof=None,
                    user=None, disbursement: bool = False) -> Purchase:
    """Record a purchase; a débours (`disbursement`) bills its cost plus the supplier's VAT, without VAT."""
    _check_engagement(client_id, engagement_id)
    _check_amounts(amount_excluding_vat, vat_rate)
    if markup_percent is not None and resale_price is not None:
        raise CostRefused(gettext("Give a markup or a resale price, not both."))
    _check_disbursement(disbursement, markup_percent, resale_price)
    if not supplier.strip():
        raise CostRefused(gettext("Name the supplier."))
    purchase = Purchase.objects.create(
        client_id=client_id, engagement_id=engagement_id, date=day, supplier=supplier.strip()[:100],
        reference=reference.strip()[:100], amount_excluding_vat=amount_excluding_vat, vat_rate=vat_rate,
        rebillable=rebillable, markup_percent=markup_percent, resale_price=resale_price, disbursement=disbursement,
        proof=_proof(proof, client_id, user))
    record(user=user, action="record_purchase", obj=purchase, before={},
           after={"amount": str(amount_excluding_vat), "proof": purchase.proof_id, "disbursement": disbursement})
    return purchase


@transaction.atomic
def declare_overtime(*, collaborator_id: int, engagement_id: int, day: date, start: time, end: time,
                     comment: str = "", user=None) -> Overtime:
    if start == end:
        raise CostRefused(gettext("Overtime starts and ends at different times."))
    overtime = Overtime.objects.create(collaborator_id=collaborator_id, engagement_id=engagement_id, date=day,
                                       start=start, end=end, comment=comment[:200])
    record(user=user, action="declare_overtime", obj=overtime, before={},
           after={"date": day.isoformat(), "start": start.isoformat(), "end": end.isoformat()})
    return overtime


@transaction.atomic
def attach_signed_report(*, collaborator_id: int, engagement_id: int, month: date, upload, user=None) -> ActivityReport:
    """Keep the client-signed activity report of a month (a new file never replaces the old one on disk)."""
    engagement = Engagement.objects.get(pk=engagement_id)
    report, _ = ActivityReport.objects.get_or_create(collaborator_id=collaborator_id, engagement=engagement,
                                                     month=month.replace(day=1))
    before = report.signed_id
    report.signed = _proof(upload, engagement.client_id, user)
    report.save(update_fields=["signed"])
    record(user=user, action="sign_activity_report", obj=report, before={"signed": before},
           after={"signed": report.signed_id})
    return report


@transaction.atomic
def enter_units(*, engagement_code: str, part_code: str, month: Period, quantity: Decimal, user=None):
    """Units done at actual against a units part (billed at the part's price by the month's run)."""
    from prebill.activity.models import UnitMetric  # a source, written here for the form's convenience
    from prebill.engagements.models import EngagementPart

    part = EngagementPart.objects.select_related("engagement").filter(
        engagement__code=engagement_code, code=part_code, kind=EngagementPart.Kind.UNITS).first()
    if part is None:
        raise CostRefused(gettext("No units part %(part)s on engagement %(engagement)s.")
                          % {"part": part_code, "engagement": engagement_code})
    if quantity < 0:
        raise CostRefused(gettext("A quantity is zero or more."))
    metric, created = UnitMetric.objects.update_or_create(
        client_id=part.engagement.client_id, engagement=part.engagement, metric_code=part.metric_code,
        period=month.first_day, defaults={"quantity": quantity})
    record(user=user, action="enter_units", obj=metric, before={} if created else {"quantity": "?"},
           after={"quantity": str(quantity), "period": str(month)})
    return metric
