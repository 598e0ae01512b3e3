"""Undoing a payment in the journal: an allocation removed has the VAT it moved put back to pending (an OD
counter-entry per rate), a payment cancelled has its bank entry reversed (a BQ counter-entry); no entry ever
changes; the FEC and the VAT summary then say what stands."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from prebill.accounting.models import JournalEntry, JournalLine
from prebill.accounting.services import fec_file, post_invoice, vat_summary
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing import services as invoicing
from prebill.invoicing.models import Invoice
from prebill.payments import services as payments
from tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 11, 30)


def _invoice(*, two_rates: bool = False):
    """1,000.00 at 20 % (1,200.00 incl. VAT); with two rates, also 100.00 at 5.5 % (1,305.50 in all)."""
    client = f.client(code="ACME")
    engagement = f.engagement(client, all_parts_on_one_invoice=True)
    f.fixed_fee_part(engagement, installments=[(DAY, "1000.00")])
    if two_rates:
        f.fixed_fee_part(engagement, code="BOOKS", article_code="LIVRES", installments=[(DAY, "100.00")])
        f.article("LIVRES").__class__.objects.filter(code="LIVRES").update(vat_rate=D("5.5"))
    run_pre_billing(period=Period(2026, 11))
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=DAY)
    post_invoice(invoice_id=invoice.pk)
    return invoice


def _pay(invoice, amount: str):
    return payments.pay_invoice(invoice=invoice, day=DAY, method="transfer", amount=D(amount), reference="VIR 42")


def _lines(entry) -> list[tuple[str, Decimal, Decimal, Decimal | None]]:
    return [(line.account, line.debit, line.credit, line.vat_rate) for line in entry.lines.all()]


def _balance(account: str, rate: str | None = None) -> Decimal:
    lines = JournalLine.objects.filter(account=account)
    if rate is not None:
        lines = lines.filter(vat_rate=D(rate))
    return sum((line.credit - line.debit for line in lines), D(0))


def test_an_allocation_removed_puts_the_vat_it_moved_back_to_pending(firm):
    invoice = _invoice()
    payment = _pay(invoice, "600.00")
    move = JournalEntry.objects.get(journal="OD")
    before = _lines(move)
    assert _balance("445740") == D("100.00") and _balance("445710") == D("100.00")

    payments.remove_allocation(allocation=payment.allocations.get(), reason="mauvaise facture")

    reversal = JournalEntry.objects.get(reverses=move)
    assert reversal.journal == "OD" and reversal.number == move.number + 1
    assert _lines(reversal) == [("445740", D("0"), D("100.00"), D("20.00")),
                                ("445710", D("100.00"), D("0"), D("20.00"))]
    assert reversal.label == f"Annulation TVA encaissée {invoice.number} {invoice.buyer_name}"
    assert reversal.date == max(timezone.localdate(), move.date) and reversal.piece_ref == invoice.number
    assert _lines(JournalEntry.objects.get(pk=move.pk)) == before  # the entry reversed never changes
    assert _balance("445740") == D("200.00") and _balance("445710") == 0
    # The money itself is still received: it is a deposit of the client, the bank entry stands.
    assert JournalEntry.objects.filter(journal="BQ").count() == 1

    # The deposit used again, then the rest paid: the VAT moves again, all of it in the end.
    payments.settle_with_deposit(payment=payment, invoice=invoice)
    _pay(invoice, "600.00")
    assert _balance("445740") == 0 and _balance("445710") == D("200.00")
    assert Invoice.objects.get(pk=invoice.pk).state == "paid"


def test_per_rate_the_reversal_is_exactly_what_was_moved(firm):
    invoice = _invoice(two_rates=True)
    payment = _pay(invoice, "652.75")  # half: 100.00 at 20 %, 2.75 at 5.5 %
    assert _balance("445710", "20") == D("100.00") and _balance("445710", "5.5") == D("2.75")

    payments.remove_allocation(allocation=payment.allocations.get(), reason="erreur")

    assert _balance("445710") == 0
    assert _balance("445740", "20") == D("200.00") and _balance("445740", "5.5") == D("5.50")
    _pay(invoice, "1305.50")
    assert _balance("445740") == 0 and _balance("445710", "5.5") == D("5.50")


def test_a_cancelled_payment_has_its_bank_entry_and_its_vat_moves_reversed(firm):
    invoice = _invoice()
    payment = _pay(invoice, "1200.00")
    bank = JournalEntry.objects.get(payment=payment)

    payments.cancel_payment(payment=payment, reason="doublon")

    reversal = JournalEntry.objects.get(reverses=bank)
    assert reversal.journal == "BQ" and reversal.label == "Annulation règlement ACME VIR 42"
    assert [(line.account, line.debit, line.credit, line.aux_code) for line in reversal.lines.all()] == [
        ("411000", D("1200.00"), D("0"), "ACME"), ("512000", D("0"), D("1200.00"), "")]
    assert _balance("512000") == 0 and _balance("445710") == 0 and _balance("445740") == D("200.00")
    # The client owes the invoice again in the books: 1,200.00 debited by the sale, credited, debited again.
    assert _balance("411000") == D("-1200.00")
    assert JournalEntry.objects.filter(reverses__isnull=False).count() == 2


def test_nothing_moved_nothing_reversed_and_posting_later_skips_what_was_removed(firm):
    client = f.client(code="ACME")
    f.fixed_fee_part(f.engagement(client), installments=[(DAY, "1000.00")])
    run_pre_billing(period=Period(2026, 11))
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=DAY)
    payment = _pay(invoice, "600.00")  # not posted yet: no VAT moves

    payments.remove_allocation(allocation=payment.allocations.get(), reason="erreur")
    assert not JournalEntry.objects.filter(journal="OD").exists()

    post_invoice(invoice_id=invoice.pk)
    assert not JournalEntry.objects.filter(journal="OD").exists()
    assert Invoice.objects.get(pk=invoice.pk).state == "posted" and _balance("445740") == D("200.00")


def test_the_entries_reversed_stay_frozen(firm):
    invoice = _invoice()
    payment = _pay(invoice, "600.00")
    payments.cancel_payment(payment=payment, reason="doublon")
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(journal="BQ").update(label="changed")


def test_the_fec_and_the_vat_summary_say_what_stands(firm):
    invoice = _invoice()
    payment = _pay(invoice, "600.00")
    payments.remove_allocation(allocation=payment.allocations.get(), reason="erreur")
    removal_day = JournalEntry.objects.get(reverses__isnull=False).date

    _, content = fec_file(opening_date=date(2026, 1, 1), closing_date=date(removal_day.year, 12, 31))
    rows = [row.split("|") for row in content.decode("iso-8859-15").split("\r\n")[1:] if row]
    annulations = [row for row in rows if row[10].startswith("Annulation TVA encaissée")]
    assert [(row[0], row[4], row[11], row[12]) for row in annulations] == [
        ("OD", "445740", "0,00", "100,00"), ("OD", "445710", "100,00", "0,00")]
    assert annulations[0][8] == invoice.number
    total = lambda column: sum(D(row[column].replace(",", ".")) for row in rows)  # noqa: E731
    assert total(11) == total(12)

    summary = vat_summary(opening_date=date(2026, 11, 1), closing_date=date(removal_day.year, 12, 31))
    collected = sum((month.collected_on_receipts for month in summary), D(0))
    assert collected == 0
    last = [month for month in summary if month.rate == D("20.00")][-1]
    assert last.month == removal_day.replace(day=1) and last.pending == D("200.00")
    payment_month = next(month for month in summary if month.month == date(2026, 11, 1))
    if removal_day.month != 11 or removal_day.year != 2026:
        assert payment_month.collected_on_receipts == D("100.00") and payment_month.pending == D("100.00")
