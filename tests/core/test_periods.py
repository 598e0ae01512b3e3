"""Billing periods are months written YYYY-MM."""

import pytest

from prebill.core.periods import Period, PeriodError


@pytest.mark.parametrize("text", ["0000-01", "2026-00", "2026-13", "nov", "2026-1"])
def test_impossible_periods_are_refused(text):
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_periods_shift_across_years_and_know_their_bounds():
    november = Period.parse("2026-11")

    assert (november.shift(2), november.shift(-11)) == (Period(2027, 1), Period(2025, 12))
    assert (str(november.first_day), str(november.last_day), november.label) == (
        "2026-11-01", "2026-11-30", "novembre 2026")
