"""E-reporting (CGI art. 290 and 290 A): which periods a firm reports, and what goes in each report.

Sales that are not e-invoices (to consumers, B2C; to foreign businesses, B2BINT) are reported as transaction
data, and the money received for services whose VAT is due on receipts as payment data, through the firm's
platform. The frequency follows the firm's VAT return regime:
- normal regime (réel normal): transactions by ten days (1-10, 11-20, 21-end of month), payments by month;
- simplified regime (réel simplifié): both by month;
- VAT franchise (franchise en base): both every two months (January-February, March-April...).

The flows, as the reform numbers them: 10.1 transactions one by one (B2BINT invoices), 10.2 payments one by one,
10.3 transactions aggregated per day (B2C), 10.4 payments aggregated per day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class VatReturnRegime(StrEnum):
    NORMAL = "normal"
    SIMPLIFIED = "simplified"
    FRANCHISE = "franchise"


class Flow(StrEnum):
    UNITARY_TRANSACTIONS = "10.1"
    UNITARY_PAYMENTS = "10.2"
    AGGREGATED_TRANSACTIONS = "10.3"
    AGGREGATED_PAYMENTS = "10.4"

    @property
    def flow_type(self) -> str:
        """The flow type the XP Z12-013 Flow Service gives it."""
        return FLOW_TYPES[self]

    @property
    def is_payments(self) -> bool:
        return self in (Flow.UNITARY_PAYMENTS, Flow.AGGREGATED_PAYMENTS)


FLOW_TYPES = {Flow.UNITARY_TRANSACTIONS: "UnitaryCustomerTransactionReport",
              Flow.UNITARY_PAYMENTS: "UnitaryCustomerPaymentReport",
              Flow.AGGREGATED_TRANSACTIONS: "AggregatedCustomerTransactionReport",
              Flow.AGGREGATED_PAYMENTS: "AggregatedCustomerPaymentReport"}


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    first: date
    last: date

    def __str__(self) -> str:
        return f"{self.first:%d/%m/%Y}–{self.last:%d/%m/%Y}"


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_of(day: date, regime: VatReturnRegime | str, *, payments: bool) -> ReportingPeriod:
    """The reporting period that contains `day`."""
    regime = VatReturnRegime(regime)
    if regime == VatReturnRegime.NORMAL and not payments:
        if day.day <= 10:
            return ReportingPeriod(day.replace(day=1), day.replace(day=10))
        if day.day <= 20:
            return ReportingPeriod(day.replace(day=11), day.replace(day=20))
        return ReportingPeriod(day.replace(day=21), _month_end(day))
    if regime == VatReturnRegime.FRANCHISE:
        first = day.replace(month=day.month - (day.month - 1) % 2, day=1)
        return ReportingPeriod(first, _month_end(first.replace(month=first.month + 1)))
    return ReportingPeriod(day.replace(day=1), _month_end(day))


def closed_periods(since: date, today: date, regime: VatReturnRegime | str, *,
                   payments: bool) -> list[ReportingPeriod]:
    """The periods from the one containing `since` to the last one ended before `today`, in order."""
    found: list[ReportingPeriod] = []
    period = period_of(since, regime, payments=payments)
    while period.last < today:
        found.append(period)
        period = period_of(period.last + timedelta(days=1), regime, payments=payments)
    return found


def flows_of(category: str) -> tuple[Flow, Flow] | None:
    """(transactions flow, payments flow) of a sale of this category (the invoice's BAR note); None: not reported
    (an e-invoice, B2B, or out of scope)."""
    if category == "B2C":
        return Flow.AGGREGATED_TRANSACTIONS, Flow.AGGREGATED_PAYMENTS
    if category == "B2BINT":
        return Flow.UNITARY_TRANSACTIONS, Flow.UNITARY_PAYMENTS
    return None
