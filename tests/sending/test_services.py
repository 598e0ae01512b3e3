"""Invoices e-mailed with their PDF to a real SMTP server on loopback: the send log, retries, refusals, the pages,
the API and the command line."""

from datetime import date
from pathlib import Path

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.cli.commands import dispatch
from prebill.config.mail import mail_from_url
from prebill.core.periods import Period
from prebill.documents.issued import issued
from prebill.invoicing.models import Invoice
from prebill.jobs.models import Job
from prebill.jobs.services import resume_job
from prebill.sending.models import InvoiceEmail
from prebill.sending.services import SendingRefused, start_sending
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(firm, settings, tmp_path):
    """Three invoices of November; the first two clients have a billing e-mail, the third none."""
    settings.PREBILL_FILES_DIR = tmp_path
    for n, amount in enumerate(("100.00", "200.00", "300.00")):
        client = f.client(email=f"compta{n}@client.test" if n < 2 else "")
        f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), amount)])
    run_pre_billing(period=Period(2026, 11))
    return [validate_one(pk) for pk in PreInvoice.objects.order_by("pk").values_list("pk", flat=True)]


def validate_one(pk: int) -> Invoice:
    from prebill.invoicing.services import validate_pre_invoice

    return validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, 11, 30))


def test_an_invoice_goes_to_its_clients_billing_email_with_its_issued_pdf(smtp_server, month):
    invoice = month[0]

    job = start_sending(invoice_ids=[invoice.pk])

    [message] = smtp_server.messages
    email = InvoiceEmail.objects.get(invoice=invoice)
    pdf = issued(invoice, "pdf")
    assert smtp_server.envelopes == [["compta0@client.test"]]
    assert message["To"] == "compta0@client.test" and message["From"] == "facturation@cabinet.test"
    assert message["Subject"] == f"Facture {invoice.number} — {invoice.seller_name}"
    assert message["Message-ID"] == email.message_id
    body = message.get_body(("plain",)).get_content()
    assert f"notre facture {invoice.number} du 30/11/2026" in body and "120,00\u00a0€ TTC" in body
    assert smtp_server.attachments(message) == {f"{invoice.number}.pdf": pdf.content}
    assert (email.state, email.attempts, email.document_sha256) == ("sent", 1, pdf.sha256)
    assert job.result["sent"] == [{"number": invoice.number, "detail": "compta0@client.test"}]


def test_a_server_busy_for_a_moment_is_tried_again_and_the_message_goes_once(smtp_server, month):
    smtp_server.refusals = ["451 4.3.0 Try again later"]

    start_sending(invoice_ids=[month[0].pk])

    email = InvoiceEmail.objects.get(invoice=month[0])
    assert len(smtp_server.messages) == 1
    assert (email.state, email.attempts, email.last_error) == ("sent", 2, "")


def test_a_permanent_refusal_is_left_failed_then_a_retry_sends_the_same_message(smtp_server, month, client,
                                                                                user_with):
    smtp_server.refusals = ["554 5.7.1 Message refused"]
    job = start_sending(invoice_ids=[month[0].pk])
    email = InvoiceEmail.objects.get(invoice=month[0])
    assert (email.state, email.attempts, email.last_error) == ("failed", 1, "554 5.7.1 Message refused")
    assert job.result["refused"] == [{"number": month[0].number, "email": email.pk,
                                      "reason": "554 5.7.1 Message refused"}]
    client.force_login(user_with("collections"))
    page = client.get(f"/invoices/{month[0].pk}/").content.decode()
    assert "envoi impossible" in page and "554 5.7.1 Message refused" in page and 'data-test="retry"' in page

    retried = client.post(f"/sending/emails/{email.pk}/retry/", follow=True)

    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 2)
    assert [m["Message-ID"] for m in smtp_server.messages] == [email.message_id]
    assert "compta0@client.test" in retried.content.decode()


def test_a_server_that_does_not_answer_fails_after_the_attempts_set(settings, smtp_server, month):
    settings.EMAIL_PORT = 9  # nothing listens there
    settings.PREBILL_EMAIL_ATTEMPTS = 3

    start_sending(invoice_ids=[month[0].pk])

    email = InvoiceEmail.objects.get(invoice=month[0])
    assert (email.state, email.attempts) == ("failed", 3) and "ConnectionRefusedError" in email.last_error


def test_a_client_without_billing_email_is_refused_and_the_others_are_sent(smtp_server, month):
    job = start_sending(invoice_ids=[invoice.pk for invoice in month])

    assert sorted(sent["number"] for sent in job.result["sent"]) == sorted(i.number for i in month[:2])
    [refused] = job.result["refused"]
    assert refused["number"] == month[2].number and "pas d’e-mail de facturation" in refused["reason"]
    assert len(smtp_server.messages) == 2
    with pytest.raises(SendingRefused):
        start_sending(invoice_ids=[month[2].pk])
    with pytest.raises(SendingRefused, match="not-an-address"):
        start_sending(invoice_ids=[month[0].pk], to="not-an-address")
    assert InvoiceEmail.objects.filter(invoice=month[2]).count() == 0


