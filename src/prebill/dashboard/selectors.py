"""The figures of the home page, each read in a fixed number of queries whatever the size of the portfolio."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from prebill.billing.models import PreInvoice
from prebill.core.money import ZERO, round_money
from prebill.core.periods import Period
from prebill.core.receipts import to_euros
from prebill.einvoicing.models import Transmission
from prebill.invoicing.models import Invoice
from prebill.payments.services import BUCKETS, aged_balance

EURO = "EUR"


@dataclass(frozen=True)
class MonthBilled:
    """What was billed before VAT in one calendar month, net of the credit notes issued that month, in euros."""

    month: int
    this_year: Decimal
    last_year: Decimal


@dataclass(frozen=True)
class DraftsOfPeriod:
    """The drafts of one month waiting for validation, in one currency."""

    period: Period
    currency: str
    count: int
    total_excluding_vat: Decimal
    total_including_vat: Decimal


@dataclass(frozen=True)
class Unbilled:
    """Work in progress: what the waiting drafts of every month bill before VAT, per currency."""

    periods: list[DraftsOfPeriod]
    count: int
    totals: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class MonthProgress:
    """How far the month's billing went: its drafts, those validated, and the e-invoicing of its invoices."""

    period: Period
    waiting: int
    validated: int
    transmissions: dict[str, int]

    @property
    def prepared(self) -> int:
        """Every draft of the month: a validated draft became an invoice and left the drafts."""
        return self.waiting + self.validated

    @property
    def transmitted(self) -> int:
        """Invoices the platform has (sent or accepted)."""
        return self.transmissions[Transmission.State.SENT] + self.transmissions[Transmission.State.ACCEPTED]


def billed_per_month(year: int) -> list[MonthBilled]:
    """The 12 months of `year` and of the year before: invoices less credit notes, before VAT, by issue date.

    Invoices in another currency count in euros at their own rate (one row each: there are few of them); months
    with nothing show zero.
    """
    issued = Invoice.objects.filter(issue_date__gte=date(year - 1, 1, 1), issue_date__lte=date(year, 12, 31))
    totals: dict[tuple[int, int], Decimal] = {}

    def add(y: int, m: int, kind: str, amount: Decimal) -> None:
        sign = -1 if kind == Invoice.Kind.CREDIT_NOTE else 1
        totals[(y, m)] = totals.get((y, m), ZERO) + sign * amount

    in_euros = (issued.filter(exchange_rate__isnull=True)
                .annotate(y=ExtractYear("issue_date"), m=ExtractMonth("issue_date"))
                .values("y", "m", "kind").annotate(total=Sum("total_excluding_vat")).order_by())
    for row in in_euros:
        add(row["y"], row["m"], row["kind"], round_money(row["total"]))
    for day, kind, amount, rate in (issued.filter(exchange_rate__isnull=False)
                                    .values_list("issue_date", "kind", "total_excluding_vat", "exchange_rate")):
        add(day.year, day.month, kind, to_euros(amount, rate))
    return [MonthBilled(month=m, this_year=totals.get((year, m), ZERO), last_year=totals.get((year - 1, m), ZERO))
            for m in range(1, 13)]


def unbilled() -> Unbilled:
    """The drafts waiting for validation, by month and currency, and their totals.

    Every draft still exists until it is validated (validation removes it), so each month holding one is open.
    """
    rows = (PreInvoice.objects.values("period", "currency")
            .annotate(count=Count("pk"), ht=Sum("total_excluding_vat"), ttc=Sum("total_including_vat"))
            .order_by("period", "currency"))
    periods = [DraftsOfPeriod(period=Period.of(row["period"]), currency=row["currency"], count=row["count"],
                              total_excluding_vat=round_money(row["ht"]),
                              total_including_vat=round_money(row["ttc"])) for row in rows]
    totals: dict[str, Decimal] = {}
    for drafts in periods:
        totals[drafts.currency] = totals.get(drafts.currency, ZERO) + drafts.total_excluding_vat
    return Unbilled(periods=periods, count=sum(d.count for d in periods), totals=totals)


def month_progress(period: Period, drafts: Unbilled) -> MonthProgress:
    """The month's drafts (read from `drafts`, already counted) and its invoices with their sending state."""
    states = Transmission.State
    counts = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, period=period.first_day).aggregate(
        validated=Count("pk"),
        **{state.value: Count("pk", filter=Q(transmission__state=state.value)) for state in states},
    )
    waiting = sum(d.count for d in drafts.periods if d.period == period)
    return MonthProgress(period=period, waiting=waiting, validated=counts.pop("validated"),
                         transmissions={state: counts[state.value] for state in states})


def amounts_due_by_age(today: date) -> dict[str, Decimal]:
    """What is due, summed over the clients of the aged balance, per age bucket and in total."""
    rows = aged_balance(today)
    return {bucket: sum((row[bucket] for row in rows), ZERO) for bucket in (*BUCKETS, "total")}
