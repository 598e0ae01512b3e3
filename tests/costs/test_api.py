"""Rebillable costs through the API: bulk declarations, proofs, the untreated list, the invoice they go on."""

import json
from datetime import date

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.models import BillableItem
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.costs.models import Expense
from prebill.organisation.models import Organisation
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(firm, settings, tmp_path):
    settings.PREBILL_FILES_DIR = tmp_path
    Organisation.objects.update(expense_article=f.article("FRAIS"))
    engagement = f.engagement(f.client(code="ACME"), "P-1")
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "1000.00")])
    return f.collaborator("ANNE")


@pytest.fixture
def api(user_with):
    def make(role):
        _, key = ApiToken.issue(user=user_with(role, username=role), name="t")
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


def test_declare_attach_list_and_join_through_the_api(acme, api):
    preparer, validator = api("preparer"), api("validator")
    row = {"collaborator": "ANNE", "client": "ACME", "engagement": "P-1", "date": "2026-11-10", "nature": "Train",
           "amount_excluding_vat": "84.50", "amount_including_vat": 92.95, "vat_rate": 10, "rebillable": True}

    bad = preparer.post("/api/expenses/bulk", json.dumps([row, {**row, "client": "NOBODY"}]),
                        content_type="application/json")
    refused = validator.post("/api/expenses/bulk", json.dumps([row]), content_type="application/json")
    made = preparer.post("/api/expenses/bulk", json.dumps([row]), content_type="application/json").json()
    disguised = preparer.post(f"/api/expenses/{made['ids'][0]}/receipt",
                              {"file": ("ticket.pdf", b"MZ not a pdf", "application/pdf")})
    from django.core.files.uploadedfile import SimpleUploadedFile
    receipt = preparer.post(f"/api/expenses/{made['ids'][0]}/receipt",
                            {"file": SimpleUploadedFile("ticket.pdf", b"%PDF-1.4 ok", "application/pdf")})
    run_pre_billing(period=Period(2026, 11))
    listed = validator.get("/api/costs", {"period": "2026-11"}).json()
    fee = BillableItem.objects.get(installment__isnull=False)
    joined = preparer.put(f"/api/cost-items/{listed[0]['id']}/invoice", json.dumps({"fixed_fee_item": fee.pk}),
                          content_type="application/json")

    assert bad.status_code == 422 and bad.json()["detail"] == [{"loc": "$[1].client", "msg": "client inconnu 'NOBODY'"}]
    assert refused.status_code == 403 and made["created"] == 1
    assert disguised.status_code == 422 and receipt.status_code == 201
    assert Expense.objects.get().receipt.original_name == "ticket.pdf"
    assert [(c["kind"], c["amount"]) for c in listed] == [("expense", "84.50")]
    assert joined.json()["grouping"] == f"installment:{fee.installment_id}"


def test_activity_reports_count_days_from_time_and_keep_the_signed_file(acme, api, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from prebill.engagements.models import Engagement

    engagement = Engagement.objects.get(code="P-1")
    for day in (2, 3, 4):
        f.time_entry(acme, engagement, date(2026, 11, day), "7")
    f.time_entry(acme, engagement, date(2026, 11, 5), "3.5")
    preparer = api("preparer")

    signed = preparer.post(f"/api/activity-reports/{acme.pk}/{engagement.pk}/2026-11/signed",
                           {"file": SimpleUploadedFile("cra.pdf", b"%PDF-1.7 signed", "application/pdf")})
    reports = preparer.get("/api/activity-reports", {"month": "2026-11"}).json()

    assert signed.status_code == 201
    assert reports == [{"collaborator": "ANNE", "engagement": "P-1", "days": "3.50", "signed": signed.json()["signed"]}]
