"""A fixed fee's installment bills the period it covers: its month, quarter, half-year or year, on the draft's line,
the invoice's line and the printed "Période de prestation" (not "du 30/11 au 30/11", the day it falls due)."""

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.grouping import DraftLine, GroupableItem, ItemKind
from prebill.core.periods import Period
from prebill.core.schedules import Frequency, expand_schedule
from prebill.documents.pdf import invoice_pdf
from prebill.engagements.models import Installment
from prebill.invoicing.services import validate_pre_invoice
from tests import factories as f

NOV = Period(2026, 11)
# A fiscal year from 1 December 2025 to 30 November 2026: each frequency has an installment due on 30/11/2026.
FISCAL_YEAR = {"start": date(2025, 12, 1), "end": date(2026, 11, 30)}
EXPECTED = {
    Frequency.MONTHLY: date(2026, 11, 1), Frequency.QUARTERLY: date(2026, 9, 1),
    Frequency.HALF_YEARLY: date(2026, 6, 1), Frequency.YEARLY: date(2025, 12, 1),
}


def fixed_fee(frequency: Frequency):
    client = f.client(code=f"C-{frequency.value}")
    part = f.fixed_fee_part(f.engagement(client), installments=[])
    for row in expand_schedule(Decimal("12000.00"), frequency, **FISCAL_YEAR):
        Installment.objects.create(part=part, due_date=row.due_date, amount=row.amount,
                                   period_start=row.period_start, period_end=row.period_end)
    return client


@pytest.mark.django_db
def test_each_frequency_bills_its_whole_period(firm):
    clients = {frequency: fixed_fee(frequency) for frequency in Frequency}

    run_pre_billing(period=NOV)

    for frequency, client in clients.items():
        pre = PreInvoice.objects.get(client=client)
        [line] = pre.lines.all()
        assert (line.service_start, line.service_end) == (EXPECTED[frequency], date(2026, 11, 30)), frequency
        invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))
        [billed] = invoice.lines.all()
        assert (billed.service_start, billed.service_end) == (EXPECTED[frequency], date(2026, 11, 30))
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice_pdf(invoice))).pages)
        assert f"Période de prestation du {EXPECTED[frequency]:%d/%m/%Y} au 30/11/2026" in " ".join(text.split())


@pytest.mark.django_db
def test_an_installment_without_a_period_bills_its_due_date(firm):
    client = f.client(code="DATES")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 15), "500.00")])

    run_pre_billing(period=NOV)

    [line] = PreInvoice.objects.get(client=client).lines.all()
    assert (line.service_start, line.service_end) == (date(2026, 11, 15), date(2026, 11, 15))


def test_a_line_spans_from_the_earliest_period_start_to_the_latest_due_date():
    def item(start, due):
        return GroupableItem(id=due, kind=ItemKind.FIXED_FEE, terms=None, engagement=1, part=1, article=1,
                             article_label="", quantity=Decimal(1), unit="unit", unit_price=Decimal(1),
                             amount=Decimal(1), vat_rate=Decimal(20), designation="", service_date=due,
                             service_start=start)

    line = DraftLine(key="k", kind=ItemKind.FIXED_FEE, article=1, designation="", unit="unit",
                     unit_price=Decimal(1), vat_rate=Decimal(20))
    line.add(item(date(2026, 10, 1), date(2026, 12, 31)))
    line.add(item(None, date(2026, 11, 15)))

    assert (line.service_start, line.service_end) == (date(2026, 10, 1), date(2026, 12, 31))
