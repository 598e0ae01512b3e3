"""Each role does its own step of an invoice's life, and only that."""

from datetime import date

import pytest

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def pre_invoice(firm):
    f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    return PreInvoice.objects.get()


@pytest.fixture
def as_role(client, user_with):
    users = {}

    def log_in(role):
        if role not in users:
            users[role] = user_with(role, username=role)
        client.force_login(users[role])
        return client

    return log_in


STEPS = {"post": "/accounting/invoices/{pk}/post/", "pay": "/payments/invoices/{pk}/pay/",
         "credit": "/invoices/{pk}/credit/"}


def test_each_step_belongs_to_its_role(client, as_role, pre_invoice):
    for role in ("preparer", "accountant", "collections"):
        assert as_role(role).post(f"/invoices/validate/{pre_invoice.pk}/").status_code == 403

    as_role("validator").post(f"/invoices/validate/{pre_invoice.pk}/")
    invoice = Invoice.objects.get()
    for role, step in (("validator", "post"), ("collections", "post"), ("validator", "pay"), ("accountant", "pay"),
                       ("accountant", "credit"), ("collections", "credit")):
        assert as_role(role).post(STEPS[step].format(pk=invoice.pk)).status_code == 403, (role, step)

    as_role("accountant").post(f"/accounting/invoices/{invoice.pk}/post/")
    as_role("collections").post(f"/payments/invoices/{invoice.pk}/pay/", {"amount": "120.00"})

    assert Invoice.objects.get(pk=invoice.pk).state == "paid"
    assert client.get("/payments/aged-balance/").context["totals"]["total"] == 0


def test_a_refused_validation_says_why(as_role, pre_invoice):
    validator = as_role("validator")
    validator.post(f"/invoices/validate/{pre_invoice.pk}/")

    again = validator.post(f"/invoices/validate/{pre_invoice.pk}/", follow=True)

    assert "a été validée en facture F2026-000001" in again.content.decode()


def test_the_audit_trail_is_readable_by_the_validator(as_role, pre_invoice):
    validator = as_role("validator")
    validator.post(f"/invoices/validate/{pre_invoice.pk}/")

    page = validator.get("/audit/")

    assert page.status_code == 200 and [e.action for e in page.context["page"]] == ["validate"]
    assert as_role("collections").get("/audit/").status_code == 403


def test_a_deposit_recorded_on_the_client_settles_its_invoice_later(as_role, pre_invoice):
    as_role("validator").post(f"/invoices/validate/{pre_invoice.pk}/")
    invoice = Invoice.objects.get()
    as_role("accountant").post(f"/accounting/invoices/{invoice.pk}/post/")
    collections = as_role("collections")
    collections.post(f"/payments/deposits/{invoice.client.code}/", {"amount": "50,00", "date": "2026-11-02"})

    page = collections.get(f"/invoices/{invoice.pk}/")
    [(payment, left)] = page.context["deposits"]
    collections.post(f"/payments/invoices/{invoice.pk}/use-deposit/", {"payment": payment.pk})

    assert left == 50
    assert Invoice.objects.get(pk=invoice.pk).state == "partly_paid"
    assert collections.get(f"/invoices/{invoice.pk}/").context["due"] == 70


def test_a_validator_credits_part_of_an_item_from_the_page(as_role, pre_invoice):
    validator = as_role("validator")
    validator.post(f"/invoices/validate/{pre_invoice.pk}/")
    invoice = Invoice.objects.get(kind="invoice")
    [share] = validator.get(f"/invoices/{invoice.pk}/").context["shares"]

    validator.post(f"/invoices/{invoice.pk}/credit/", {f"item-{share.item_id}": "0,5"})

    note = Invoice.objects.get(kind="credit_note")
    assert (note.credited_invoice, note.total_excluding_vat) == (invoice, 50)
