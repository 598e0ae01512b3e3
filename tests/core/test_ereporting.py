"""E-reporting periods: by ten days, by month or every two months, as the firm's VAT return regime says."""

from datetime import date

import pytest

from prebill.core.ereporting import Flow, ReportingPeriod, closed_periods, flows_of, period_of


@pytest.mark.parametrize(("day", "regime", "payments", "first", "last"), [
    (date(2026, 12, 1), "normal", False, date(2026, 12, 1), date(2026, 12, 10)),
    (date(2026, 12, 10), "normal", False, date(2026, 12, 1), date(2026, 12, 10)),
    (date(2026, 12, 11), "normal", False, date(2026, 12, 11), date(2026, 12, 20)),
    (date(2026, 12, 31), "normal", False, date(2026, 12, 21), date(2026, 12, 31)),
    (date(2027, 2, 21), "normal", False, date(2027, 2, 21), date(2027, 2, 28)),
    (date(2026, 12, 5), "normal", True, date(2026, 12, 1), date(2026, 12, 31)),  # payments: by month
    (date(2028, 2, 15), "simplified", False, date(2028, 2, 1), date(2028, 2, 29)),
    (date(2027, 2, 15), "franchise", False, date(2027, 1, 1), date(2027, 2, 28)),
    (date(2026, 12, 15), "franchise", True, date(2026, 11, 1), date(2026, 12, 31)),
])
def test_the_period_of_a_day(day, regime, payments, first, last):
    assert period_of(day, regime, payments=payments) == ReportingPeriod(first, last)


def test_closed_periods_run_from_the_first_day_to_the_last_ended_before_today():
    periods = closed_periods(date(2026, 11, 5), date(2026, 12, 11), "normal", payments=False)
    assert [(p.first.isoformat(), p.last.isoformat()) for p in periods] == [
        ("2026-11-01", "2026-11-10"), ("2026-11-11", "2026-11-20"), ("2026-11-21", "2026-11-30"),
        ("2026-12-01", "2026-12-10")]
    assert closed_periods(date(2026, 11, 5), date(2026, 12, 11), "normal", payments=True)[-1].last == date(2026, 11, 30)
    assert closed_periods(date(2026, 12, 5), date(2026, 12, 10), "normal", payments=False) == []  # not ended


def test_which_sales_are_reported_and_in_which_flows():
    assert flows_of("B2C") == (Flow.AGGREGATED_TRANSACTIONS, Flow.AGGREGATED_PAYMENTS)
    assert flows_of("B2BINT") == (Flow.UNITARY_TRANSACTIONS, Flow.UNITARY_PAYMENTS)
    assert flows_of("B2B") is None and flows_of("OUTOFSCOPE") is None  # e-invoices, and exempt training
    assert Flow.AGGREGATED_TRANSACTIONS.flow_type == "AggregatedCustomerTransactionReport"
