"""What the preparation page shows of rebillable costs: untreated first, in two queries."""

from __future__ import annotations

from prebill.billing.models import BillableItem
from prebill.core.periods import Period

from .services import REBILLABLE_KINDS


def rebillables(period: Period, *, untreated_only: bool = True) -> list[BillableItem]:
    """The month's expenses, purchases and overtime; untreated = not on an invoice yet."""
    items = BillableItem.objects.filter(kind__in=REBILLABLE_KINDS, period=period.first_day).select_related(
        "client", "engagement", "collaborator", "pre_invoice_line", "expense__receipt", "purchase__proof")
    if untreated_only:
        items = items.filter(status=BillableItem.Status.PENDING)
    found = list(items.order_by("status", "client__code", "collaborator__code", "service_date", "pk")[:500])
    for item in found:
        hint = item.grouping_hint
        item.joined_installment = int(hint.split(":")[1]) if hint.startswith("installment:") else None
    return found


def fixed_fees_to_join(period: Period, engagement_ids: set[int]) -> dict[int, list[BillableItem]]:
    """Per engagement, its fixed-fee items waiting for an invoice (costs may join them)."""
    joinable: dict[int, list[BillableItem]] = {}
    for fee in BillableItem.objects.filter(engagement_id__in=engagement_ids, installment__isnull=False,
                                           status=BillableItem.Status.PENDING).order_by("invoice_date", "pk"):
        joinable.setdefault(fee.engagement_id, []).append(fee)
    return joinable
