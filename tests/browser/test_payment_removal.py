"""Collections undo a payment from the invoice page: a page says what follows and asks why before anything changes
(no JavaScript needed); keeping it changes nothing; confirming removes it, the invoice owes it again."""

from datetime import date
from decimal import Decimal

from playwright.sync_api import expect

from prebill.accounting.models import JournalEntry
from prebill.accounting.services import post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import validate_pre_invoice
from prebill.payments import services
from prebill.payments.models import Allocation, Payment
from tests import factories as f

from .conftest import log_in, screenshot


def _paid_invoice(user_with):
    user_with("collections", username="recouvrement")
    f.fixed_fee_part(f.engagement(f.client(code="ACME")), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))
    post_invoice(invoice_id=invoice.pk)
    payment = services.pay_invoice(invoice=invoice, day=date(2026, 12, 1), method="transfer",
                                   amount=Decimal("150.00"), reference="VIR 7")
    return invoice, payment


def _collections_log_in(page):
    log_in(page, "recouvrement", "pw-test-1")  # user_with's password


def test_removing_a_payment_asks_why_first_and_keeping_it_changes_nothing(page, firm, user_with, unfreeze_after):
    invoice, payment = _paid_invoice(user_with)
    _collections_log_in(page)
    page.goto(f"{page.base_url}/invoices/{invoice.pk}/")
    expect(page.locator("[data-test=state]")).to_have_text("payée")

    page.click("[data-test=remove-allocation]")
    expect(page.locator("h1")).to_have_text("Retirer ce règlement ?")
    expect(page.locator("[data-test=removal]")).to_contain_text("revient en acompte du client")
    screenshot(page, "payment-removal.png")
    page.click("[data-test=keep]")
    expect(page.locator("[data-test=state]")).to_have_text("payée")
    assert Allocation.objects.filter(payment=payment).count() == 1

    page.click("[data-test=remove-allocation]")
    page.fill("[data-test=reason]", "affecté à la mauvaise facture")
    page.click("[data-test=confirm]")

    expect(page.locator("[data-test=state]")).to_have_text("comptabilisée")
    expect(page.locator("body")).to_contain_text("la facture le doit de nouveau")
    expect(page.locator("[data-test=due]")).to_contain_text("120,00")
    assert Allocation.all_objects.get(payment=payment).removal_reason == "affecté à la mauvaise facture"
    assert services.deposit_left(payment) == Decimal("150.00")
    assert Invoice.objects.get(pk=invoice.pk).state == "posted"


def test_cancelling_a_payment_recorded_by_mistake(page, firm, user_with, unfreeze_after):
    invoice, payment = _paid_invoice(user_with)
    _collections_log_in(page)
    page.goto(f"{page.base_url}/invoices/{invoice.pk}/")

    page.click("[data-test=cancel-payment]")
    expect(page.locator("h1")).to_have_text("Annuler le règlement ?")
    expect(page.locator("[data-test=allocations]")).to_contain_text(invoice.number)
    page.fill("[data-test=reason]", "doublon du relevé")
    page.click("[data-test=confirm]")

    expect(page).to_have_url(f"{page.base_url}/invoices/{invoice.pk}/")
    expect(page.locator("body")).to_contain_text("Règlement annulé")
    expect(page.locator("[data-test=remove-allocation]")).to_have_count(0)
    assert Payment.all_objects.get(pk=payment.pk).cancelled_at is not None
    assert JournalEntry.objects.filter(journal="BQ", reverses__payment=payment).exists()
