"""What the preparation page shows of rebillable costs: untreated first, in two queries."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from prebill.activity.models import TimeEntry
from prebill.billing.models import BillableItem
from prebill.core.periods import Period
from prebill.organisation.models import Organisation

from .models import ActivityReport
from .services import REBILLABLE_KINDS


def rebillables(period: Period, *, untreated_only: bool = True) -> list[BillableItem]:
    """The month's expenses, purchases and overtime; untreated = not on an invoice yet."""
    items = BillableItem.objects.filter(kind__in=REBILLABLE_KINDS, period=period.first_day).select_related(
        "client", "engagement", "collaborator", "pre_invoice_line", "expense__receipt", "purchase__proof")
    if untreated_only:
        items = items.filter(status=BillableItem.Status.PENDING)
    return list(items.order_by("status", "client__code", "collaborator__code", "service_date", "pk")[:500])


def fixed_fees_to_join(period: Period, engagement_ids: set[int]) -> dict[int, list[BillableItem]]:
    """Per engagement, its fixed-fee items waiting for an invoice (costs may join them)."""
    joinable: dict[int, list[BillableItem]] = {}
    for fee in BillableItem.objects.filter(engagement_id__in=engagement_ids, installment__isnull=False,
                                           status=BillableItem.Status.PENDING).order_by("invoice_date", "pk"):
        joinable.setdefault(fee.engagement_id, []).append(fee)
    return joinable


def activity_reports(month: Period) -> list[dict]:
    """Per collaborator and engagement, the month's days worked (from time entries) and the signed report."""
    org = Organisation.objects.first()
    hours_per_day = org.hours_per_day if org else Decimal(7)
    rows = (TimeEntry.objects.filter(date__range=(month.first_day, month.last_day))
            .values("collaborator__code", "collaborator_id", "engagement__code", "engagement_id")
            .annotate(hours=Sum("hours")).order_by("engagement__code", "collaborator__code")[:1000])
    signed = {(r.collaborator_id, r.engagement_id): r for r in ActivityReport.objects.filter(
        month=month.first_day).select_related("signed")}
    return [{**row, "days": (row["hours"] / hours_per_day).quantize(Decimal("0.01")),
             "report": signed.get((row["collaborator_id"], row["engagement_id"]))} for row in rows]
