"""Billing plans: a fixed fee expanded into dated installments that sum exactly to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .money import money_sum, split_evenly
from .periods import Period
from .refusals import Refusal, gettext_noop


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}[self.value]


class ScheduleError(Refusal, ValueError):
    """A billing schedule that cannot be drawn."""


@dataclass(frozen=True)
class ScheduledInstallment:
    due_date: date
    amount: Decimal
    period_start: date
    period_end: date


def expand_schedule(
    total: Decimal, frequency: Frequency, *, start: date, end: date
) -> list[ScheduledInstallment]:
    """Installments due at the end of each period between start and end (a fiscal year).

    Each installment is the even share rounded to the cent; the last one takes the
    remainder, so the installments always sum to `total`.
    """
    if end < start:
        raise ScheduleError(gettext_noop("schedule ends (%(end)s) before it starts (%(start)s)"), end=end, start=start)
    if total < 0:
        raise ScheduleError(gettext_noop("a fee cannot be negative"))

    periods: list[tuple[date, date]] = []
    first = Period.of(start)
    while first.first_day <= end:
        last = first.shift(frequency.months - 1)
        periods.append((max(first.first_day, start), min(last.last_day, end)))
        first = last.shift(1)
    amounts = split_evenly(total, len(periods))
    return [
        ScheduledInstallment(due_date=period_end, amount=amount, period_start=period_start, period_end=period_end)
        for (period_start, period_end), amount in zip(periods, amounts, strict=True)
    ]


def check_explicit_schedule(total: Decimal | None, amounts: list[Decimal]) -> str | None:
    """Why explicit installments disagree with the agreed fee, or None."""
    if any(amount < 0 for amount in amounts):
        return "an installment cannot be negative"
    if total is not None and money_sum(amounts) != total:
        return f"installments sum to {money_sum(amounts)}, not to the agreed fee {total}"
    return None
