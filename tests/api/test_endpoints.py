"""The REST API as an integrator uses it: bearer tokens, roles, paginated lists, bulk pushes, runs."""

import json
from datetime import date

import pytest
from django.test import Client

from prebill.activity.models import TimeEntry
from prebill.api.models import ApiToken
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.engagements.models import Installment
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def portfolio(org):
    client = f.client(code="C1")
    consulting = f.engagement(client, code="E-CONS")
    f.time_part(consulting)
    f.collaborator(code="ANNE", hourly="100")
    fees = f.engagement(client, code="E-FEE")
    f.fixed_fee_part(fees, installments=[(date(2026, 11, 30), "500.00"), (date(2026, 12, 31), "500.00")])
    return client


def api_client(user_with, *roles) -> Client:
    _, key = ApiToken.issue(user=user_with(*roles, username=f"api-{'-'.join(roles) or 'none'}"), name="tool")
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_every_endpoint_refuses_a_missing_or_revoked_token(portfolio, user_with):
    user = user_with("preparer")
    token, key = ApiToken.issue(user=user, name="old")
    token.revoke()
    anonymous, revoked = Client(), Client(headers={"Authorization": f"Bearer {key}"})

    for caller in (anonymous, revoked):
        assert caller.get("/api/clients").status_code == 401
        assert post(caller, "/api/time-entries/bulk", []).status_code == 401
        assert caller.get("/api/clients").json() == {"detail": "authentification requise : un jeton d'accès (bearer) valide"}


def test_roles_decide_what_a_token_may_do(portfolio, user_with):
    collections = api_client(user_with, "collections")
    validator = api_client(user_with, "validator")

    assert collections.get("/api/clients").status_code == 200
    assert collections.get("/api/pre-invoices", {"period": "2026-11"}).status_code == 200
    assert post(collections, "/api/runs", {"period": "2026-11"}).status_code == 403
    assert post(validator, "/api/runs", {"period": "2026-11"}).status_code == 403
    assert post(validator, "/api/time-entries/bulk", []).status_code == 403
    assert api_client(user_with).get("/api/clients").status_code == 403


def test_lists_are_paginated_and_read_the_portfolio(portfolio, user_with):
    api = api_client(user_with, "preparer")

    clients = api.get("/api/clients", {"limit": 1}).json()
    engagement = api.get("/api/engagements/E-FEE").json()
    installments = api.get("/api/engagements/E-FEE/parts/FORFAIT/installments").json()

    assert clients == {"items": [{"code": "C1", "name": portfolio.name, "siren": portfolio.siren, "siret": "",
                                  "vat_number": portfolio.vat_number, "email": "", "active": True}], "count": 1}
    assert engagement["client"] == "C1" and engagement["parts"][0]["kind"] == "fixed_fee"
    assert [(i["due_date"], i["amount"], i["billed"]) for i in installments] == [
        ("2026-11-30", "500.00", False), ("2026-12-31", "500.00", False)]
    assert api.get("/api/engagements/NOPE").status_code == 404


def test_a_time_tracker_pushes_entries_in_bulk_all_or_nothing(portfolio, user_with):
    api = api_client(user_with, "preparer")
    good = {"id": "TT-1", "date": "2026-11-03", "collaborator": "ANNE", "engagement": "E-CONS", "hours": "2.5"}
    bad = {"id": "TT-2", "date": "2026-11-04", "collaborator": "NOBODY", "engagement": "E-CONS", "hours": "30"}

    refused = post(api, "/api/time-entries/bulk", [good, bad])
    accepted = post(api, "/api/time-entries/bulk", [good])
    again = post(api, "/api/time-entries/bulk", [good])

    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {"loc": "$[1].collaborator", "msg": "collaborateur inconnu 'NOBODY'"},
        {"loc": "$[1].hours", "msg": "les heures doivent être supérieures à 0 et d'au plus 24, reçu 30"}]
    assert accepted.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}
    assert TimeEntry.objects.get(external_id="TT-1").hours == 2.5


def test_malformed_payloads_get_json_errors_with_their_path(portfolio, user_with):
    api = api_client(user_with, "preparer")

    wrong_date = post(api, "/api/time-entries/bulk", [{"id": "X", "date": "2026-02-30", "collaborator": "ANNE",
                                                       "engagement": "E-CONS", "hours": "1"}])
    not_json = api.post("/api/runs", "{", content_type="application/json")

    assert wrong_date.status_code == 422 and wrong_date.json()["detail"][0]["loc"].endswith("0.date")
    assert not_json.status_code == 400 and not_json["Content-Type"].startswith("application/json")


def test_payroll_quantities_are_pushed_and_listed(portfolio, user_with):
    api = api_client(user_with, "preparer")

    pushed = post(api, "/api/unit-metrics/bulk", [{"client": "C1", "metric": "PAYSLIPS", "period": "2026-11",
                                                    "quantity": "12"}])
    listed = api.get("/api/unit-metrics", {"client": "C1"}).json()

    assert pushed.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert listed["items"][0]["quantity"] == "12.0000" and listed["items"][0]["metric"] == "PAYSLIPS"


