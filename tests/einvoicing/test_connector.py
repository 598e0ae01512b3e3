"""The connector to the firm's Plateforme Agréée, against the simulator on loopback: an invoice validated is sent
(a durable row, retried with back-off, one flow whatever the retries), its statuses are followed to the invoice
page, the list, the API and the command line; a rejection becomes a task settled by a credit note; a payment on a
service taxed on receipts is declared (212) with its amounts per VAT rate; a client is looked up in the directory.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from prebill.einvoicing import services
from prebill.einvoicing.flowapi import webhook_signature
from prebill.einvoicing.models import LifecycleEvent, PaymentReport, Transmission, Webhook
from prebill.invoicing.services import issue_credit_note
from prebill.payments.services import pay_invoice
from tests import factories as f
from tests.einvoicing.platform import DAY, invoiced


def _due_now(transmission: Transmission) -> None:
    """The back-off elapsed (the test does not wait for it)."""
    type(transmission).objects.filter(pk=transmission.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def _codes(invoice) -> list[int]:
    return list(LifecycleEvent.objects.filter(transmission__invoice=invoice).values_list("code", flat=True))


def test_a_validated_invoice_is_queued_sent_once_and_followed_to_made_available(firm, platform, user_with, client):
    invoice = invoiced()
    transmission = Transmission.objects.get(invoice=invoice)
    assert (transmission.state, transmission.tracking_id) == ("waiting", f"prebill-{invoice.number}")

    assert services.send_due().sent == 1
    transmission.refresh_from_db()
    assert transmission.state == "sent" and transmission.flow_id
    sent = [flow for flow in platform.flows() if flow.get("trackingId") == transmission.tracking_id]
    assert len(sent) == 1 and sent[0]["flowSyntax"] == "Factur-X"
    # The bytes sent are the invoice's kept PDF, whatever happens to the firm afterwards.
    from prebill.documents.issued import issued_document
    assert platform.document(transmission.flow_id) == issued_document(invoice, "pdf")

    assert services.follow() == 1
    transmission.refresh_from_db()
    assert (transmission.state, transmission.status, transmission.status_label) == ("accepted", 200, "Déposée")
    platform.advance()
    platform.advance()
    assert services.follow() == 2
    assert services.follow() == 0  # each status once
    assert _codes(invoice) == [200, 202, 203]
    transmission.refresh_from_db()
    assert (transmission.status, transmission.status_label) == (203, "Mise à disposition")

    client.force_login(user_with("validator"))
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert 'data-status="203"' in page and "Mise à disposition" in page and "Déposée" in page
    assert invoice.number in client.get("/invoices/?status=203").content.decode()
    assert invoice.number not in client.get("/invoices/?status=213").content.decode()


def test_failures_and_time_outs_are_retried_with_back_off_and_make_one_flow(firm, platform, settings):
    settings.PREBILL_PA_RETRY = timedelta(seconds=60)
    invoice = invoiced()
    transmission = Transmission.objects.get(invoice=invoice)

    platform.fail_next(1, 503, method="POST", path="/flow-service/v1/flows")
    before = timezone.now()
    assert services.send_due().failed == 1
    transmission.refresh_from_db()
    assert (transmission.state, transmission.attempts) == ("waiting", 1)
    assert "503" in transmission.last_error
    assert transmission.next_attempt_at >= before + timedelta(seconds=60)
    assert services.send_due().sent == 0  # not due before its back-off

    # Processed by the platform, the answer lost: the retry carries the same tracking id, no second flow.
    platform.fail_next(1, 503, after=True, method="POST", path="/flow-service/v1/flows")
    _due_now(transmission)
    services.send_due()
    transmission.refresh_from_db()
    assert (transmission.state, transmission.attempts) == ("waiting", 2)
    assert transmission.next_attempt_at >= timezone.now() + timedelta(seconds=110)  # doubled

    settings.PREBILL_PA_TIMEOUT_SECONDS = 1
    platform.slow_down(3, 1, method="POST", path="/flow-service/v1/flows")  # longer than the connector waits
    _due_now(transmission)
    services.send_due()
    transmission.refresh_from_db()
    assert (transmission.state, transmission.attempts) == ("waiting", 3)
    assert "timed out" in transmission.last_error
    settings.PREBILL_PA_TIMEOUT_SECONDS = 60

    _due_now(transmission)
    assert services.send_due().sent == 1
    transmission.refresh_from_db()
    assert (transmission.state, transmission.attempts) == ("sent", 4)
    flows = [flow for flow in platform.flows() if flow.get("trackingId") == transmission.tracking_id]
    assert len(flows) == 1 and flows[0]["flowId"] == transmission.flow_id


def test_a_transmission_given_up_is_a_task_until_sent_again(firm, platform, settings, user_with, client):
    settings.PREBILL_PA_ATTEMPTS = 2
    invoice = invoiced()
    transmission = Transmission.objects.get(invoice=invoice)
    platform.fail_next(2, 500, method="POST", path="/flow-service/v1/flows")
    services.send_due()
    _due_now(transmission)
    services.send_due()
    transmission.refresh_from_db()
    assert (transmission.state, transmission.to_correct, transmission.next_attempt_at) == ("failed", True, None)
    assert list(services.to_correct()) == [transmission]

    client.force_login(user_with("validator"))
    assert invoice.number in client.get("/einvoicing/").content.decode()
    answer = client.post(f"/einvoicing/{transmission.pk}/send-again/")
    assert answer.status_code == 302
    assert services.send_due().sent == 1
    transmission.refresh_from_db()
    assert transmission.state == "sent" and not transmission.to_correct


def test_a_refusal_of_the_request_itself_is_not_retried(firm, platform):
    invoice = invoiced()
    platform.fail_next(1, 400, method="POST", path="/flow-service/v1/flows")
    services.send_due()
    transmission = Transmission.objects.get(invoice=invoice)
    assert (transmission.state, transmission.attempts) == ("failed", 1)


def test_a_rejection_213_is_a_task_with_its_reason_settled_by_a_credit_note(firm, platform, user_with, client):
    invoice = invoiced()
    platform.reject_next("REJ_COH", "Incohérence entre la commande et la facture")
    services.send_due()
    services.follow()
    transmission = Transmission.objects.get(invoice=invoice)
    assert (transmission.state, transmission.status, transmission.status_label) == ("rejected", 213, "Rejetée")
    assert "REJ_COH" in transmission.last_error and transmission.to_correct
    event = LifecycleEvent.objects.get(transmission=transmission, code=213)
    assert event.reasons == [{"code": "REJ_COH", "text": "Incohérence entre la commande et la facture"}]

    client.force_login(user_with("validator"))
    overview = client.get("/einvoicing/").content.decode()
    assert invoice.number in overview and "Incohérence entre la commande et la facture" in overview
    assert invoice.number in client.get("/invoices/?status=213").content.decode()

    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=DAY)
    transmission.refresh_from_db()
    assert transmission.resolved_at is not None and not transmission.to_correct
    assert list(services.to_correct()) == []
    assert Transmission.objects.get(invoice=note).state == "waiting"  # the credit note goes out too


def test_a_payment_on_a_service_taxed_on_receipts_is_declared_212_per_vat_rate(firm, platform):
    invoice = invoiced(amount="1000.00")  # 1,200.00 incl. VAT at 20 %
    services.send_due()
    services.follow()
    pay_invoice(invoice=invoice, day=date(2026, 12, 10), method="transfer", amount=Decimal("500.00"))
    report = PaymentReport.objects.get(invoice=invoice)
    assert report.amounts == [{"rate": "20.00", "amount": "500.00"}] and report.total == Decimal("500.00")

    assert services.send_due(follow_after=True).sent == 1
    received = platform.invoice(Transmission.objects.get(invoice=invoice).flow_id)
    assert received["received"] == "500.00"
    assert [(p["amount"], p["vatRate"], p["receivedOn"]) for p in received["payments"]] == [
        ("500.00", "20.00", "2026-12-10")]
    report.refresh_from_db()
    assert report.state == "accepted"
    assert _codes(invoice) == [200, 212]

    pay_invoice(invoice=invoice, day=date(2026, 12, 20), method="transfer", amount=Decimal("700.00"))
    services.send_due(follow_after=True)
    received = platform.invoice(Transmission.objects.get(invoice=invoice).flow_id)
    assert (received["received"], received["status"], received["statusLabel"]) == ("1200.00", 212, "Encaissée")


def test_a_payment_waits_for_the_platform_to_have_theinvoiced(firm, platform):
    invoice = invoiced()
    pay_invoice(invoice=invoice, day=date(2026, 12, 10), method="transfer", amount=Decimal("1200.00"))
    services.send_due()  # the invoice is sent, not yet acknowledged: the 212 waits
    assert PaymentReport.objects.get(invoice=invoice).state == "waiting"
    services.follow()
    services.send_due()
    assert PaymentReport.objects.get(invoice=invoice).state == "sent"


def test_no_212_when_the_firm_opted_for_vat_on_debits(firm, platform):
    firm.vat_on_debits = True
    firm.save()
    invoice = invoiced()
    pay_invoice(invoice=invoice, day=date(2026, 12, 10), method="transfer", amount=Decimal("1200.00"))
    assert not PaymentReport.objects.filter(invoice=invoice).exists()


def test_the_last_payment_declares_exactly_what_is_left_of_each_rate(firm):
    invoice = invoiced(amount="100.00")  # 120.00
    for amount in ("33.33", "33.33"):
        pay_invoice(invoice=invoice, day=DAY, method="transfer", amount=Decimal(amount))
    pay_invoice(invoice=invoice, day=DAY, method="transfer", amount=Decimal("53.34"))
    declared = [Decimal(r.amounts[0]["amount"]) for r in PaymentReport.objects.filter(invoice=invoice)]
    assert declared == [Decimal("33.33"), Decimal("33.33"), Decimal("53.34")] and sum(declared) == Decimal("120.00")


def test_consumers_and_foreign_buyers_are_not_sent_as_e_invoices(firm):
    consumer = f.client(nature="consumer")
    consumer.siren, consumer.vat_number = "", ""
    consumer.save()
    invoice = invoiced(consumer)
    assert invoice.buyer_category == "B2C"
    assert not Transmission.objects.filter(invoice=invoice).exists()


def test_nothing_is_lost_without_a_platform(firm, settings):
    settings.PREBILL_PA_URL = ""
    invoice = invoiced()
    assert services.send_due().sent == 0
    assert Transmission.objects.get(invoice=invoice).state == "waiting"


def test_a_client_is_looked_up_in_the_directory_and_its_address_goes_on_its_invoices(firm, platform, user_with,
                                                                                        client):
    transports = f.client(code="MARTIN")
    transports.siren = "409876547"
    transports.save()
    assert services.look_up_client(transports) == "409876547_40987654700012"
    transports.refresh_from_db()
    assert transports.directory_address == "409876547_40987654700012" and transports.directory_checked_at
    invoice = invoiced(transports)
    assert (invoice.buyer_endpoint_scheme, invoice.buyer_endpoint) == ("0225", "409876547_40987654700012")

    without = f.client(code="ATELIER")
    without.siren = "423456789"
    without.save()
    client.force_login(user_with("preparer"))
    answer = client.post(f"/einvoicing/directory/{without.pk}/", follow=True)
    assert "pas encore de plateforme" in answer.content.decode() or "no platform" in answer.content.decode()
    without.refresh_from_db()
    assert without.directory_address == "" and without.directory_checked_at


def test_a_signed_callback_makes_prebill_follow_and_a_forged_one_is_refused(firm, platform, client,
                                                                             django_capture_on_commit_callbacks):
    invoice = invoiced()
    services.send_due()
    key = base64.b64encode(b"k" * 32).decode()
    Webhook.objects.create(webhook_id="w1", callback_url="http://127.0.0.1/einvoicing/callback/", signing_key=key)
    body = json.dumps({"flowId": "x"}).encode()
    stamp = 1764670000
    forged = client.post("/einvoicing/callback/", body, content_type="application/json",
                         headers={"Afnor-Signature-Timestamp": str(stamp), "Afnor-Signature": "AAAA"})
    assert forged.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/einvoicing/callback/", body, content_type="application/json", headers={
            "Afnor-Signature-Timestamp": str(stamp), "Afnor-Signature": webhook_signature(body, stamp, key)})
    assert answer.status_code == 204
    assert _codes(invoice) == [200]


def test_the_api_and_the_command_line_show_the_life_cycle(firm, platform, capsys):
    from prebill.cli.commands import dispatch

    invoice = invoiced()
    assert dispatch(["einvoicing", "send"]) == 0
    platform.advance()
    assert dispatch(["einvoicing", "follow"]) == 0
    assert dispatch(["einvoicing", "status", invoice.number]) == 0
    out = capsys.readouterr().out
    assert "200 Déposée" in out and "202 Reçue par la plateforme" in out
    assert dispatch(["einvoicing", "status", "F-NONE"]) == 2
    assert "F-NONE" in capsys.readouterr().err
