"""No back door: the admin shows the ledger (items, invoices, entries, audit...) but never writes it."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.urls import reverse

from prebill.accounting.services import post_invoice
from prebill.audit.models import AuditEvent
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.engagements.models import Installment
from prebill.invoicing.models import InvoiceLine, SeriesCounter
from prebill.invoicing.services import validate_pre_invoice
from prebill.payments.services import record_payment, reserve_deposit
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV, DEC = Period(2026, 11), Period(2026, 12)


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-test-1"))
    return client


@pytest.fixture
def ledger(firm):
    """One fixed fee: November's installment invoiced, posted and paid; December's only on a draft.

    The payment leaves a deposit, part of it set aside for December's draft.
    """
    part = f.fixed_fee_part(f.engagement(f.client()),
                            installments=[(date(2026, 11, 30), "1000.00"), (date(2026, 12, 31), "1000.00")])
    run_pre_billing(period=NOV)
    pre = PreInvoice.objects.get(period=NOV.first_day)
    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))
    entry = post_invoice(invoice_id=invoice.pk)
    payment = record_payment(client_id=invoice.client_id, day=date(2026, 12, 5), method="transfer",
                             amount=Decimal("1500.00"), allocations={invoice.pk: Decimal("1200.00")})
    run_pre_billing(period=DEC)
    draft = PreInvoice.objects.get(period=DEC.first_day)
    reserve_deposit(payment=payment, pre_invoice_id=draft.pk, amount=Decimal("100.00"))
    billed, unbilled = part.installments.order_by("due_date")
    return {"part": part, "item": billed.billable_item, "invoice": invoice, "entry": entry, "payment": payment,
            "draft": draft, "billed": billed, "unbilled": unbilled}


def _ledger_rows(ledger):
    """A row of each read-only admin, as the database holds it now."""
    rows = {
        "billing_billableitem": ledger["item"],
        "billing_preinvoice": ledger["draft"],
        "invoicing_invoice": ledger["invoice"],
        "invoicing_invoiceline": InvoiceLine.objects.get(invoice=ledger["invoice"]),
        "invoicing_seriescounter": SeriesCounter.objects.get(),
        "accounting_journalentry": ledger["entry"],
        "payments_payment": ledger["payment"],
        "audit_auditevent": AuditEvent.objects.filter(action="validate").get(),
    }
    return {name: type(row).objects.get(pk=row.pk) for name, row in rows.items()}


ADMINS = ["billing_billableitem", "billing_preinvoice", "invoicing_invoice", "invoicing_invoiceline",
          "invoicing_seriescounter", "accounting_journalentry", "payments_payment", "audit_auditevent"]


@pytest.mark.parametrize("name", ADMINS)
def test_ledger_rows_are_listed_and_shown(admin_client, ledger, name):
    row = _ledger_rows(ledger)[name]

    listing = admin_client.get(reverse(f"admin:{name}_changelist"))
    page = admin_client.get(reverse(f"admin:{name}_change", args=[row.pk]))

    assert listing.status_code == 200 and page.status_code == 200
    assert listing.context["cl"].result_count == type(row).objects.count() >= 1
    assert b"delete_selected" not in listing.content and not listing.context["action_form"]
    assert page.context["has_change_permission"] is False and b'name="_save"' not in page.content
    form = page.content.split(f'id="{type(row)._meta.model_name}_form"'.encode(), 1)[1].split(b"</form>", 1)[0]
    assert b'<div class="readonly">' in form
    fields = [tag for tag in re.findall(rb"<(?:input|select|textarea)\b[^>]*>", form)
              if b'type="hidden"' not in tag]  # the CSRF token and the inlines' management forms
    assert fields == []  # every value is shown as text, none can be typed, the inlines' neither


@pytest.mark.parametrize("name", ADMINS)
def test_ledger_rows_are_neither_added_changed_nor_deleted(admin_client, ledger, name):
    row = _ledger_rows(ledger)[name]
    model = type(row)
    before, count = model_to_dict(row), model.objects.count()
    data = {**{key: value for key, value in before.items() if value is not None and key != "id"},
            "designation": "changed", "label": "changed", "amount": "1.00", "last_number": "99", "action": "x"}

    changed = admin_client.post(reverse(f"admin:{name}_change", args=[row.pk]), data)
    deleted = admin_client.post(reverse(f"admin:{name}_delete", args=[row.pk]), {"post": "yes"})
    bulk = admin_client.post(reverse(f"admin:{name}_changelist"),
                             {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes", "index": 0})

    assert changed.status_code == 403 and deleted.status_code == 403
    assert admin_client.get(reverse(f"admin:{name}_delete", args=[row.pk])).status_code == 403
    assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:{name}_add"), data).status_code == 403
    assert bulk.status_code == 200
    assert model_to_dict(model.objects.get(pk=row.pk)) == before
    assert model.objects.count() == count


def test_the_invoice_page_shows_its_lines_and_vat_read_only(admin_client, ledger):
    page = admin_client.get(reverse("admin:invoicing_invoice_change", args=[ledger["invoice"].pk]))

    formsets = page.context["inline_admin_formsets"]
    assert [len(formset.formset.forms) for formset in formsets] == [1, 1]
    assert all(not formset.has_add_permission and not formset.has_change_permission
               and not formset.has_delete_permission for formset in formsets)
    assert ledger["invoice"].lines.get().designation.encode() in page.content


def test_the_payment_page_shows_its_allocation_and_reservation_read_only(admin_client, ledger):
    page = admin_client.get(reverse("admin:payments_payment_change", args=[ledger["payment"].pk]))

    formsets = page.context["inline_admin_formsets"]
    assert [[form.instance.amount for form in formset.formset.forms] for formset in formsets] == [
        [Decimal("1200.00")], [Decimal("100.00")]]
    assert all(not formset.has_add_permission and not formset.has_change_permission
               and not formset.has_delete_permission for formset in formsets)


def test_a_billed_installment_is_shown_but_refused_changes(admin_client, ledger):
    billed = ledger["billed"]
    assert billed.billable_item.status == BillableItem.Status.BILLED
    url = reverse("admin:engagements_installment_change", args=[billed.pk])

    page = admin_client.get(url)
    answer = admin_client.post(url, {"part": billed.part_id, "due_date": "2026-11-30", "amount": "1.00",
                                     "label": "changed"})

    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert answer.status_code == 403
    assert admin_client.post(reverse("admin:engagements_installment_delete", args=[billed.pk]),
                             {"post": "yes"}).status_code == 403
    billed.refresh_from_db()
    assert (billed.amount, billed.label) == (Decimal("1000.00"), "")


def test_an_unbilled_installment_stays_editable(admin_client, ledger):
    unbilled = ledger["unbilled"]
    url = reverse("admin:engagements_installment_change", args=[unbilled.pk])

    answer = admin_client.post(url, {"part": unbilled.part_id, "due_date": "2026-12-31", "amount": "1200.00",
                                     "label": "December, revised"})

    assert answer.status_code == 302, answer.content
    unbilled.refresh_from_db()
    assert (unbilled.amount, unbilled.label) == (Decimal("1200.00"), "December, revised")
    assert admin_client.get(reverse("admin:engagements_installment_delete", args=[unbilled.pk])).status_code == 200


def test_the_part_page_edits_only_its_unbilled_installments(admin_client, ledger):
    page = admin_client.get(reverse("admin:engagements_engagementpart_change", args=[ledger["part"].pk]))

    installments = {formset.opts.__class__.__name__: formset for formset in page.context["inline_admin_formsets"]
                    if formset.opts.model is Installment}
    editable, billed = installments["InstallmentInline"], installments["BilledInstallmentInline"]
    assert [form.instance for form in editable.formset.forms] == [ledger["unbilled"]]
    assert editable.has_change_permission and editable.has_delete_permission
    assert [form.instance for form in billed.formset.forms] == [ledger["billed"]]
    assert not (billed.has_add_permission or billed.has_change_permission or billed.has_delete_permission)
