"""When the month is prepared by itself: the firm's day and time, month ends, daylight saving time, catch-up."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prebill.core.month_schedule import (
    CATCH_UP,
    LAST_DAY,
    MonthPrepared,
    MonthSchedule,
    MonthScheduleError,
    due_run,
    latest_run,
    moment_of,
    next_run,
)
from prebill.core.periods import Period

PARIS = ZoneInfo("Europe/Paris")
ON_THE_25TH = MonthSchedule(day=25, at=time(2, 0))


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_25th_at_2_prepares_the_current_month_on_the_firms_clock():
    coming = next_run(ON_THE_25TH, paris(2026, 11, 10, 9, 0), prepared=Period(2026, 10))

    assert coming.at == utc(2026, 11, 25, 1, 0)  # 02:00 in Paris is 01:00 UTC in winter
    assert coming.period == Period(2026, 11)
    assert next_run(ON_THE_25TH, paris(2026, 7, 1), prepared=None).at == utc(2026, 7, 25, 0, 0)  # summer: UTC+2


def test_the_moment_itself_is_due_and_a_minute_before_is_not():
    assert due_run(ON_THE_25TH, paris(2026, 11, 25, 1, 59), prepared=Period(2026, 10)) is None

    due = due_run(ON_THE_25TH, paris(2026, 11, 25, 2, 0), prepared=Period(2026, 10))

    assert due is not None and due.period == Period(2026, 11) and due.at == utc(2026, 11, 25, 1, 0)


def test_a_month_prepared_automatically_is_not_due_again_and_the_next_is_next_month():
    now = paris(2026, 11, 25, 2, 1)

    assert due_run(ON_THE_25TH, now, prepared=Period(2026, 11)) is None
    assert next_run(ON_THE_25TH, now, prepared=Period(2026, 11)) == next_run(
        ON_THE_25TH, paris(2026, 12, 1), prepared=Period(2026, 11))
    assert next_run(ON_THE_25TH, now, prepared=Period(2026, 11)).period == Period(2026, 12)


def test_a_moment_missed_is_caught_up_for_three_days_then_the_month_waits_for_the_next():
    moment = utc(2026, 11, 25, 1, 0)

    assert due_run(ON_THE_25TH, moment + CATCH_UP - timedelta(seconds=1), prepared=Period(2026, 10)).at == moment
    assert due_run(ON_THE_25TH, moment + CATCH_UP, prepared=Period(2026, 10)) is None
    assert next_run(ON_THE_25TH, moment + CATCH_UP, prepared=Period(2026, 10)).period == Period(2026, 12)
    assert timedelta(days=3) == CATCH_UP


def test_the_next_run_is_the_one_due_while_it_waits_for_a_scheduler():
    now = paris(2026, 11, 26, 8, 0)  # the machine was off on the 25th

    assert next_run(ON_THE_25TH, now, prepared=Period(2026, 10)).at == utc(2026, 11, 25, 1, 0)


def test_the_last_day_is_the_31st_or_the_last_day_of_a_shorter_month():
    last = MonthSchedule(day=LAST_DAY, at=time(18, 30))

    assert [moment_of(last, 2027, month).astimezone(PARIS).day for month in (1, 2, 4, 12)] == [31, 28, 30, 31]
    assert moment_of(last, 2028, 2).astimezone(PARIS).date().isoformat() == "2028-02-29"  # leap year


def test_across_the_year_end():
    assert next_run(ON_THE_25TH, paris(2026, 12, 25, 3, 0), prepared=Period(2026, 12)).at == utc(2027, 1, 25, 1, 0)
    assert latest_run(ON_THE_25TH, paris(2027, 1, 10)).period == Period(2026, 12)


def test_a_day_after_month_end_may_prepare_the_month_just_closed():
    on_the_3rd = MonthSchedule(day=3, at=time(6, 0), month=MonthPrepared.PREVIOUS)

    due = due_run(on_the_3rd, paris(2027, 1, 3, 6, 0), prepared=Period(2026, 11))

    assert due is not None and due.period == Period(2026, 12)
    assert due_run(on_the_3rd, paris(2027, 1, 3, 6, 0), prepared=Period(2026, 12)) is None
    assert next_run(on_the_3rd, paris(2027, 1, 3, 7, 0), prepared=Period(2026, 12)).period == Period(2027, 1)


def test_switching_from_the_current_month_to_the_month_before_does_not_prepare_a_month_twice():
    on_the_3rd = MonthSchedule(day=3, at=time(6, 0), month=MonthPrepared.PREVIOUS)
    # November was prepared automatically on 25 November; on 3 December its moment would prepare it again.

    assert due_run(on_the_3rd, paris(2026, 12, 3, 6, 30), prepared=Period(2026, 11)) is None
    assert next_run(on_the_3rd, paris(2026, 12, 3, 6, 30), prepared=Period(2026, 11)).at == paris(2027, 1, 3, 6, 0)


def test_a_time_that_does_not_exist_when_clocks_go_forward_runs_as_late_as_the_gap():
    # 25 March 2029 is the last Sunday of March: in Paris 02:00 becomes 03:00, so 02:30 never shows.
    half_past_two = MonthSchedule(day=25, at=time(2, 30))

    moment = moment_of(half_past_two, 2029, 3)

    assert moment == utc(2029, 3, 25, 1, 30)
    assert moment.astimezone(PARIS).time() == time(3, 30)
    assert due_run(half_past_two, utc(2029, 3, 25, 1, 29), prepared=Period(2029, 2)) is None
    assert due_run(half_past_two, utc(2029, 3, 25, 1, 30), prepared=Period(2029, 2)).at == moment


def test_the_last_day_falling_on_the_change_to_summer_time():
    # 31 March 2024, last day of the month and of winter time: 02:00 does not exist either.
    assert moment_of(MonthSchedule(day=LAST_DAY, at=time(2, 0)), 2024, 3) == utc(2024, 3, 31, 1, 0)


def test_a_time_that_happens_twice_when_clocks_go_back_runs_once_at_its_first_occurrence():
    # 25 October 2026 is the last Sunday of October: in Paris 03:00 becomes 02:00, so 02:30 shows twice.
    half_past_two = MonthSchedule(day=25, at=time(2, 30))
    first, second = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)  # 02:30 summer time, 02:30 winter time

    due = due_run(half_past_two, first, prepared=Period(2026, 9))

    assert due is not None and due.at == first
    assert due_run(half_past_two, second, prepared=due.period) is None  # prepared at the first: not again
    assert next_run(half_past_two, second, prepared=due.period).at == utc(2026, 11, 25, 1, 30)


@pytest.mark.parametrize("day", [0, 29, 30, 32, -1])
def test_days_that_some_months_lack_are_refused(day):
    with pytest.raises(MonthScheduleError, match="1 to 28, or the last day"):
        MonthSchedule(day=day, at=time(2, 0))


def test_a_time_with_a_zone_and_a_naive_now_are_refused():
    with pytest.raises(MonthScheduleError):
        MonthSchedule(day=25, at=time(2, 0, tzinfo=UTC))
    with pytest.raises(MonthScheduleError):
        next_run(ON_THE_25TH, datetime(2026, 11, 25, 2, 0), prepared=None)


@given(now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2034, 12, 31), timezones=st.just(UTC)),
       day=st.sampled_from([*range(1, 29), LAST_DAY]), hour=st.integers(0, 23), minute=st.integers(0, 59),
       previous=st.booleans())
def test_the_next_run_is_due_now_or_later_and_prepares_a_month_not_prepared(now, day, hour, minute, previous):
    schedule = MonthSchedule(day=day, at=time(hour, minute),
                             month=MonthPrepared.PREVIOUS if previous else MonthPrepared.CURRENT)
    latest = latest_run(schedule, now)

    after_latest = next_run(schedule, now, prepared=latest.period)
    waiting = next_run(schedule, now, prepared=latest.period.shift(-1))

    assert latest.at <= now < after_latest.at and after_latest.period == latest.period.shift(1)
    assert waiting.at == latest.at if now - latest.at < CATCH_UP else waiting == after_latest
    assert timedelta(days=27) < after_latest.at - latest.at < timedelta(days=35)