def test_a_job_taken_again_does_not_send_twice_what_it_sent(smtp_server, month):
    job = start_sending(invoice_ids=[invoice.pk for invoice in month[:2]])
    Job.objects.filter(pk=job.pk).update(state=Job.State.INTERRUPTED)

    resumed = resume_job(Job.objects.get(pk=job.pk))

    assert resumed.state == Job.State.DONE and len(resumed.result["sent"]) == 2
    assert len(smtp_server.messages) == 2


def test_the_invoice_page_sends_to_the_address_typed(smtp_server, month, client, user_with):
    client.force_login(user_with("validator"))

    answer = client.post(f"/sending/invoices/{month[2].pk}/", {"to": "dg@client.test; daf@client.test"},
                         follow=True)

    assert smtp_server.envelopes == [["dg@client.test", "daf@client.test"]]
    log = answer.content.decode()
    assert "dg@client.test, daf@client.test" in log and 'data-state="sent"' in log


def test_the_invoices_list_sends_a_selection_or_all_that_its_filters_show(smtp_server, month, client, user_with):
    client.force_login(user_with("collections"))
    listed = client.get("/invoices/", {"state": "validated"})
    assert listed.context["count"] == 3

    ticked = client.post("/sending/invoices/", {"number": [month[0].number, month[1].number]})
    summary = client.get(ticked["Location"]).content.decode()
    stale = client.post("/sending/invoices/", {"scope": "filters", "state": "validated", "expected_count": "2"},
                        follow=True)
    assert "ont changé" in stale.content.decode() and len(smtp_server.messages) == 2
    everything = client.post("/sending/invoices/", {"scope": "filters", "state": "validated",
                                                    "expected_count": "3"})

    assert "2 factures envoyées" in summary
    job = Job.objects.get(pk=everything["Location"].rstrip("/").rsplit("/", 1)[1])
    assert len(job.result["sent"]) == 2 and job.result["refused"][0]["number"] == month[2].number
    assert len(smtp_server.messages) == 4


def test_sending_needs_a_role_that_sends(smtp_server, month, client, user_with):
    client.force_login(user_with("preparer"))

    assert client.post(f"/sending/invoices/{month[0].pk}/", {"to": "a@b.test"}).status_code == 403
    assert client.post("/sending/invoices/", {"number": [month[0].number]}).status_code == 403
    assert smtp_server.messages == []


def test_the_api_sends_a_set_and_its_job_says_how_it_went(smtp_server, month, user_with):
    _, key = ApiToken.issue(user=user_with("validator"), name="t")
    api = Client(headers={"Authorization": f"Bearer {key}"})

    started = api.post("/api/sendings", {"invoices": [i.number for i in month]}, content_type="application/json")
    unknown = api.post("/api/sendings", {"invoices": ["F-NONE"]}, content_type="application/json")
    job = api.get(f"/api/jobs/{started.json()['id']}").json()

    assert started.status_code == 202 and job["state"] == "done"
    assert len(job["result"]["sent"]) == 2 and len(job["result"]["refused"]) == 1
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == "invoices.0"


def test_the_command_line_sends_a_month(smtp_server, month, capsys):
    code = dispatch(["send", "--period", "2026-11"])
    out, err = capsys.readouterr()

    assert code == 2 and len(smtp_server.messages) == 2
    assert f"{month[0].number} envoyée à compta0@client.test" in out
    assert month[2].number in err


def test_mail_settings_from_a_url():
    assert mail_from_url("", outbox=Path("/tmp/out"))["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    smtp = mail_from_url("smtp://facturation:s%40cret@mail.cabinet.fr:587?tls=1", outbox=Path("/tmp"))
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"],
            smtp["EMAIL_USE_TLS"], smtp["EMAIL_USE_SSL"]) == ("mail.cabinet.fr", 587, "facturation", "s@cret",
                                                              True, False)
    assert mail_from_url("smtps://mail.cabinet.fr", outbox=Path("/tmp"))["EMAIL_PORT"] == 465
    with pytest.raises(ValueError, match="PREBILL_SMTP_URL"):
        mail_from_url("http://mail", outbox=Path("/tmp"))


def test_the_command_line_posts_a_client_s_invoices_of_a_month(month, capsys):
    from prebill.accounting.models import JournalEntry

    code = dispatch(["post", "--period", "2026-11", "--client", month[1].client.code])
    out, _err = capsys.readouterr()

    assert code == 0 and list(JournalEntry.objects.values_list("invoice", flat=True)) == [month[1].pk]
    assert month[1].number in out
