"""Duplicating a pre-invoice: a copy typed by hand, kept by runs, billed outside the items' ledger."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from prebill.audit.models import AuditEvent
from prebill.billing import services
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.models import InvoiceLineItem
from prebill.invoicing.services import validate_pre_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def draft(firm):
    client = f.client(code="ACME")
    consultant = f.collaborator(hourly="100")
    for hours in ("10", "2.5"):
        engagement = f.engagement(client)
        f.time_part(engagement)
        f.time_entry(consultant, engagement, date(2026, 11, 3), hours)
    run_pre_billing(period=NOV)
    return PreInvoice.objects.get()


@pytest.fixture
def chief(user_with):
    user = user_with("preparer", username="chief")
    user.user_permissions.add(Permission.objects.get(codename="special_actions"))
    return user


def test_a_copy_has_the_same_lines_survives_runs_and_bills_no_item(draft, chief):
    copy = services.duplicate_pre_invoice(pre_invoice_id=draft.pk, user=chief)

    run_pre_billing(period=NOV)
    rebuilt = PreInvoice.objects.get(source="run")
    copy.refresh_from_db()
    invoice = validate_pre_invoice(pre_invoice_id=copy.pk, issue_date=date(2026, 11, 30))

    assert copy.copied_from == f"#{draft.pk}" and copy.client_id == draft.client_id
    assert [(line.designation, line.amount) for line in invoice.lines.all()] == [
        (line.designation, line.amount) for line in rebuilt.lines.all()]
    assert invoice.total_including_vat == rebuilt.total_including_vat == Decimal("1500.00")
    assert not InvoiceLineItem.objects.exists()
    assert not BillableItem.objects.filter(status="billed").exists()
    assert list(PreInvoice.objects.values_list("pk", flat=True)) == [rebuilt.pk]


def test_typing_a_copy_line_recomputes_amount_vat_and_totals_exactly(draft, chief):
    copy = services.duplicate_pre_invoice(pre_invoice_id=draft.pk, user=chief)
    first, second = copy.lines.order_by("position")

    services.change_copy_line(line_id=second.pk, quantity=Decimal("3.333"), unit_price=Decimal("99.99"), user=chief)
    services.remove_copy_line(line_id=first.pk, user=chief)
    copy.refresh_from_db()

    [line] = copy.lines.all()
    [vat] = copy.vat_lines.all()
    assert line.amount == Decimal("333.27")
    assert (copy.total_excluding_vat, vat.vat, copy.total_including_vat) == (
        Decimal("333.27"), Decimal("66.65"), Decimal("399.92"))
    with pytest.raises(services.EditRefused, match="au moins une ligne"):
        services.remove_copy_line(line_id=line.pk, user=chief)
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "duplicate", "change_copy_line", "remove_copy_line"]


def test_a_draft_of_billable_items_is_not_typed_by_hand_nor_deleted(draft, chief):
    line = draft.lines.first()

    with pytest.raises(services.EditRefused, match="éléments facturables"):
        services.change_copy_line(line_id=line.pk, quantity=Decimal(1), unit_price=Decimal(1), user=chief)
    with pytest.raises(services.EditRefused, match="Seule une copie"):
        services.delete_copy(pre_invoice_id=draft.pk, user=chief)

    assert PreInvoice.objects.get().total_excluding_vat == Decimal("1250.00")


def test_copies_are_refused_without_the_special_actions_permission(client, user_with, draft, chief):
    clerk = user_with("preparer")
    client.force_login(clerk)

    response = client.post(f"/billing/pre-invoices/{draft.pk}/duplicate/", follow=True)

    assert "actions spéciales" in response.content.decode()
    assert PreInvoice.objects.count() == 1
    copy = services.duplicate_pre_invoice(pre_invoice_id=draft.pk, user=chief)
    with pytest.raises(services.SpecialActionRefused):
        services.delete_copy(pre_invoice_id=copy.pk, user=clerk)
    client.post(f"/billing/lines/{copy.lines.first().pk}/change/", {"quantity": "9", "unit_price": "9"})
    assert copy.lines.first().amount == Decimal("1000.00")


def test_the_copy_is_made_typed_and_deleted_from_its_page(client, draft, chief):
    client.force_login(chief)

    response = client.post(f"/billing/pre-invoices/{draft.pk}/duplicate/", follow=True)
    copy = PreInvoice.objects.filter(source="copy").get()
    line = copy.lines.order_by("position").last()
    client.post(f"/billing/lines/{line.pk}/change/", {"quantity": "3", "unit_price": "1 000,50"})
    copy.refresh_from_db()
    client.post(f"/billing/pre-invoices/{copy.pk}/delete/")

    assert "Copie de la pré-facture" in response.content.decode()
    assert copy.total_excluding_vat == Decimal("4001.50")
    assert not PreInvoice.objects.filter(source="copy").exists()
