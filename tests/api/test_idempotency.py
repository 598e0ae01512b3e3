"""Idempotency keys: a POST sent again with the same Idempotency-Key replays its first answer, creates nothing twice."""

import json
import threading
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.test.client import encode_multipart
from django.utils import timezone

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.api.idempotency import HEADER, REPLAYED_HEADER, request_fingerprint
from prebill.api.models import ApiToken, IdempotentRequest
from prebill.attachments.models import Attachment
from prebill.billing.models import BillingRun, DepositReservation, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.costs.models import Expense
from prebill.documents.models import DocumentBatch
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import validate_pre_invoice
from prebill.organisation.models import Organisation
from prebill.payments.models import Allocation, Payment
from prebill.payments.services import record_payment
from prebill.proforma.models import ProForma, ProFormaLine
from prebill.team.models import Collaborator
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)
PAYMENT = {"client": "ACME", "date": "2026-11-02", "amount": "100.00"}


@pytest.fixture
def acme(firm, settings, tmp_path):
    """A client with a fixed fee due in November and time and materials work by ANNE."""
    settings.PREBILL_FILES_DIR = tmp_path / "files"
    Organisation.objects.update(expense_article=f.article("FRAIS"))
    client = f.client(code="ACME")
    f.fixed_fee_part(f.engagement(client, code="E-FEE"), installments=[(date(2026, 11, 30), "100.00")])
    f.time_part(f.engagement(client, code="E-CONS"))
    f.collaborator(code="ANNE", hourly="100")
    return client


@pytest.fixture
def pre_invoice(acme):
    run_pre_billing(period=NOV)
    return PreInvoice.objects.get(client=acme)


@pytest.fixture
def invoice(pre_invoice):
    return validate_pre_invoice(pre_invoice_id=pre_invoice.pk, issue_date=date(2026, 11, 30))


@pytest.fixture
def admin(user_with):
    return user_with("administrator", username="admin")


def bearer(user) -> Client:
    _, key = ApiToken.issue(user=user, name="tool")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api(admin):
    return bearer(admin)


def post(api: Client, url: str, data, key: str | None = "key-1", headers: dict | None = None):
    headers = {**(headers or {}), **({HEADER: key} if key is not None else {})}
    return api.post(url, json.dumps(data), content_type="application/json", headers=headers)


def sent_twice(api: Client, url: str, data, key: str = "key-1"):
    return post(api, url, data, key), post(api, url, data, key)


def assert_replayed(first, again) -> None:
    assert first.status_code < 500 and REPLAYED_HEADER not in first
    assert (again.status_code, again.content, again["Content-Type"]) == (
        first.status_code, first.content, first["Content-Type"])
    assert again[REPLAYED_HEADER] == "true"


# -- every creating POST: the second call replays the first answer -------------------------------------------------


def test_a_payment_sent_twice_is_recorded_once(acme, api):
    first, again = sent_twice(api, "/api/payments", PAYMENT)

    assert first.status_code == 201
    assert_replayed(first, again)
    assert Payment.objects.filter(client=acme).count() == 1


def test_a_run_started_twice_runs_once(acme, api):
    first, again = sent_twice(api, "/api/runs", {"period": "2026-11"})

    assert first.status_code == 202 and first.json()["status"] == "done"
    assert_replayed(first, again)
    assert BillingRun.objects.filter(period=NOV.first_day).count() == 1


def test_a_pre_invoice_validated_twice_is_one_invoice(pre_invoice, api):
    first, again = sent_twice(api, f"/api/pre-invoices/{pre_invoice.pk}/validate", {"issue_date": "2026-11-30"})

    assert first.status_code == 201 and first.json()["number"] == "F2026-000001"
    assert_replayed(first, again)
    assert Invoice.objects.filter(client=pre_invoice.client).count() == 1


def test_a_credit_note_asked_twice_is_issued_once(invoice, api):
    first, again = sent_twice(api, f"/api/invoices/{invoice.number}/credit-notes", {"issue_date": "2026-12-01"})

    assert first.status_code == 201 and first.json()["credits"] == invoice.number
    assert_replayed(first, again)
    assert Invoice.objects.filter(credited_invoice=invoice).count() == 1


def test_a_document_batch_started_twice_is_one_batch(invoice, api):
    first, again = sent_twice(api, "/api/document-batches", {"numbers": [invoice.number]})

    assert first.status_code == 202 and first.json()["total"] == 1
    assert_replayed(first, again)
    assert DocumentBatch.objects.count() == 1


BULK = {
    "time entries": ("/api/time-entries/bulk",
                     [{"id": "TT-1", "date": "2026-11-03", "collaborator": "ANNE", "engagement": "E-CONS", "hours": "2.5"}],
                     lambda acme: TimeEntry.objects.filter(engagement__client=acme)),
    "payroll metrics": ("/api/unit-metrics/bulk",
                        [{"client": "ACME", "metric": "PAYSLIPS", "period": "2026-11", "quantity": "12"}],
                        lambda acme: UnitMetric.objects.filter(client=acme)),
    "expenses": ("/api/expenses/bulk",
                 [{"collaborator": "ANNE", "client": "ACME", "engagement": "E-CONS", "date": "2026-11-10",
                   "nature": "Train", "amount_excluding_vat": "84.50", "amount_including_vat": "92.95",
                   "vat_rate": "10", "rebillable": True}],
                 lambda acme: Expense.objects.filter(client=acme)),
}


