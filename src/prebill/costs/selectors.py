"""Reads of the costs: the month's activity reports (their billable items are read by prebill.billing)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from prebill.activity.models import TimeEntry
from prebill.core.periods import Period
from prebill.organisation.models import Organisation

from .models import ActivityReport


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