def test_start_a_run_then_read_its_pre_invoices_with_their_sources(portfolio, user_with):
    api = api_client(user_with, "preparer")

    started = post(api, "/api/runs", {"period": "2026-11"})
    run = api.get(f"/api/runs/{started.json()['id']}").json()
    documents = api.get("/api/pre-invoices", {"period": "2026-11"}).json()["items"]
    detail = api.get(f"/api/pre-invoices/{documents[0]['id']}").json()
    items = api.get("/api/billable-items", {"period": "2026-11", "client": "C1"}).json()

    assert started.status_code == 202 and run["status"] == "done" and run["summary"]["pre_invoices"] == 1
    assert documents[0]["total_excluding_vat"] == "500.00"
    assert detail["lines"][0]["items"][0]["type"] == "installment"
    assert items["count"] == 1 and items["items"][0]["amount"] == "500.00"


def test_an_installment_is_changed_until_it_is_billed(portfolio, user_with):
    api = api_client(user_with, "preparer")
    first, second = Installment.objects.order_by("due_date")
    run_pre_billing(period=NOV)
    BillableItem.objects.filter(installment=first).update(status="billed")

    changed = api.put(f"/api/installments/{second.pk}", json.dumps(
        {"due_date": "2026-12-15", "amount": "450.00", "label": "Solde"}), content_type="application/json")
    refused = api.put(f"/api/installments/{first.pk}", json.dumps(
        {"due_date": "2026-11-30", "amount": "1.00"}), content_type="application/json")

    assert changed.status_code == 200 and changed.json()["amount"] == "450.00"
    assert refused.status_code == 409 and "corrigez-la par un avoir" in refused.json()["detail"]
    assert Installment.objects.get(pk=first.pk).amount == 500


def test_the_schema_and_docs_are_served_to_staff_only(portfolio, client, user_with):
    client.force_login(user_with("preparer"))

    schema = client.get("/api/openapi.json")

    assert schema.status_code == 200 and "/api/time-entries/bulk" in schema.json()["paths"]
    assert client.get("/api/docs").status_code == 200
    assert Client().get("/api/openapi.json").status_code == 302


def test_a_user_creates_a_token_sees_it_once_and_revokes_it(user_with, db):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user_with("preparer"))
    page = browser.get("/api-tokens/")
    csrf = page.cookies["csrftoken"].value

    created = browser.post("/api-tokens/", {"name": "Timesheets", "csrfmiddlewaretoken": csrf})
    key = created.context["new_key"]
    token = ApiToken.objects.get(name="Timesheets")
    listed = browser.get("/api-tokens/").content.decode()
    without_csrf = Client(enforce_csrf_checks=True)
    without_csrf.force_login(token.user)
    forged = without_csrf.post("/api-tokens/", {"revoke": token.pk})
    browser.post("/api-tokens/", {"revoke": token.pk, "csrfmiddlewaretoken": csrf})

    assert key.startswith(token.prefix) and key not in listed and token.key_hash != key
    assert forged.status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert Client(headers={"Authorization": f"Bearer {key}"}).get("/api/clients").status_code == 401


def test_pre_invoices_need_a_valid_period(portfolio, user_with):
    api = api_client(user_with, "preparer")

    assert api.get("/api/pre-invoices", {"period": "2026-13"}).status_code == 422
    assert not PreInvoice.objects.exists()


def test_bad_metric_and_installment_payloads_are_refused_with_their_paths(portfolio, user_with):
    api = api_client(user_with, "preparer")
    installment = Installment.objects.first()

    metrics = post(api, "/api/unit-metrics/bulk", [{"client": "NOPE", "metric": "PAYSLIPS", "period": "2026-11",
                                                     "quantity": "-1"}])
    bad_period = post(api, "/api/unit-metrics/bulk", [{"client": "C1", "metric": "P", "period": "11/2026",
                                                        "quantity": "1"}])
    negative = api.put(f"/api/installments/{installment.pk}", json.dumps({"due_date": "2026-11-30", "amount": "-5"}),
                       content_type="application/json")

    assert metrics.status_code == 422 and metrics.json()["detail"] == [
        {"loc": "$[0].client", "msg": "client inconnu 'NOPE'"}, {"loc": "$[0].quantity", "msg": "quantité -1 : valeur négative"}]
    assert bad_period.status_code == 422 and "period" in bad_period.json()["detail"][0]["loc"]
    assert negative.status_code == 422 and negative.json()["detail"][0]["loc"].endswith("amount")
    assert api.put("/api/installments/999999", json.dumps({"due_date": "2026-11-30", "amount": "5"}),
                   content_type="application/json").status_code == 404