@pytest.mark.parametrize("url, rows, written", BULK.values(), ids=BULK.keys())
def test_a_bulk_push_sent_twice_is_written_once(acme, api, url, rows, written):
    first, again = sent_twice(api, url, rows)

    assert first.status_code == 200 and first.json()["created"] == 1
    assert_replayed(first, again)
    assert written(acme).count() == 1


def test_a_deposit_used_twice_settles_the_invoice_once(invoice, api):
    deposit = record_payment(client_id=invoice.client_id, day=date(2026, 11, 2), method="transfer",
                             amount=invoice.total_including_vat)

    first, again = sent_twice(api, f"/api/payments/{deposit.pk}/allocations",
                              {"invoice": invoice.number, "amount": "50.00"})

    assert first.status_code == 201 and first.json()["deposit_left"] == str(invoice.total_including_vat - 50)
    assert_replayed(first, again)
    assert Allocation.objects.filter(payment=deposit).count() == 1


def test_a_deposit_set_aside_twice_is_reserved_once(pre_invoice, api):
    deposit = record_payment(client_id=pre_invoice.client_id, day=date(2026, 11, 2), method="transfer",
                             amount=pre_invoice.total_including_vat)

    first, again = sent_twice(api, f"/api/payments/{deposit.pk}/reservations",
                              {"pre_invoice_id": pre_invoice.pk, "amount": "40.00"})

    assert first.status_code == 201
    assert_replayed(first, again)
    assert DepositReservation.objects.filter(payment=deposit).count() == 1


def test_a_pro_forma_generated_twice_is_made_once(acme, api):
    consulting, anne = acme.engagements.get(code="E-CONS"), Collaborator.objects.get(code="ANNE")
    for day in (2, 3):
        f.time_entry(anne, consulting, date(2026, 11, day), "3")
    run_pre_billing(period=NOV)

    first, again = sent_twice(api, "/api/pro-formas", {"client": "ACME", "until": "2026-11-30"})

    assert first.status_code == 201 and len(first.json()["lines"]) == 2
    assert_replayed(first, again)
    assert ProForma.objects.filter(client=acme).count() == 1
    assert ProFormaLine.objects.filter(pro_forma__client=acme).count() == 2


def upload(api: Client, url: str, content: bytes, *, boundary: str, key: str = "key-1"):
    body = encode_multipart(boundary, {"file": SimpleUploadedFile("ticket.pdf", content, "application/pdf")})
    return api.post(url, body, content_type=f"multipart/form-data; boundary={boundary}", headers={HEADER: key})


def test_a_receipt_uploaded_twice_is_kept_once_whatever_the_multipart_boundary(acme, api):
    expense = post(api, "/api/expenses/bulk", BULK["expenses"][1], key=None).json()["ids"][0]
    url = f"/api/expenses/{expense}/receipt"

    first = upload(api, url, b"%PDF-1.4 ticket", boundary="first-boundary-1234")
    again = upload(api, url, b"%PDF-1.4 ticket", boundary="another-boundary-5678")

    assert first.status_code == 201 and first.json()["name"] == "ticket.pdf"
    assert_replayed(first, again)
    assert Attachment.objects.filter(client=acme).count() == 1
    assert Expense.objects.get(pk=expense).receipt.original_name == "ticket.pdf"


# -- the rules around the key --------------------------------------------------------------------------------------


def test_the_same_key_with_another_request_is_refused_and_creates_nothing(acme, api):
    post(api, "/api/payments", PAYMENT)

    other_body = post(api, "/api/payments", {**PAYMENT, "amount": "200.00"})
    other_path = post(api, "/api/runs", {"period": "2026-11"})
    in_english = post(api, "/api/payments", {**PAYMENT, "amount": "300.00"}, headers={"Accept-Language": "en"})

    assert other_body.status_code == other_path.status_code == 422
    assert other_body.json() == {"detail": "cette clé d'idempotence a déjà servi pour une autre requête : "
                                           "envoyez une nouvelle clé pour une nouvelle requête"}
    assert in_english.json() == {"detail": "this idempotency key was already used for another request: "
                                           "send a new key for a new request"}
    assert [p.amount for p in Payment.objects.filter(client=acme)] == [100]
    assert not BillingRun.objects.exists()


def test_a_key_still_being_processed_answers_409(acme, api, admin):
    # The first request holds the key (its row is committed before its view runs) and has not answered yet.
    request = RequestFactory().post("/api/payments", json.dumps(PAYMENT), content_type="application/json")
    IdempotentRequest.objects.create(user=admin, key="key-1", fingerprint=request_fingerprint(request))

    racing = post(api, "/api/payments", PAYMENT)

    assert racing.status_code == 409
    assert racing.json() == {"detail": "une requête avec cette clé d'idempotence est encore en cours de traitement"}
    assert not Payment.objects.exists()


