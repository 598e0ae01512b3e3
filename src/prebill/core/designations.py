"""Wording of billable items: each kind has default elements; an invoice template may choose others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from .periods import Period


def period_wording(start: date | None, end: date | None, fallback: date) -> str:
    if start and end and Period.of(start) == Period.of(end) and start.day == 1 and end == Period.of(end).last_day:
        return Period.of(start).label
    if start and end:
        return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    return Period.of(fallback).label


def installment_designation(part_label: str, label: str, start: date | None, end: date | None, due: date, *,
                            template: tuple[Sequence[str], str] | None = None, engagement: str = "",
                            article: str = "", kind: str = "fixed_fee") -> str:
    period = period_wording(start, end, due)
    values = {"part": part_label, "label": label, "period": period, "label_or_period": label or period,
              "engagement": engagement, "article": article}
    return designation("resale" if kind == "resale" else "fixed_fee", values, template)


# What a template may put in a designation, per kind of line, and the default choice.
ELEMENTS = {
    "time": ("collaborator", "date", "quantity", "task", "activity", "task_or_activity", "engagement", "article"),
    "fixed_fee": ("part", "label", "period", "label_or_period", "engagement", "article"),
    "units": ("part", "period", "quantity", "engagement", "article"),
    "resale": ("part", "label", "period", "label_or_period", "engagement", "article"),
    "expense": ("nature", "collaborator", "date", "engagement", "article"),
    "purchase": ("supplier", "reference", "date", "engagement", "article"),
    "overtime": ("article", "collaborator", "date", "hours", "engagement"),
}
DEFAULT_ELEMENTS = {
    "time": ("collaborator", "date", "quantity", "task_or_activity"), "fixed_fee": ("part", "label_or_period"),
    "resale": ("part", "label_or_period"), "units": ("part", "period"),
    "expense": ("nature", "collaborator", "date"), "purchase": ("supplier", "reference", "date"),
    "overtime": ("article", "collaborator", "date", "hours"),
}


def designation(kind: str, values: dict[str, str], template: tuple[Sequence[str], str] | None = None) -> str:
    """A line's wording: the template's elements and prefix for its kind, else the kind's default."""
    elements, prefix = template or (DEFAULT_ELEMENTS[kind], "")
    return compose(values, elements, prefix)


def compose(values: dict[str, str], elements: Sequence[str], prefix: str = "") -> str:
    """The chosen elements that have a value, in order, after the prefix."""
    text = " — ".join(values[name] for name in elements if values.get(name))
    return f"{prefix} {text}".strip() if prefix else text


def check_elements(kind: str, elements: Sequence[str]) -> list[str]:
    """The elements a kind of line does not know (a template's typing mistakes)."""
    known = ELEMENTS.get(kind, ())
    return [name for name in elements if name not in known]


def time_designation(collaborator: str, day: date, hours: Decimal, task: str = "", activity: str = "",
                     *, template: tuple[Sequence[str], str] | None = None, engagement: str = "",
                     article: str = "") -> str:
    hours_text = f"{hours.normalize():f}".replace(".", ",")  # French decimal comma on the document
    values = {"collaborator": collaborator, "date": f"{day:%d/%m/%Y}", "quantity": f"{hours_text} h", "task": task,
              "activity": activity, "task_or_activity": task or activity, "engagement": engagement,
              "article": article}
    return designation("time", values, template)


def metric_designation(part_label: str, period: Period, *, template: tuple[Sequence[str], str] | None = None,
                       quantity: Decimal | None = None, engagement: str = "", article: str = "") -> str:
    values = {"part": part_label, "period": period.label, "engagement": engagement, "article": article,
              "quantity": f"{quantity.normalize():f}".replace(".", ",") if quantity is not None else ""}
    return designation("units", values, template)
