"""A quantity changed where the clerk sees it: one item of a pre-invoice line, in its unit; the draft follows."""

from decimal import Decimal as D

import pytest

from prebill.audit.models import AuditEvent
from prebill.billing.decisions import DecisionRefused, change_quantity
from prebill.billing.models import BillableItem, PreInvoice

from .test_decisions import draft_of, month  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_a_quantity_changed_on_the_page_is_billed_and_audited(month, client, user_with):  # noqa: F811
    document = draft_of(month[0])
    item = BillableItem.objects.filter(client=month[0]).order_by("pk").first()
    before = document.total_excluding_vat
    client.force_login(user_with("preparer"))
    line_page = client.get(f"/billing/lines/{item.pre_invoice_line_id}/sources/").content.decode()
    assert 'data-test="change-quantity"' in line_page

    answer = client.post(f"/billing/pre-invoices/{document.pk}/items/{item.pk}/quantity/",
                         {"quantity": "2,5", "version": document.version})

    item.refresh_from_db()
    document = PreInvoice.objects.get(pk=document.pk)
    assert answer.status_code == 302 and item.adjusted_quantity == D("2.5")
    line = document.lines.get(pk=item.pre_invoice_line_id)
    assert line.quantity == D("2.5") and line.amount == (line.quantity * line.unit_price).quantize(D("0.01"))
    assert document.total_excluding_vat == before + line.unit_price * D("1.5")
    event = AuditEvent.objects.get(action="change_quantity")
    assert (event.before, event.after["quantity"]) == ({"quantity": "1.0000"}, "2.5")


def test_a_stale_page_or_a_negative_quantity_changes_nothing(month, user_with):  # noqa: F811
    document = draft_of(month[1])
    item = BillableItem.objects.filter(client=month[1]).order_by("pk").first()

    with pytest.raises(DecisionRefused):
        change_quantity(pre_invoice_id=document.pk, version=document.version + 1, item_id=item.pk, quantity=D("2"))
    with pytest.raises(DecisionRefused):
        change_quantity(pre_invoice_id=document.pk, version=document.version, item_id=item.pk, quantity=D("-1"))

    item.refresh_from_db()
    assert item.adjusted_quantity is None and not AuditEvent.objects.filter(action="change_quantity").exists()


def test_only_a_preparer_changes_quantities(month, client, user_with):  # noqa: F811
    document = draft_of(month[2])
    item = BillableItem.objects.filter(client=month[2]).order_by("pk").first()
    client.force_login(user_with("validator"))

    answer = client.post(f"/billing/pre-invoices/{document.pk}/items/{item.pk}/quantity/", {"quantity": "9"})

    assert answer.status_code == 403 and BillableItem.objects.get(pk=item.pk).adjusted_quantity is None
