"""Débours in the books: credited to the transit account 467000, neither revenue nor VAT; the VAT on receipts waits
and moves for the taxable part only; the FEC follows (issue 15, scope item 9)."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.accounting.models import JournalEntry, JournalLine
from prebill.accounting.services import fec_file, post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.costs import services as costs
from prebill.invoicing import services as invoicing
from prebill.organisation.models import Organisation
from prebill.payments import services as payments
from tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def invoice(firm):
    """A 20 % expense of 100.00 and two débours (court fees 37.45 without VAT, a purchase of 50.00 + 20 % paid for
    the client: 60.00): 100.00 + 20.00 VAT + 97.45 = 217.45, validated on 30/11/2026."""
    article = f.article("FRAIS")
    Organisation.objects.update(expense_article=article, purchase_article=f.article("ACHAT"))
    client = f.client(code="ACME")
    engagement = f.engagement(client, "P-1")
    anne = f.collaborator("ANNE")
    for nature, excluding, including, rate, debours in (("Train", "100.00", "120.00", "20", False),
                                                        ("Frais de greffe", "37.45", "37.45", "0", True)):
        costs.declare_expense(collaborator_id=anne.pk, client_id=client.pk, engagement_id=engagement.pk,
                              day=date(2026, 11, 6), nature=nature, amount_excluding_vat=D(excluding),
                              amount_including_vat=D(including), vat_rate=D(rate), disbursement=debours)
    costs.record_purchase(client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 7), supplier="INPI",
                          reference="Marque", amount_excluding_vat=D("50.00"), vat_rate=D("20"), disbursement=True)
    run_pre_billing(period=Period(2026, 11))
    return invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(client=client).pk,
                                          issue_date=date(2026, 11, 30))


def _lines(entry) -> list[tuple[str, str, Decimal, Decimal]]:
    return [(line.account, line.account_label, line.debit, line.credit) for line in entry.lines.all()]


def _balance(account: str) -> Decimal:
    return sum((line.credit - line.debit for line in JournalLine.objects.filter(account=account)), D(0))


def test_the_sales_entry_credits_the_debours_to_467000_and_revenue_and_vat_only_with_the_taxable_part(invoice):
    sale = post_invoice(invoice_id=invoice.pk)

    revenue = invoice.lines.get(kind="expense").revenue_account
    assert (invoice.total_excluding_vat, invoice.total_vat, invoice.total_including_vat) == (
        D("197.45"), D("20.00"), D("217.45"))
    assert sorted(_lines(sale)) == sorted([
        ("411000", "Clients", D("217.45"), D(0)), (revenue, "Ventes", D(0), D("100.00")),
        ("467000", "Débours", D(0), D("97.45")), ("445740", "TVA collectée en attente 20 %", D(0), D("20.00"))])
    assert not JournalLine.objects.filter(account="445740", vat_rate=0).exists()


def test_the_vat_on_receipts_waits_and_moves_for_the_taxable_part_only(invoice):
    post_invoice(invoice_id=invoice.pk)

    payments.pay_invoice(invoice=invoice, day=date(2026, 12, 10), method="transfer", amount=D("108.72"),
                         reference="VIR1")
    half = _balance("445710")
    payments.pay_invoice(invoice=invoice, day=date(2026, 12, 20), method="transfer", amount=D("108.73"),
                         reference="VIR2")

    moves = JournalEntry.objects.filter(journal="OD")
    assert half == D("10.00")  # 20.00 x 108.72 / 217.45, to the cent
    assert _balance("445740") == 0 and _balance("445710") == D("20.00")
    assert {line.vat_rate for move in moves for line in move.lines.all()} == {D("20.00")}
    assert _balance("467000") == D("97.45")  # the débours stay in transit until the firm's own books clear them


def test_a_credit_note_reverses_the_debours_in_467000(invoice):
    post_invoice(invoice_id=invoice.pk)
    note = invoicing.issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))

    entry = post_invoice(invoice_id=note.pk)

    assert ("467000", "Débours", D("97.45"), D(0)) in _lines(entry)
    assert _balance("467000") == 0 and _balance("445740") == 0


def test_the_fec_gives_the_debours_line_on_467000(invoice):
    post_invoice(invoice_id=invoice.pk)

    _, content = fec_file(opening_date=date(2026, 1, 1), closing_date=date(2026, 12, 31))

    rows = [row.split("|") for row in content.decode("iso-8859-15").split("\r\n")[1:] if row]
    assert [(row[4], row[5], row[11], row[12]) for row in rows if row[4] == "467000"] == [
        ("467000", "Débours", "0,00", "97,45")]
    credits = sum(D(row[12].replace(",", ".")) for row in rows)
    assert credits == D("217.45") == sum(D(row[11].replace(",", ".")) for row in rows)