def test_a_server_error_is_not_kept_so_that_a_retry_runs(acme, api, settings, tmp_path):
    expense = post(api, "/api/expenses/bulk", BULK["expenses"][1], key=None).json()["ids"][0]
    url = f"/api/expenses/{expense}/receipt"
    (tmp_path / "not-a-folder").write_text("")
    settings.PREBILL_FILES_DIR = tmp_path / "not-a-folder" / "files"

    failed = upload(api, url, b"%PDF-1.4 ticket", boundary="b1")
    kept_after_failure = IdempotentRequest.objects.filter(key="key-1").exists()
    settings.PREBILL_FILES_DIR = tmp_path / "files"
    retried = upload(api, url, b"%PDF-1.4 ticket", boundary="b2")
    again = upload(api, url, b"%PDF-1.4 ticket", boundary="b3")

    assert failed.status_code == 500 and not kept_after_failure
    assert retried.status_code == 201 and REPLAYED_HEADER not in retried
    assert_replayed(retried, again)
    assert Attachment.objects.filter(client=acme).count() == 1


def test_keys_belong_to_their_user(acme, api, user_with):
    colleague = bearer(user_with("administrator", username="colleague"))

    mine = post(api, "/api/payments", PAYMENT)
    theirs = post(colleague, "/api/payments", PAYMENT)

    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED_HEADER not in theirs and theirs.json()["id"] != mine.json()["id"]
    assert Payment.objects.filter(client=acme).count() == 2


def test_without_the_header_every_post_runs(acme, api):
    first = post(api, "/api/payments", PAYMENT, key=None)
    second = post(api, "/api/payments", PAYMENT, key=None)

    assert first.status_code == second.status_code == 201
    assert REPLAYED_HEADER not in second and second.json()["id"] != first.json()["id"]
    assert Payment.objects.filter(client=acme).count() == 2
    assert not IdempotentRequest.objects.exists()


def test_an_expired_key_runs_again_and_expired_keys_are_cleaned_up(acme, api, admin, user_with, settings):
    settings.PREBILL_IDEMPOTENCY_DAYS = 1
    two_days_ago = timezone.now() - timedelta(days=2)
    for user in (admin, user_with("administrator", username="colleague")):
        IdempotentRequest.objects.create(user=user, key="key-1", fingerprint="0" * 64, status_code=201,
                                         response_body=b"{}", content_type="application/json",
                                         created_at=two_days_ago, completed_at=two_days_ago)

    answer = post(api, "/api/payments", PAYMENT)

    assert answer.status_code == 201 and REPLAYED_HEADER not in answer
    assert Payment.objects.filter(client=acme).count() == 1
    assert list(IdempotentRequest.objects.values_list("user", "status_code")) == [(admin.pk, 201)]


def test_a_malformed_key_is_refused_before_anything_runs(acme, api):
    too_long = post(api, "/api/payments", PAYMENT, key="k" * 256)
    empty = post(api, "/api/payments", PAYMENT, key="")
    longest = post(api, "/api/payments", PAYMENT, key="k" * 255)

    assert too_long.status_code == empty.status_code == 422
    assert too_long.json() == {"detail": [{"loc": "header.Idempotency-Key",
                                           "msg": "une Idempotency-Key tient en 1 à 255 caractères imprimables"}]}
    assert longest.status_code == 201
    assert Payment.objects.filter(client=acme).count() == 1


def test_an_anonymous_caller_gets_401_and_keeps_no_key(acme):
    answer = post(Client(), "/api/payments", PAYMENT)

    assert answer.status_code == 401
    assert not IdempotentRequest.objects.exists() and not Payment.objects.exists()


def test_the_browser_session_has_keys_too(acme, client, admin):
    client.force_login(admin)

    first, again = sent_twice(client, "/api/payments", PAYMENT)

    assert first.status_code == 201
    assert_replayed(first, again)
    assert Payment.objects.filter(client=acme).count() == 1


@pytest.mark.django_db(transaction=True)
def test_requests_racing_with_one_key_record_one_payment(acme, admin, unfreeze_after):
    # One client each, as separate connections would be (a test client sets itself up at its first request).
    _, key = ApiToken.issue(user=admin, name="tool")
    callers = [Client(headers={"Authorization": f"Bearer {key}"}) for _ in range(4)]
    barrier, answers = threading.Barrier(len(callers)), []

    def send(caller):
        try:
            barrier.wait()
            answers.append(post(caller, "/api/payments", PAYMENT))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(caller,)) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    first = [a for a in answers if a.status_code == 201 and REPLAYED_HEADER not in a]
    others = [(a.status_code, a.get(REPLAYED_HEADER)) for a in answers if a not in first]
    assert len(answers) == 4 and len(first) == 1
    assert set(others) <= {(201, "true"), (409, None)}
    assert Payment.objects.filter(client=acme).count() == 1
