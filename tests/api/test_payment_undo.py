"""Undoing a payment through the API: cancel a payment, remove or correct an allocation, each for its role, with
the reason; refusals are 409 in French."""

import json
from datetime import date

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.audit.models import AuditEvent
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.payments.models import Allocation, Payment
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(firm, user_with):
    """F2026-000001 (120.00 incl. VAT) validated and paid 150.00 (30.00 left as a deposit) through the API."""
    f.fixed_fee_part(f.engagement(f.client(code="ACME")), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    callers = {}
    for role in ("validator", "collections", "accountant"):
        _, key = ApiToken.issue(user=user_with(role, username=role), name="t")
        callers[role] = Client(headers={"Authorization": f"Bearer {key}"})
    post(callers["validator"], f"/api/pre-invoices/{PreInvoice.objects.get().pk}/validate",
         {"issue_date": "2026-11-30"})
    payment = post(callers["collections"], "/api/payments", {
        "client": "ACME", "date": "2026-12-15", "amount": "150.00",
        "allocations": [{"invoice": "F2026-000001", "amount": "120.00"}]}).json()
    return callers, payment["id"]


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _due(caller) -> str:
    return caller.get("/api/invoices/F2026-000001").json()["amount_due"]


def test_an_allocation_is_removed_with_its_reason_by_collections_only(paid):
    callers, payment = paid
    allocation = Allocation.objects.get(payment_id=payment)

    refused = post(callers["validator"], f"/api/allocations/{allocation.pk}/remove", {"reason": "erreur"})
    no_reason = post(callers["collections"], f"/api/allocations/{allocation.pk}/remove", {"reason": ""})
    removed = post(callers["collections"], f"/api/allocations/{allocation.pk}/remove", {"reason": "mauvaise facture"})
    again = post(callers["collections"], f"/api/allocations/{allocation.pk}/remove", {"reason": "mauvaise facture"})

    assert refused.status_code == 403 and no_reason.status_code == 422
    assert removed.status_code == 200 and removed.json() == {
        "allocation": allocation.pk, "payment": payment, "invoice": "F2026-000001", "amount_due": "120.00",
        "deposit_left": "150.00"}
    assert again.status_code == 409 and "a déjà été retiré" in again.json()["detail"]
    assert _due(callers["validator"]) == "120.00"
    assert AuditEvent.objects.get(action="remove_allocation").after["reason"] == "mauvaise facture"


def test_an_allocation_is_corrected_to_the_right_amount(paid):
    callers, payment = paid
    allocation = Allocation.objects.get(payment_id=payment)

    corrected = post(callers["collections"], f"/api/allocations/{allocation.pk}/correct",
                     {"reason": "montant mal saisi", "amount": "100.00"})

    assert corrected.status_code == 201
    assert corrected.json()["amount_due"] == "20.00" and corrected.json()["deposit_left"] == "50.00"
    assert corrected.json()["allocation"] != allocation.pk


def test_a_payment_is_cancelled_once(paid):
    callers, payment = paid

    cancelled = post(callers["collections"], f"/api/payments/{payment}/cancel", {"reason": "doublon"})
    twice = post(callers["collections"], f"/api/payments/{payment}/cancel", {"reason": "doublon"})
    missing = post(callers["collections"], "/api/payments/999999/cancel", {"reason": "doublon"})

    assert cancelled.status_code == 200 and cancelled.json() == {"id": payment, "deposit_left": "0.00"}
    assert twice.status_code == 409 and "a déjà été annulé" in twice.json()["detail"]
    assert missing.status_code == 404
    assert Payment.all_objects.get(pk=payment).cancel_reason == "doublon"
    assert _due(callers["validator"]) == "120.00"
    used = post(callers["collections"], f"/api/payments/{payment}/allocations",
                {"invoice": "F2026-000001", "amount": "10.00"})
    assert used.status_code == 404  # a payment cancelled is no longer one to use
