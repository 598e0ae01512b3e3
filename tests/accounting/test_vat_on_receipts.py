"""VAT on receipts (the default for services) and on debits: the journal, the bank journal, the FEC, the summary."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.accounting.models import JournalEntry, JournalLine
from prebill.accounting.services import fec_file, post_invoice, vat_summary
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.core.receipts import vat_to_move
from prebill.invoicing import services as invoicing
from prebill.payments import services as payments
from tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal


def _invoice(amount: str = "1000.00", *, client=None):
    """A fixed fee of `amount` excl. VAT at 20 %, validated on 30/11/2026 (1,200.00 incl. VAT for 1,000.00)."""
    client = client or f.client(code="ACME")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), amount)])
    run_pre_billing(period=Period(2026, 11))
    return invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(client=client).pk,
                                          issue_date=date(2026, 11, 30))


def _pay(invoice, amount: str, day: date = date(2026, 12, 10)):
    return payments.pay_invoice(invoice=invoice, day=day, method="transfer", amount=D(amount), reference="VIR")


def _lines(entry) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.account, line.debit, line.credit) for line in entry.lines.all()]


def _balance(account: str) -> Decimal:
    lines = JournalLine.objects.filter(account=account)
    return sum((line.credit - line.debit for line in lines), D(0))


def test_on_receipts_the_vat_waits_and_each_payment_moves_its_part(firm):
    invoice = _invoice()
    sale = post_invoice(invoice_id=invoice.pk)
    assert _lines(sale) == [("411000", D("1200.00"), D("0")), ("706000", D("0"), D("1000.00")),
                            ("445740", D("0"), D("200.00"))]

    first = _pay(invoice, "600.00")
    second = _pay(invoice, "600.00", date(2026, 12, 20))

    moves = list(JournalEntry.objects.filter(journal="OD").order_by("number"))
    assert [_lines(move) for move in moves] == [
        [("445740", D("100.00"), D("0")), ("445710", D("0"), D("100.00"))],
        [("445740", D("100.00"), D("0")), ("445710", D("0"), D("100.00"))]]
    assert [move.date for move in moves] == [date(2026, 12, 10), date(2026, 12, 20)]
    assert [move.allocation.payment for move in moves] == [first, second]
    assert _balance("445740") == 0 and _balance("445710") == D("200.00")
    # The money itself, in the bank journal: bank debited, the client credited.
    assert [_lines(entry) for entry in JournalEntry.objects.filter(journal="BQ").order_by("number")] == [
        [("411000", D("0"), D("600.00")), ("512000", D("600.00"), D("0"))]] * 2
    assert JournalEntry.objects.get(payment=first).lines.first().aux_code == "ACME"


def test_the_moves_add_up_to_the_vat_exactly_the_last_payment_moves_what_is_left(firm):
    invoice = _invoice()
    post_invoice(invoice_id=invoice.pk)

    for _ in range(3):
        _pay(invoice, "400.00")

    moved = [line.credit for line in JournalLine.objects.filter(account="445710").order_by("id")]
    assert moved == [D("66.67"), D("66.67"), D("66.66")] and sum(moved) == D("200.00")
    assert _balance("445740") == 0


def test_the_core_moves_pro_rata_per_rate():
    pending = {D("20"): D("200.00"), D("5.5"): D("5.50")}
    assert vat_to_move(pending, D("652.75"), D("1305.50")) == {D("20"): D("100.00"), D("5.5"): D("2.75")}
    assert vat_to_move({D("20"): D("133.33")}, D("800.00"), D("800.00")) == {D("20"): D("133.33")}


def test_on_debits_the_vat_is_due_at_invoicing_and_a_payment_moves_nothing(firm):
    firm.vat_on_debits = True
    firm.save()
    invoice = _invoice()

    sale = post_invoice(invoice_id=invoice.pk)
    _pay(invoice, "600.00")
    _pay(invoice, "600.00")

    assert ("445710", D("0"), D("200.00")) in _lines(sale)
    assert not JournalLine.objects.filter(account="445740").exists()
    assert not JournalEntry.objects.filter(journal="OD").exists()
    assert JournalEntry.objects.filter(journal="BQ").count() == 2


def test_money_allocated_before_the_posting_moves_its_vat_when_the_invoice_is_posted(firm):
    client = f.client(code="DEPO")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "1000.00")])
    run_pre_billing(period=Period(2026, 11))
    deposit = payments.record_payment(client_id=client.pk, day=date(2026, 11, 2), method="transfer",
                                      amount=D("300.00"), reference="ACOMPTE")
    pre = PreInvoice.objects.get(client=client)
    payments.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=D("300.00"))
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))
    assert not JournalEntry.objects.filter(journal="OD").exists()  # nothing pending to move before the posting

    post_invoice(invoice_id=invoice.pk)

    [move] = JournalEntry.objects.filter(journal="OD")
    assert _lines(move) == [("445740", D("50.00"), D("0")), ("445710", D("0"), D("50.00"))]
    assert move.date == date(2026, 11, 30)  # the money was received before the invoice: due from its date
    assert JournalEntry.objects.get(payment=deposit).date == date(2026, 11, 2)


def test_a_credit_note_reverses_the_pending_vat(firm):
    invoice = _invoice()
    post_invoice(invoice_id=invoice.pk)
    note = invoicing.issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))

    entry = post_invoice(invoice_id=note.pk)

    assert _lines(entry) == [("411000", D("0"), D("1200.00")), ("706000", D("1000.00"), D("0")),
                             ("445740", D("200.00"), D("0"))]
    assert _balance("445740") == 0 and _balance("445710") == 0


def test_a_partial_credit_note_leaves_the_payment_the_rest_of_the_vat(firm):
    client = f.client(code="PART")
    engagement = f.engagement(client, all_parts_on_one_invoice=True)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "500.00")])
    f.fixed_fee_part(engagement, code="B", installments=[(date(2026, 11, 30), "500.00")])
    run_pre_billing(period=Period(2026, 11))
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(client=client).pk,
                                             issue_date=date(2026, 11, 30))
    post_invoice(invoice_id=invoice.pk)
    share = invoice.lines.first().item_shares.first()
    note = invoicing.issue_credit_note(invoice_id=invoice.pk, quantities={share.item_id: share.quantity},
                                       rebill=False, issue_date=date(2026, 12, 1))
    post_invoice(invoice_id=note.pk)

    _pay(invoice, "600.00")  # what is left: 1,200.00 less the credit note's 600.00

    assert [line.credit for line in JournalLine.objects.filter(account="445710")] == [D("100.00")]
    assert _balance("445740") == 0


def test_the_fec_has_a_bank_journal_and_the_vat_moves(firm):
    invoice = _invoice()
    post_invoice(invoice_id=invoice.pk)
    _pay(invoice, "1200.00")

    _, content = fec_file(opening_date=date(2026, 1, 1), closing_date=date(2026, 12, 31))

    rows = [row.split("|") for row in content.decode("iso-8859-15").split("\r\n")[1:] if row]
    assert all(len(row) == 18 for row in rows)
    assert [row[:3] for row in rows] == [["VE", "Ventes", "VE000001"]] * 3 + [["BQ", "Banque", "BQ000001"]] * 2 + [
        ["OD", "Opérations diverses", "OD000001"]] * 2
    bank = [row for row in rows if row[0] == "BQ"]
    assert [(row[4], row[8], row[9], row[11], row[12]) for row in bank] == [
        ("411000", "VIR", "20261210", "0,00", "1200,00"), ("512000", "VIR", "20261210", "1200,00", "0,00")]
    moved = [row for row in rows if row[0] == "OD"]
    assert [(row[4], row[8], row[11], row[12]) for row in moved] == [
        ("445740", invoice.number, "200,00", "0,00"), ("445710", invoice.number, "0,00", "200,00")]


def test_the_monthly_vat_summary_ties_to_the_return(firm):
    invoice = _invoice()
    post_invoice(invoice_id=invoice.pk)
    _pay(invoice, "600.00", date(2026, 12, 10))
    firm.vat_on_debits = True
    firm.save()
    other = _invoice("500.00", client=f.client(code="DEBITS"))
    post_invoice(invoice_id=other.pk)

    rows = vat_summary(opening_date=date(2026, 11, 1), closing_date=date(2026, 12, 31))

    assert [(r.month, r.rate, r.invoiced, r.due_on_debits, r.collected_on_receipts, r.pending) for r in rows] == [
        (date(2026, 11, 1), D("20.00"), D("300.00"), D("100.00"), D("0.00"), D("200.00")),
        (date(2026, 12, 1), D("20.00"), D("0.00"), D("0.00"), D("100.00"), D("100.00"))]
    assert rows[1].due == D("100.00")  # what the December return declares at 20 %


def test_the_accountant_sees_the_vat_summary(firm, client, user_with):
    invoice = _invoice()
    post_invoice(invoice_id=invoice.pk)
    client.force_login(user_with("accountant"))

    page = client.get("/accounting/vat/", {"year": "2026"})

    assert page.status_code == 200
    assert "445740" in page.content.decode() or "200,00" in page.content.decode()


def test_the_command_line_prints_the_vat_summary(firm, capsys):
    from prebill.cli.commands import dispatch

    invoice = _invoice()
    post_invoice(invoice_id=invoice.pk)
    _pay(invoice, "600.00")

    code = dispatch(["vat", "--year", "2026"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[1].split("\t") == ["11/2026", "20 %", "200.00", "0.00", "0.00", "0.00", "200.00"]
    assert lines[2].split("\t") == ["12/2026", "20 %", "0.00", "0.00", "100.00", "100.00", "100.00"]
