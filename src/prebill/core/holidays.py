"""French public holidays and the kind of a day (weekday, Saturday, Sunday, public holiday)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import cache


class DayKind(StrEnum):
    WEEKDAY = "weekday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"
    HOLIDAY = "holiday"


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous algorithm, also known as Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@cache
def french_public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of metropolitan France (Labour Code, art. L3133-1)."""
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    movable = [easter + timedelta(days=1), easter + timedelta(days=39), easter + timedelta(days=50)]
    return frozenset([date(year, month, day) for month, day in fixed] + movable)


def day_kind(day: date) -> DayKind:
    """A public holiday wins over the day of the week."""
    if day in french_public_holidays(day.year):
        return DayKind.HOLIDAY
    return {5: DayKind.SATURDAY, 6: DayKind.SUNDAY}.get(day.weekday(), DayKind.WEEKDAY)
