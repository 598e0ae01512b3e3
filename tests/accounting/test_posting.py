"""Posting: balanced sales-journal entries, and the FEC file with its 18 columns."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.accounting.models import JournalEntry
from prebill.accounting.services import fec_file, post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.journal import FEC_COLUMNS
from prebill.core.lifecycle import TransitionRefused
from prebill.core.periods import Period
from prebill.invoicing import services as invoicing
from prebill.invoicing.models import Invoice
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(firm):
    client = f.client(code="ACME")
    engagement = f.engagement(client, all_parts_on_one_invoice=True)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "1000.00")])
    f.fixed_fee_part(engagement, code="BOOKS", article_code="LIVRES", installments=[(date(2026, 11, 30), "100.00")])
    f.article("LIVRES").__class__.objects.filter(code="LIVRES").update(vat_rate=Decimal("5.5"), revenue_account="707000")
    run_pre_billing(period=Period(2026, 11))
    return invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))


def test_posting_writes_a_balanced_entry_per_account_and_rate(invoice):
    entry = post_invoice(invoice_id=invoice.pk)

    lines = [(line.account, line.debit, line.credit) for line in entry.lines.all()]
    assert lines == [
        ("411000", Decimal("1305.50"), Decimal("0")), ("706000", Decimal("0"), Decimal("1000.00")),
        ("707000", Decimal("0"), Decimal("100.00")), ("445740", Decimal("0"), Decimal("5.50")),
        ("445740", Decimal("0"), Decimal("200.00"))]  # the firm is on receipts: the VAT waits for the payment
    assert sum(d for _, d, _ in lines) == sum(c for _, _, c in lines)
    assert Invoice.objects.get(pk=invoice.pk).state == "posted"


def test_an_invoice_is_posted_once(invoice):
    post_invoice(invoice_id=invoice.pk)

    with pytest.raises(TransitionRefused, match="posted cannot become posted"):
        post_invoice(invoice_id=invoice.pk)


def test_a_credit_note_is_posted_as_the_mirror(invoice):
    post_invoice(invoice_id=invoice.pk)
    note = invoicing.issue_credit_note(invoice_id=invoice.pk, quantities=None, rebill=False,
                                       issue_date=date(2026, 12, 1))

    entry = post_invoice(invoice_id=note.pk)

    first = entry.lines.first()
    assert (first.account, first.debit, first.credit) == ("411000", Decimal("0"), Decimal("1305.50"))
    assert list(JournalEntry.objects.values_list("number", flat=True).order_by("number")) == [1, 2]


def test_the_fec_has_the_18_columns_in_order_and_french_amounts(invoice):
    post_invoice(invoice_id=invoice.pk)

    name, content = fec_file(opening_date=date(2026, 1, 1), closing_date=date(2026, 12, 31))

    rows = [row.split("|") for row in content.decode("iso-8859-15").split("\r\n") if row]
    assert name == f"{invoice.seller_siren}FEC20261231.txt"
    assert tuple(rows[0]) == FEC_COLUMNS and len(FEC_COLUMNS) == 18
    assert all(len(row) == 18 for row in rows)
    assert rows[1][:5] == ["VE", "Ventes", "VE000001", "20261130", "411000"] and rows[1][11] == "1305,50"
    assert rows[1][8] == invoice.number and rows[1][6] == "ACME"


def test_validation_posts_at_once_when_the_firm_merges_the_two_steps(firm):
    firm.post_on_validation = True
    firm.save()
    f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "10.00")])
    run_pre_billing(period=Period(2026, 11))

    invoice = invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))

    assert invoice.state == "posted" and invoice.journal_entry.lines.count() == 3


def test_a_credit_note_is_posted_as_it_is_issued_when_the_firm_merges_the_two_steps(firm):
    firm.post_on_validation = True
    firm.save()
    f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "10.00")])
    run_pre_billing(period=Period(2026, 11))
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))

    note = invoicing.issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 11, 30))

    assert note.state == "posted" and note.journal_entry.lines.count() == 3


def test_the_accountant_downloads_the_fec_and_the_journal(invoice, client, user_with):
    post_invoice(invoice_id=invoice.pk)
    client.force_login(user_with("accountant"))

    fec = client.get("/accounting/fec/", {"year": "2026"})
    journal = client.get("/accounting/journal.csv", {"year": "2026"})

    assert fec["Content-Disposition"] == f'attachment; filename="{invoice.seller_siren}FEC20261231.txt"'
    assert fec.content.decode("iso-8859-15").startswith("JournalCode|JournalLib|EcritureNum")
    assert journal.content.decode().splitlines()[1].startswith("VE;VE000001;2026-11-30;411000")
