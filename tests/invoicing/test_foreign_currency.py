"""An invoice in Swiss francs: the firm's exchange rate of its date, frozen on it; the journal in euros."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from prebill.accounting.models import ExchangeRate, JournalEntry
from prebill.accounting.services import fec_file, post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing import services as invoicing
from prebill.invoicing.services import ValidationRefused
from prebill.payments import services as payments
from tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal


def _swiss_draft(amount: str = "1000.00", regime: str = "standard") -> PreInvoice:
    client = f.client(code="GENEVE", conditions={"vat_regime": regime})
    f.fixed_fee_part(f.engagement(client, currency="CHF"), installments=[(date(2026, 11, 30), amount)])
    run_pre_billing(period=Period(2026, 11))
    return PreInvoice.objects.get(client=client)


def _validate(pre: PreInvoice):
    return invoicing.validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))


def test_validation_without_a_rate_is_refused_saying_which_rate_to_enter(firm):
    pre = _swiss_draft()
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 12, 1), rate=D("1.07"))  # after the invoice date

    with translation.override("fr"), pytest.raises(ValidationRefused) as refused:
        _validate(pre)

    message = refused.value.translated(translation.gettext)
    assert "CHF" in message and "30/11/2026" in message and "taux" in message
    assert PreInvoice.objects.filter(pk=pre.pk).exists()  # nothing validated, the number not taken


def test_the_rate_of_the_invoice_date_is_frozen_with_the_vat_in_euros(firm):
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 11, 1), rate=D("1.050000"))
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 11, 27), rate=D("1.070000"))
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 12, 1), rate=D("1.090000"))

    invoice = _validate(_swiss_draft("1000.00"))

    assert (invoice.currency, invoice.exchange_rate, invoice.total_vat, invoice.total_vat_eur) == (
        "CHF", D("1.070000"), D("200.00"), D("214.00"))
    ExchangeRate.objects.filter(day=date(2026, 11, 27)).update(rate=D("2"))
    invoice.refresh_from_db()
    assert invoice.exchange_rate == D("1.070000")  # a rate corrected later never changes an issued invoice


def test_the_fec_gives_euros_in_the_euro_columns_and_francs_in_the_currency_columns(firm):
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 11, 1), rate=D("1.070000"))
    invoice = _validate(_swiss_draft("1000.00"))
    post_invoice(invoice_id=invoice.pk)

    _, content = fec_file(opening_date=date(2026, 1, 1), closing_date=date(2026, 12, 31))

    rows = [row.split("|") for row in content.decode("iso-8859-15").split("\r\n")[1:] if row]
    assert [(row[4], row[11], row[12], row[16], row[17]) for row in rows] == [
        ("411000", "1284,00", "0,00", "1200,00", "CHF"),
        ("706000", "0,00", "1070,00", "1000,00", "CHF"),
        ("445740", "0,00", "214,00", "200,00", "CHF")]


def test_a_payment_in_francs_moves_the_vat_in_euros_at_the_invoice_rate(firm):
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 11, 1), rate=D("1.070000"))
    invoice = _validate(_swiss_draft("1000.00"))
    post_invoice(invoice_id=invoice.pk)
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 12, 10), rate=D("1.080000"))

    payments.pay_invoice(invoice=invoice, day=date(2026, 12, 10), method="transfer", amount=D("600.00"))

    [move] = JournalEntry.objects.filter(journal="OD")
    assert [(line.account, line.debit, line.credit, line.currency_amount) for line in move.lines.all()] == [
        ("445740", D("107.00"), D("0"), D("100.00")), ("445710", D("0"), D("107.00"), D("100.00"))]
    bank = JournalEntry.objects.get(journal="BQ")
    assert bank.currency == "CHF"
    assert [(line.account, line.debit, line.credit) for line in bank.lines.all()] == [
        ("411000", D("0"), D("648.00")), ("512000", D("648.00"), D("0"))]  # at the rate of the day received


def test_a_credit_note_takes_the_rate_of_the_invoice_it_credits(firm):
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 11, 1), rate=D("1.070000"))
    invoice = _validate(_swiss_draft("1000.00"))
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 12, 1), rate=D("1.5"))

    note = invoicing.issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))

    assert (note.exchange_rate, note.total_vat_eur) == (D("1.070000"), D("214.00"))


def test_an_invoice_in_euros_has_no_rate(firm):
    client = f.client()
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))

    invoice = _validate(PreInvoice.objects.get(client=client))

    assert invoice.exchange_rate is None and invoice.total_vat_eur is None
