"""When the month is prepared by itself: a day and a time each month, on the firm's clock.

The firm names a day (1 to 28, or the last day of the month) and a wall-clock time in its time zone, and
whether that moment prepares the month it falls in (the 25th prepares the current month) or the month
before (a day after month end, e.g. the 3rd, prepares the month just closed). Moments are computed in the
firm's zone and returned in UTC, so that a change of daylight saving time never moves, skips or repeats one:

- a time that does not exist that day (clocks go forward, 02:30 on the last Sunday of March in Paris) is
  taken as the same time on the clock before the change, i.e. as late as the gap (03:30 summer time);
- a time that happens twice (clocks go back, 02:30 on the last Sunday of October) is its first occurrence.

A moment missed while no scheduler ran (the machine was off) is caught up when one runs again, within
CATCH_UP; later than that, the month waits for its next moment or for someone to run it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .periods import Period
from .refusals import Refusal, gettext_noop

LAST_DAY = 31  # "the last day of the month": the 31st, or the month's last day when it is shorter
DAYS = (*range(1, 29), LAST_DAY)
# Long enough for a weekend with the machine off, short enough that switching the schedule on after this
# month's moment does not start a run nobody expects: that month waits for the next moment.
CATCH_UP = timedelta(days=3)


class MonthPrepared(StrEnum):
    CURRENT = "current"  # the month the moment falls in
    PREVIOUS = "previous"  # the month before it


class MonthScheduleError(Refusal, ValueError):
    """A schedule of the automatic preparation that cannot be drawn."""


def check_day(day: int) -> None:
    """Refuse a day that is not 1 to 28 or LAST_DAY (29 and 30 exist only in some months: say the last day)."""
    if day not in DAYS:
        raise MonthScheduleError(gettext_noop("the day of the automatic preparation must be 1 to 28, or the last "
                                              "day of the month; got %(day)s"), where="day", day=day)


@dataclass(frozen=True)
class MonthSchedule:
    day: int
    at: time
    month: MonthPrepared = MonthPrepared.CURRENT
    zone: str = "Europe/Paris"

    def __post_init__(self) -> None:
        check_day(self.day)
        if self.at.tzinfo is not None:
            raise MonthScheduleError(gettext_noop("the time of the automatic preparation is a time of day on the "
                                                  "firm's clock, without a time zone"), where="at")
        MonthPrepared(self.month)


@dataclass(frozen=True)
class ScheduledRun:
    """One automatic preparation: when (UTC) and which month it prepares."""

    at: datetime
    period: Period


def moment_of(schedule: MonthSchedule, year: int, month: int) -> datetime:
    """The moment (UTC) of the schedule in this calendar month."""
    day = min(schedule.day, calendar.monthrange(year, month)[1])
    # fold=0: the first of a repeated time; a missing time reads with the offset before the change (later).
    local = datetime.combine(date(year, month, day), schedule.at, tzinfo=ZoneInfo(schedule.zone))
    return local.astimezone(UTC)


def run_in(schedule: MonthSchedule, year: int, month: int) -> ScheduledRun:
    """The automatic preparation of this calendar month: its moment and the month it prepares."""
    period = Period(year, month)
    if schedule.month == MonthPrepared.PREVIOUS:
        period = period.shift(-1)
    return ScheduledRun(moment_of(schedule, year, month), period)


def _month_of(now: datetime, zone: str) -> Period:
    if now.tzinfo is None:
        raise MonthScheduleError(gettext_noop("'now' must be an aware datetime"), where="now")
    return Period.of(now.astimezone(ZoneInfo(zone)).date())


def latest_run(schedule: MonthSchedule, now: datetime) -> ScheduledRun:
    """The last automatic preparation whose moment is at or before `now`."""
    month = _month_of(now, schedule.zone)
    run = run_in(schedule, month.year, month.month)
    if run.at > now:
        previous = month.shift(-1)
        run = run_in(schedule, previous.year, previous.month)
    return run


def due_run(schedule: MonthSchedule, now: datetime, *, prepared: Period | None,
            catch_up: timedelta = CATCH_UP) -> ScheduledRun | None:
    """The preparation to start now: its moment has come (less than `catch_up` ago) and its month is later than
    `prepared`, the last month prepared automatically. None when there is nothing to start."""
    run = latest_run(schedule, now)
    if now - run.at >= catch_up or (prepared is not None and run.period <= prepared):
        return None
    return run


def next_run(schedule: MonthSchedule, now: datetime, *, prepared: Period | None) -> ScheduledRun:
    """The next automatic preparation: the one due now if any, else the first moment after `now` whose month
    is later than `prepared` (a month already prepared automatically is not prepared again)."""
    due = due_run(schedule, now, prepared=prepared)
    if due is not None:
        return due
    month = _month_of(now, schedule.zone)
    while True:
        run = run_in(schedule, month.year, month.month)
        if run.at > now and (prepared is None or run.period > prepared):
            return run
        month = month.shift(1)
