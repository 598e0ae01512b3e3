"""A payment undone after its 212 "Encaissée" went to the platform is corrected: a 212 of the opposite amounts per
VAT rate, its own tracking id, sent like the others; one never sent is cancelled instead; what was declared then
always adds up, so a later payment declares exactly what is left. Against the PA simulator on loopback."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.einvoicing import services
from prebill.einvoicing.models import LifecycleEvent, PaymentReport, Transmission
from prebill.invoicing.services import validate_pre_invoice
from prebill.payments import services as payments
from tests import factories as f
from tests.einvoicing.platform import DAY

D = Decimal


def _two_rates():
    """1,000.00 at 20 % and 100.00 at 5.5 %: 1,305.50 incl. VAT (1,200.00 and 105.50)."""
    client = f.client()
    engagement = f.engagement(client, all_parts_on_one_invoice=True)
    f.fixed_fee_part(engagement, installments=[(DAY, "1000.00")])
    f.fixed_fee_part(engagement, code="BOOKS", article_code="LIVRES", installments=[(DAY, "100.00")])
    f.article("LIVRES").__class__.objects.filter(code="LIVRES").update(vat_rate=D("5.5"))
    run_pre_billing(period=Period.of(DAY))
    return validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(client=client).pk, issue_date=DAY)


def _at_the_platform(invoice) -> None:
    services.send_due()
    services.follow()
    assert Transmission.objects.get(invoice=invoice).state == "accepted"


def _received(platform, invoice) -> dict:
    return platform.invoice(Transmission.objects.get(invoice=invoice).flow_id)


def _pay(invoice, amount: str):
    return payments.pay_invoice(invoice=invoice, day=date(2026, 12, 10), method="transfer", amount=D(amount))


def test_an_allocation_removed_after_its_212_is_corrected_with_the_opposite_amounts(firm, quick_platform):
    invoice = _two_rates()
    _at_the_platform(invoice)
    payment = _pay(invoice, "652.75")
    assert services.send_due(follow_after=True).sent == 1
    received = _received(quick_platform, invoice)
    assert received["received"] == "652.75"
    assert sorted((p["vatRate"], p["amount"]) for p in received["payments"]) == [
        ("20.00", "600.00"), ("5.50", "52.75")]
    original = PaymentReport.objects.get(invoice=invoice)
    assert original.state == "accepted"

    payments.remove_allocation(allocation=payment.allocations.get(), reason="mauvaise facture")

    correction = PaymentReport.objects.get(corrects=original)
    assert correction.tracking_id == f"prebill-212-{payment.allocations.model.all_objects.get().pk}-correction"
    assert correction.total == D("-652.75") and correction.invoice_id == invoice.pk
    assert {(a["rate"], a["amount"]) for a in correction.amounts} == {
        (a["rate"], str(-D(a["amount"]))) for a in original.amounts}
    assert correction.received_on == original.received_on and correction.state == "waiting"

    assert services.send_due(follow_after=True).sent == 1
    received = _received(quick_platform, invoice)
    assert received["received"] == "0.00"
    assert sorted((p["vatRate"], p["amount"]) for p in received["payments"]) == [
        ("20.00", "-600.00"), ("20.00", "600.00"), ("5.50", "-52.75"), ("5.50", "52.75")]
    correction.refresh_from_db()
    assert correction.state == "accepted"
    events = LifecycleEvent.objects.filter(transmission__invoice=invoice, code=212)
    assert [e.reasons[0]["text"] for e in events] == ["652.75 EUR", "-652.75 EUR (correction)"]

    # Nothing more to send, and removing again changes nothing at the platform.
    assert services.send_due().sent == 0


def test_an_allocation_removed_before_its_212_was_sent_cancels_it_and_sends_nothing(firm, quick_platform):
    invoice = _two_rates()
    payment = _pay(invoice, "1305.50")  # the platform does not have the invoice yet: the 212 waits

    payments.remove_allocation(allocation=payment.allocations.get(), reason="erreur de saisie")

    report = PaymentReport.objects.get(invoice=invoice)
    assert report.state == "cancelled" and not PaymentReport.objects.filter(corrects=report).exists()
    _at_the_platform(invoice)
    services.send_due(follow_after=True)
    assert _received(quick_platform, invoice)["payments"] == []
    report.refresh_from_db()
    assert report.state == "cancelled" and report.flow_id == ""


def test_a_later_payment_declares_exactly_what_is_left(firm, quick_platform):
    invoice = _two_rates()
    _at_the_platform(invoice)
    kept = _pay(invoice, "300.00")
    wrong = _pay(invoice, "333.33")
    services.send_due(follow_after=True)
    payments.remove_allocation(allocation=wrong.allocations.get(), reason="chèque rejeté")
    unsent = _pay(invoice, "100.00")
    payments.remove_allocation(allocation=unsent.allocations.get(), reason="erreur")  # cancelled, never sent

    _pay(invoice, "1005.50")  # what is left: 1,305.50 - 300.00

    declared: dict[str, Decimal] = {}
    for report in PaymentReport.objects.filter(invoice=invoice).exclude(state="cancelled"):
        for part in report.amounts:
            declared[part["rate"]] = declared.get(part["rate"], D(0)) + D(part["amount"])
    assert declared == {"20.00": D("1200.00"), "5.50": D("105.50")}
    services.send_due(follow_after=True)
    received = _received(quick_platform, invoice)
    assert received["received"] == "1305.50" and received["status"] == 212
    assert kept.allocations.get().payment_report.state == "accepted"


def test_the_invoice_page_lists_the_212s_with_the_correction_and_the_one_cancelled(firm, quick_platform, client,
                                                                                     user_with):
    invoice = _two_rates()
    _at_the_platform(invoice)
    sent = _pay(invoice, "300.00")
    services.send_due(follow_after=True)
    payments.remove_allocation(allocation=sent.allocations.get(), reason="erreur")
    unsent = _pay(invoice, "100.00")
    payments.remove_allocation(allocation=unsent.allocations.get(), reason="erreur")
    client.force_login(user_with("collections"))

    page = client.get(f"/invoices/{invoice.pk}/").content.decode()

    table = page[page.index('data-test="payment-reports"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr data-state=") == 3
    assert "correction d&#x27;un règlement retiré" in table or "correction d'un règlement retiré" in table
    assert "-300,00" in table and "annulé avant envoi" in table
