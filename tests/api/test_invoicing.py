"""The invoice lifecycle through the API: validate, post, credit, pay, aged balance, each for its role."""

import json
from datetime import date

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def pre_invoice(firm):
    f.fixed_fee_part(f.engagement(f.client(code="ACME")), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    return PreInvoice.objects.get()


@pytest.fixture
def caller(user_with):
    def make(*roles):
        _, key = ApiToken.issue(user=user_with(*roles, username="-".join(roles)), name="t")
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_an_invoice_from_validation_to_paid(pre_invoice, caller):
    validator, accountant, collections = caller("validator"), caller("accountant"), caller("collections")

    refused = post(accountant, f"/api/pre-invoices/{pre_invoice.pk}/validate", {"issue_date": "2026-11-30"})
    validated = post(validator, f"/api/pre-invoices/{pre_invoice.pk}/validate", {"issue_date": "2026-11-30"})
    twice = post(validator, f"/api/pre-invoices/{pre_invoice.pk}/validate", {"issue_date": "2026-11-30"})
    posted = post(accountant, "/api/invoices/F2026-000001/post")
    aged = collections.get("/api/aged-balance", {"on": "2027-01-15"}).json()
    paid = post(collections, "/api/payments", {"client": "ACME", "date": "2027-01-15", "amount": "150.00",
                                               "allocations": [{"invoice": "F2026-000001", "amount": "120.00"}]})
    invoice = validator.get("/api/invoices/F2026-000001").json()

    assert refused.status_code == 403
    assert validated.status_code == 201 and validated.json()["number"] == "F2026-000001"
    assert twice.status_code == 409 and "validée en facture" in twice.json()["detail"]
    assert posted.json()["state"] == "posted"
    assert aged[0]["1_30"] == "120.00"
    assert paid.status_code == 201 and paid.json()["deposit_left"] == "30.00"
    assert invoice["state"] == "paid"


def test_credit_notes_through_the_api_refuse_crediting_twice(pre_invoice, caller):
    validator = caller("validator")
    post(validator, f"/api/pre-invoices/{pre_invoice.pk}/validate", {"issue_date": "2026-11-30"})

    note = post(validator, "/api/invoices/F2026-000001/credit-notes", {"issue_date": "2026-12-01"})
    again = post(validator, "/api/invoices/F2026-000001/credit-notes", {"issue_date": "2026-12-01"})
    listed = validator.get("/api/invoices").json()

    assert note.status_code == 201 and note.json()["credits"] == "F2026-000001" and note.json()["kind"] == "credit_note"
    assert again.status_code == 409
    assert sorted(i["number"] for i in listed["items"]) == ["AV2026-000001", "F2026-000001"]


def test_a_deposit_received_before_the_invoice_settles_it_later(pre_invoice, caller):
    validator, accountant, collections = caller("validator"), caller("accountant"), caller("collections")
    deposit = post(collections, "/api/payments", {"client": "ACME", "date": "2026-11-02", "amount": "100.00"}).json()
    post(validator, f"/api/pre-invoices/{pre_invoice.pk}/validate", {"issue_date": "2026-11-30"})
    post(accountant, "/api/invoices/F2026-000001/post")

    too_much = post(collections, f"/api/payments/{deposit['id']}/allocations",
                    {"invoice": "F2026-000001", "amount": "110.00"})
    used = post(collections, f"/api/payments/{deposit['id']}/allocations",
                {"invoice": "F2026-000001", "amount": "100.00"})

    assert deposit["deposit_left"] == "100.00"
    assert too_much.status_code == 409 and "il reste 100.00" in too_much.json()["detail"]
    assert used.status_code == 201 and used.json()["deposit_left"] == "0.00"
    assert validator.get("/api/invoices/F2026-000001").json()["state"] == "partly_paid"


def test_a_deposit_set_aside_for_a_pre_invoice_lowers_its_amount_due(pre_invoice, caller):
    validator, collections = caller("validator"), caller("collections")
    deposit = post(collections, "/api/payments", {"client": "ACME", "date": "2026-11-02", "amount": "100.00"}).json()

    too_much = post(collections, f"/api/payments/{deposit['id']}/reservations",
                    {"pre_invoice_id": pre_invoice.pk, "amount": "100.01"})
    by_validator = post(validator, f"/api/payments/{deposit['id']}/reservations",
                        {"pre_invoice_id": pre_invoice.pk, "amount": "10.00"})
    kept = post(collections, f"/api/payments/{deposit['id']}/reservations",
                {"pre_invoice_id": pre_invoice.pk, "amount": "80.00"})
    draft = validator.get(f"/api/pre-invoices/{pre_invoice.pk}").json()
    given_back = post(collections, f"/api/payments/{deposit['id']}/reservations",
                      {"pre_invoice_id": pre_invoice.pk, "amount": "5.00"}).json()
    released = collections.delete(f"/api/reservations/{given_back['id']}")
    invoice = post(validator, f"/api/pre-invoices/{pre_invoice.pk}/validate", {"issue_date": "2026-11-30"}).json()

    assert too_much.status_code == 409 and "il reste 100.00" in too_much.json()["detail"]
    assert by_validator.status_code == 403
    assert kept.status_code == 201 and kept.json()["deposit_left"] == "20.00"
    assert (draft["amount_due"], [d["amount"] for d in draft["deposits"]]) == ("40.00", ["80.00"])
    assert released.status_code == 204
    assert invoice["number"] == "F2026-000001"
    detail = collections.get("/api/invoices/F2026-000001").json()
    assert detail["state"] == "validated" and detail["amount_due"] == "40.00"


def test_special_actions_through_the_api_need_the_permission(pre_invoice, caller, user_with):
    from django.contrib.auth.models import Permission

    clerk = caller("preparer")
    chief_user = user_with("preparer", username="chief")
    chief_user.user_permissions.add(Permission.objects.get(codename="special_actions"))
    _, key = ApiToken.issue(user=chief_user, name="t")
    chief = Client(headers={"Authorization": f"Bearer {key}"})
    line = pre_invoice.lines.get()

    refused = post(clerk, f"/api/pre-invoices/{pre_invoice.pk}/duplicate")
    copy = post(chief, f"/api/pre-invoices/{pre_invoice.pk}/duplicate").json()
    copy_line = copy["lines"][0]["id"]
    typed = chief.put(f"/api/pre-invoice-lines/{copy_line}", json.dumps({"quantity": "2", "unit_price": "75"}),
                      content_type="application/json")
    draft_line = chief.put(f"/api/pre-invoice-lines/{line.pk}", json.dumps({"quantity": "2", "unit_price": "75"}),
                           content_type="application/json")
    named = chief.put(f"/api/pre-invoice-lines/{line.pk}/designation", json.dumps({"designation": "Forfait 2026"}),
                      content_type="application/json")
    deleted_draft = chief.delete(f"/api/pre-invoices/{pre_invoice.pk}")
    deleted_copy = chief.delete(f"/api/pre-invoices/{copy['id']}")

    assert refused.status_code == 403 and "actions spéciales" in refused.json()["detail"]
    assert copy["copied_from"] == f"#{pre_invoice.pk}"
    assert typed.status_code == 200 and typed.json()["total_including_vat"] == "180.00"
    assert draft_line.status_code == 409
    assert named.status_code == 200 and named.json()["lines"][0]["designation"] == "Forfait 2026"
    assert (deleted_draft.status_code, deleted_copy.status_code) == (409, 204)
