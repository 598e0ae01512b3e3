"""Valuing overtime: a declaration split at the surcharge table's boundaries, each range at its rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from .holidays import DayKind, day_kind
from .money import ZERO, round_money
from .refusals import Refusal, gettext_noop

HOUR = Decimal(3600)


class OvertimeError(Refusal, ValueError):
    """An overtime declaration or surcharge band that cannot be valued."""


@dataclass(frozen=True)
class SurchargeBand:
    """From `start` to `end` (end 00:00 means midnight) on a kind of day, hours cost `percent` % more."""

    day_kind: DayKind
    start: time
    end: time
    percent: Decimal


@dataclass(frozen=True)
class Segment:
    day: date
    day_kind: DayKind
    start: time
    end: time
    hours: Decimal
    percent: Decimal
    amount: Decimal


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def check_band(band: SurchargeBand) -> None:
    """Raise OvertimeError when a band ends before it starts or its surcharge is negative."""
    _band_span(band)
    if band.percent < 0:
        raise OvertimeError(gettext_noop("surcharge %(percent)s %% is negative"), percent=band.percent)


def _band_span(band: SurchargeBand) -> tuple[int, int]:
    end = _seconds(band.end) or 24 * 3600
    if end <= _seconds(band.start):
        raise OvertimeError(gettext_noop("surcharge band %(start)s-%(end)s ends before it starts"),
                            start=f"{band.start:%H:%M}", end=f"{band.end:%H:%M}")
    return _seconds(band.start), end


def split(day: date, start: time, end: time, bands: list[SurchargeBand], hourly_rate: Decimal) -> list[Segment]:
    """The declaration's pieces, one per surcharge range it crosses (past midnight, the next day's kind applies).

    Where no band covers a moment, the surcharge is 0 %; where bands overlap, the highest wins.
    Each piece's amount is rounded to the cent; the declaration's amount is their sum.
    """
    begin = datetime.combine(day, start)
    finish = datetime.combine(day, end)
    if finish <= begin:
        finish += timedelta(days=1)  # ends after midnight
    if finish - begin > timedelta(hours=24):
        raise OvertimeError(gettext_noop("a declaration lasts at most 24 hours"))

    segments: list[Segment] = []
    cursor = begin
    while cursor < finish:
        current_day = cursor.date()
        kind = day_kind(current_day)
        day_end = datetime.combine(current_day + timedelta(days=1), time(0))
        spans = [(*_band_span(b), b.percent) for b in bands if b.day_kind == kind]
        boundaries = sorted({s for s, _, _ in spans} | {e for _, e, _ in spans})
        now = _seconds(cursor.time())
        # The next boundary after the cursor on this day, or midnight, or the end of the declaration.
        later = [b for b in boundaries if b > now]
        stop = min(day_end, finish, datetime.combine(current_day, time(0)) + timedelta(seconds=later[0])
                   if later and later[0] < 24 * 3600 else day_end)
        percent = max((p for s, e, p in spans if s <= now < e), default=ZERO)
        hours = Decimal((stop - cursor).seconds) / HOUR
        amount = round_money(hours * hourly_rate * (1 + percent / 100))
        if segments and segments[-1].percent == percent and segments[-1].day == current_day:
            last = segments.pop()
            hours += last.hours
            amount += last.amount
            cursor_start = last.start
        else:
            cursor_start = cursor.time()
        segments.append(Segment(current_day, kind, cursor_start, stop.time(), hours, percent, amount))
        cursor = stop
    return segments


def total(segments: list[Segment]) -> tuple[Decimal, Decimal]:
    """Hours and amount of a declaration: the exact sums of its pieces."""
    return sum((s.hours for s in segments), ZERO), sum((s.amount for s in segments), ZERO)
