"""A long invoice read back page by page: its number and "Page N / M" on every page, the totals (with the VAT
breakdown) together on one page."""

import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.documents.pdf import invoice_pdf, render
from prebill.invoicing.services import validate_pre_invoice
from tests import factories as f

FIRST_TOTAL, LAST_TOTAL = "Base HT à 20 %", "Net à payer"


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().replace("\xa0", " ").replace("\u202f", " ").split())
            for page in PdfReader(io.BytesIO(pdf)).pages]


def pages_with(pages: list[str], text: str) -> list[int]:
    return [number for number, page in enumerate(pages, start=1) if text in page]


@pytest.mark.django_db
def test_every_page_of_a_long_invoice_has_its_number_and_page_count_and_the_totals_stay_together(firm):
    engagement = f.engagement(f.client(code="ACME"))
    f.time_part(engagement)
    consultants = [f.collaborator(hourly="150") for _ in range(4)]
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]
    for consultant in consultants:
        for day in days:
            if day.weekday() < 5:
                f.time_entry(consultant, engagement, day, "7")
    run_pre_billing(period=Period(2026, 11))
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))

    pages = pages_of(invoice_pdf(invoice))

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert invoice.number in page, number
        assert f"Page {number} / {len(pages)}" in page, number
    [totals_page] = pages_with(pages, FIRST_TOTAL)
    assert pages_with(pages, "Total TTC") == pages_with(pages, LAST_TOTAL) == [totals_page]


def _context(lines: int) -> dict:
    """An invoice's rendering context with `lines` lines (the template alone, no database)."""
    line = SimpleNamespace(designation="Conseil", service_start=None, service_end=None, quantity=Decimal(7),
                           unit="hour", unit_price=Decimal(150), vat_rate=Decimal(20), amount=Decimal(1050))
    vat = [SimpleNamespace(rate=Decimal(20), base=Decimal(1050) * lines, vat=Decimal(210) * lines),
           SimpleNamespace(rate=Decimal(10), base=Decimal(100), vat=Decimal(10))]
    return {"title": "Facture n° F2026-000042", "draft": False, "lines": [line] * lines, "vat_lines": vat,
            "seller": {"name": "Cabinet Test", "siren": "732829320", "address": "1 rue Test\n69002 Lyon"},
            "buyer": {"name": "Acme", "address": "2 rue Test\n75002 Paris", "code": "ACME"},
            "issue_date": date(2026, 11, 30), "due_date": date(2026, 12, 30), "terms": "30 jours",
            "currency": "EUR", "total_excluding_vat": Decimal(1050) * lines + 100, "total_vat": Decimal(210) * lines + 10,
            "total_including_vat": Decimal(1260) * lines + 110, "deposits": Decimal(100),
            "amount_due": Decimal(1260) * lines + 10, "payment_method": "virement bancaire", "notes": ["Mentions."]}


def test_the_totals_block_moves_whole_to_the_next_page_rather_than_split():
    """Line counts that bring the end of the first page across the totals block, row by row."""
    totals_pages = []
    for lines in range(16, 26):
        pages = pages_of(render(_context(lines), pdf_a=False))
        first, last = pages_with(pages, FIRST_TOTAL), pages_with(pages, LAST_TOTAL)
        assert len(first) == 1 and first == last, (lines, first, last)
        assert all("F2026-000042" in page and f"Page {n} / {len(pages)}" in page
                   for n, page in enumerate(pages, start=1))
        totals_pages.append(first[0])
    assert totals_pages[0] == 1 and totals_pages[-1] == 2  # the page break did cross the block
