"""Default wording of billable items (invoice templates may word lines otherwise)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .periods import Period


def period_wording(start: date | None, end: date | None, fallback: date) -> str:
    if start and end and Period.of(start) == Period.of(end) and start.day == 1 and end == Period.of(end).last_day:
        return Period.of(start).label
    if start and end:
        return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    return Period.of(fallback).label


def installment_designation(part_label: str, label: str, start: date | None, end: date | None, due: date) -> str:
    return f"{part_label} — {label or period_wording(start, end, due)}"


def time_designation(collaborator: str, day: date, hours: Decimal, task: str = "", activity: str = "") -> str:
    what = task or activity
    hours_text = f"{hours.normalize():f}".replace(".", ",")  # French decimal comma on the document
    return f"{collaborator} — {day:%d/%m/%Y} — {hours_text} h" + (f" — {what}" if what else "")


def metric_designation(part_label: str, period: Period) -> str:
    return f"{part_label} — {period.label}"
