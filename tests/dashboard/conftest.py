"""A small firm whose figures are known to the cent: invoices over two years, a credit note, drafts waiting."""

from dataclasses import dataclass
from datetime import date

import pytest

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.einvoicing.models import Transmission
from prebill.invoicing import services as invoicing
from prebill.invoicing.models import Invoice
from tests import factories as f

TODAY = date(2026, 12, 3)


@dataclass
class Portfolio:
    last_year: Invoice  # November 2025, 100.00 excl. VAT, credited in full on 15 November 2026
    october: Invoice  # 200.00 excl. VAT
    november: Invoice  # 50.00 excl. VAT, period November 2026, sent to the platform
    credit_note: Invoice


def bill(period: Period, issue_date: date) -> Invoice:
    """Run the month and validate its only draft."""
    run_pre_billing(period=period)
    draft = PreInvoice.objects.get(period=period.first_day)
    return invoicing.validate_pre_invoice(pre_invoice_id=draft.pk, issue_date=issue_date)


def make_portfolio(clients: int = 1) -> Portfolio:
    """The known invoices, then `clients` clients with two drafts each (November and December 2026)."""
    acme = f.client(code="ACME")
    f.fixed_fee_part(f.engagement(acme), installments=[
        (date(2025, 11, 15), "100.00"), (date(2026, 10, 15), "200.00"), (date(2026, 11, 15), "50.00")])
    last_year = bill(Period(2025, 11), date(2025, 11, 30))
    october = bill(Period(2026, 10), date(2026, 10, 31))
    credit_note = invoicing.issue_credit_note(invoice_id=last_year.pk, rebill=False, issue_date=date(2026, 11, 15))
    november = bill(Period(2026, 11), date(2026, 11, 30))
    Transmission.objects.update_or_create(invoice=november, defaults={
        "tracking_id": "dashboard-1", "syntax": "CII", "state": Transmission.State.SENT})
    for _ in range(clients):
        f.fixed_fee_part(f.engagement(f.client()), installments=[
            (date(2026, 11, 20), "70.00"), (date(2026, 12, 10), "30.00")])
    run_pre_billing(period=Period(2026, 11))
    run_pre_billing(period=Period(2026, 12))
    return Portfolio(last_year=last_year, october=october, november=november, credit_note=credit_note)


@pytest.fixture
def portfolio(firm) -> Portfolio:
    return make_portfolio()
