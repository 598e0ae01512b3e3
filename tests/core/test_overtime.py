"""Overtime: French public holidays, the kind of day, and the split at the surcharge boundaries."""

from datetime import date, time
from decimal import Decimal

import pytest

from prebill.core.holidays import DayKind, day_kind, easter_sunday, french_public_holidays
from prebill.core.overtime import OvertimeError, SurchargeBand, split, total

RATE = Decimal("100")
BANDS = [
    SurchargeBand(DayKind.WEEKDAY, time(20), time(22), Decimal("25")),
    SurchargeBand(DayKind.WEEKDAY, time(22), time(0), Decimal("50")),
    SurchargeBand(DayKind.SUNDAY, time(0), time(0), Decimal("100")),
    SurchargeBand(DayKind.HOLIDAY, time(0), time(0), Decimal("100")),
]


def test_french_public_holidays_follow_easter():
    assert easter_sunday(2026) == date(2026, 4, 5) and easter_sunday(2027) == date(2027, 3, 28)
    holidays = french_public_holidays(2026)
    assert len(holidays) == 11
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25), date(2026, 7, 14)} <= holidays
    assert day_kind(date(2026, 4, 6)) is DayKind.HOLIDAY  # Easter Monday
    assert (day_kind(date(2026, 11, 28)), day_kind(date(2026, 11, 29)), day_kind(date(2026, 11, 30))) == (
        DayKind.SATURDAY, DayKind.SUNDAY, DayKind.WEEKDAY)


def test_a_weekday_evening_is_split_at_each_boundary():
    pieces = split(date(2026, 11, 24), time(19), time(23, 30), BANDS, RATE)

    assert [(p.start, p.end, p.hours, p.percent, p.amount) for p in pieces] == [
        (time(19), time(20), Decimal("1"), Decimal("0"), Decimal("100.00")),
        (time(20), time(22), Decimal("2"), Decimal("25"), Decimal("250.00")),
        (time(22), time(23, 30), Decimal("1.5"), Decimal("50"), Decimal("225.00")),
    ]
    assert total(pieces) == (Decimal("4.5"), Decimal("575.00"))


def test_a_sunday_and_easter_monday_are_surcharged_all_day():
    sunday = split(date(2026, 11, 29), time(9), time(12, 15), BANDS, RATE)
    easter_monday = split(date(2026, 4, 6), time(21), time(23), BANDS, RATE)

    assert [(p.day_kind, p.hours, p.amount) for p in sunday] == [(DayKind.SUNDAY, Decimal("3.25"), Decimal("650.00"))]
    assert [(p.day_kind, p.percent, p.amount) for p in easter_monday] == [
        (DayKind.HOLIDAY, Decimal("100"), Decimal("400.00"))]


def test_past_midnight_the_next_day_counts():
    pieces = split(date(2026, 11, 28), time(22), time(2), BANDS, RATE)  # Saturday night into Sunday

    assert [(p.day_kind, p.hours, p.percent) for p in pieces] == [
        (DayKind.SATURDAY, Decimal("2"), Decimal("0")), (DayKind.SUNDAY, Decimal("2"), Decimal("100"))]
    assert total(pieces)[1] == Decimal("600.00")


def test_a_band_ending_before_it_starts_is_refused():
    with pytest.raises(OvertimeError):
        split(date(2026, 11, 24), time(19), time(20), [SurchargeBand(DayKind.WEEKDAY, time(22), time(20), 1)], RATE)
