"""Legal invoice numbers: one continuous, chronological sequence per series (and year when the pattern has one)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from .refusals import Refusal, gettext_noop

# French e-invoicing (BR-FR-01): at most 35 characters among A-Z a-z 0-9 - + _ /
LEGAL_NUMBER = re.compile(r"^[A-Za-z0-9\-+_/]{1,35}$")


class NumberingError(Refusal, ValueError):
    """The number or its date would break the series' legal sequence."""


def sequence_year(prefix: str, issue_date: date) -> int:
    """The year a sequence restarts with, or 0 when the pattern has no year (one sequence for ever)."""
    return issue_date.year if "{year}" in prefix else 0


def format_number(prefix: str, digits: int, issue_date: date, sequence: int) -> str:
    number = prefix.replace("{year}", f"{issue_date.year:04d}") + f"{sequence:0{digits}d}"
    if not LEGAL_NUMBER.match(number):
        raise NumberingError(gettext_noop("invoice number %(number)s is not allowed: at most 35 of A-Z a-z 0-9 - + _ /"),
                             number=repr(number))
    return number


def check_chronology(last_issue_date: date | None, issue_date: date, *, today: date) -> None:
    """An invoice is dated the day it is issued, or before (a month's invoices dated its last day), never after:
    a number taken for a later date would refuse every invoice of the days between."""
    if issue_date > today:
        raise NumberingError(gettext_noop("an invoice cannot be dated in the future (%(date)s; today is %(today)s)"),
                             date=f"{issue_date:%d/%m/%Y}", today=f"{today:%d/%m/%Y}")
    if last_issue_date is not None and issue_date < last_issue_date:
        raise NumberingError(
            gettext_noop("the series already has an invoice of %(last)s: an invoice dated %(date)s would break the "
                         "chronological order"), last=f"{last_issue_date:%d/%m/%Y}", date=f"{issue_date:%d/%m/%Y}")



def issue_date_for(draft_date: date, today: date) -> date:
    """The date a validation proposes: the draft's own (a month's invoices dated its last day), or today while that
    day has not come (an invoice is never dated in the future)."""
    return min(draft_date, today)


def due_date(issue_date: date, days: int, end_of_month: bool) -> date:
    """Net N days, or N days end of month (the end of the month reached after N days); 0 days = on receipt."""
    due = issue_date + timedelta(days=days)
    if end_of_month:
        due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
    return due
