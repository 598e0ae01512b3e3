"""Billing periods: a calendar month, written YYYY-MM."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from .refusals import Refusal, gettext_noop

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(Refusal, ValueError):
    """A month (or a date) that is not written as expected."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2999:
            raise PeriodError(gettext_noop("period must be written YYYY-MM with a month 01 to 12 (years 1900 to 2999), "
                                           "got %(text)s"), text=repr(text))

        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return last_day_of_month(self.year, self.month)

    @property
    def label(self) -> str:
        return f"{MONTHS_FR[self.month - 1]} {self.year}"

    def shift(self, months: int) -> Period:
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
