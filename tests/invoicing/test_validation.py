"""Validation: legal numbers, snapshots, immutability; credit notes by item and quantity."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from prebill.audit.models import AuditEvent
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.ledger import CreditRefused
from prebill.core.periods import Period
from prebill.imports.portfolio import export_portfolio, import_portfolio
from prebill.imports.problems import ImportRejected
from prebill.invoicing import services
from prebill.invoicing.models import Invoice, InvoiceLine, InvoiceVat, SeriesCounter
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)
ISSUED = date(2026, 11, 30)


def one_fixed_fee_per_client(count: int) -> list[int]:
    for n in range(count):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), f"{100 + n}.10")])
    run_pre_billing(period=NOV)
    return list(PreInvoice.objects.filter(period=NOV.first_day).order_by("id").values_list("id", flat=True))


def test_validation_numbers_and_freezes_a_snapshot_of_the_pre_invoice(firm, user_with):
    [pre_id] = one_fixed_fee_per_client(1)
    pre = PreInvoice.objects.get(pk=pre_id)
    validator = user_with("validator")

    invoice = services.validate_pre_invoice(pre_invoice_id=pre_id, user=validator, issue_date=ISSUED)

    assert invoice.number == "F2026-000001" and invoice.due_date == date(2026, 12, 30)
    assert invoice.buyer_code == pre.client.code and invoice.seller_siren == firm.siren
    assert invoice.total_excluding_vat == sum(line.amount for line in invoice.lines.all()) == Decimal("100.10")
    assert invoice.total_vat == sum(v.vat for v in invoice.vat_lines.all()) == Decimal("20.02")
    assert BillableItem.objects.get(invoice_shares__line__invoice=invoice).status == "billed"
    assert not PreInvoice.objects.filter(pk=pre_id).exists()
    assert AuditEvent.objects.get(action="validate").user == validator


def test_numbers_follow_each_other_and_dates_never_go_back(firm):
    first, second, third = one_fixed_fee_per_client(3)

    numbers = [services.validate_pre_invoice(pre_invoice_id=pk, issue_date=ISSUED).number for pk in (first, second)]
    with pytest.raises(services.ValidationRefused, match="chronological"):
        services.validate_pre_invoice(pre_invoice_id=third, issue_date=date(2026, 11, 29))

    assert numbers == ["F2026-000001", "F2026-000002"]
    assert services.validate_pre_invoice(pre_invoice_id=third, issue_date=ISSUED).number == "F2026-000003"


def test_an_invoice_dated_in_the_future_is_refused_and_opens_no_series(firm):
    from datetime import timedelta

    from django.utils import timezone

    [pk] = one_fixed_fee_per_client(1)
    tomorrow = timezone.localdate() + timedelta(days=1)

    with pytest.raises(services.ValidationRefused, match="in the future"):
        services.validate_pre_invoice(pre_invoice_id=pk, issue_date=tomorrow)
    with pytest.raises(services.ValidationRefused, match="in the future"):
        services.validate_pre_invoice(pre_invoice_id=pk, issue_date=date(tomorrow.year + 1, 1, 15))

    assert not SeriesCounter.objects.exists()
    assert services.validate_pre_invoice(pre_invoice_id=pk, issue_date=timezone.localdate()).sequence == 1


def test_a_validation_failing_half_way_loses_no_number(firm, monkeypatch):
    first, second = one_fixed_fee_per_client(2)

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(InvoiceVat.objects, "bulk_create", broken)
    with pytest.raises(DatabaseError):
        services.validate_pre_invoice(pre_invoice_id=first, issue_date=ISSUED)
    monkeypatch.undo()

    assert services.validate_pre_invoice(pre_invoice_id=second, issue_date=ISSUED).number == "F2026-000001"
    assert services.validate_pre_invoice(pre_invoice_id=first, issue_date=ISSUED).number == "F2026-000002"


def test_an_item_is_never_billed_twice(firm):
    [pre_id] = one_fixed_fee_per_client(1)
    services.validate_pre_invoice(pre_invoice_id=pre_id, issue_date=ISSUED)

    run_pre_billing(period=NOV)

    assert not PreInvoice.objects.filter(period=NOV.first_day).exists()
    with pytest.raises(services.ValidationRefused, match="validée en facture"):
        services.validate_pre_invoice(pre_invoice_id=pre_id, issue_date=ISSUED)


@pytest.mark.parametrize("edit", [
    lambda invoice: Invoice.objects.filter(pk=invoice.pk).update(total_including_vat=Decimal("1")),
    lambda invoice: Invoice.objects.filter(pk=invoice.pk).update(number="F2026-999999"),
    lambda invoice: Invoice.objects.filter(pk=invoice.pk).delete(),
    lambda invoice: InvoiceLine.objects.filter(invoice=invoice).update(amount=Decimal("0")),
    lambda invoice: InvoiceLine.objects.filter(invoice=invoice).delete(),
    lambda invoice: InvoiceVat.objects.filter(invoice=invoice).update(vat=Decimal("0")),
    lambda invoice: invoice.save(),
    lambda invoice: AuditEvent.objects.update(action="nothing"),
    lambda invoice: connection.cursor().execute("UPDATE invoicing_invoice SET buyer_name = 'x'"),
])
def test_every_edit_path_of_a_validated_invoice_is_refused(firm, edit):
    [pre_id] = one_fixed_fee_per_client(1)
    invoice = services.validate_pre_invoice(pre_invoice_id=pre_id, issue_date=ISSUED)

    with pytest.raises(DatabaseError, match=r"never change|protected foreign keys"), transaction.atomic():
        edit(invoice)

    assert Invoice.objects.get(pk=invoice.pk).total_including_vat == Decimal("120.12")


def test_only_the_state_of_an_invoice_moves_on(firm):
    [pre_id] = one_fixed_fee_per_client(1)
    invoice = services.validate_pre_invoice(pre_invoice_id=pre_id, issue_date=ISSUED)

    Invoice.objects.filter(pk=invoice.pk).update(state="posted")

    assert Invoice.objects.get(pk=invoice.pk).state == "posted"


@pytest.fixture
def ten_hours(firm):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    entry = f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, 3), "10")
    run_pre_billing(period=NOV)
    invoice = services.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(client=client).pk, issue_date=ISSUED)
    return invoice, BillableItem.objects.get(time_entry=entry)


def test_credit_4_of_10_hours_then_rebill_brings_back_exactly_those_4_hours(ten_hours):
    invoice, item = ten_hours

    note = services.issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal("4")}, rebill=True,
                                      issue_date=date(2026, 12, 1))
    december = run_pre_billing(period=NOV.shift(1))
    rebilled = services.validate_pre_invoice(
        pre_invoice_id=PreInvoice.objects.get(period=date(2026, 12, 1)).pk, issue_date=date(2026, 12, 2))
    january = run_pre_billing(period=NOV.shift(2))

    assert (note.number, note.credited_invoice, note.total_excluding_vat) == ("AV2026-000001", invoice, Decimal("400.00"))
    assert december.items_on_pre_invoices == 1
    assert [(line.quantity, line.amount) for line in rebilled.lines.all()] == [(Decimal("4"), Decimal("400.00"))]
    assert january.pre_invoices == 0
    item.refresh_from_db()
    assert (item.quantity, item.billed_quantity, item.status) == (Decimal("10"), Decimal("10"), "billed")


def test_a_credit_cannot_exceed_what_the_invoice_billed(ten_hours):
    invoice, item = ten_hours
    services.issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal("4")}, rebill=False,
                               issue_date=date(2026, 12, 1))

    with pytest.raises(CreditRefused, match="only 6 of what this invoice billed is left"):
        services.issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal("7")}, rebill=False,
                                   issue_date=date(2026, 12, 2))


def test_credited_hours_not_rebilled_never_come_back(ten_hours):
    invoice, item = ten_hours

    services.issue_credit_note(invoice_id=invoice.pk, quantities=None, rebill=False, issue_date=date(2026, 12, 1))
    december = run_pre_billing(period=NOV.shift(1))

    item.refresh_from_db()
    assert december.pre_invoices == 0
    assert (item.billed_quantity, item.written_off_quantity, item.status) == (Decimal("0"), Decimal("10"), "billed")


def test_an_engagements_currency_cannot_change_once_invoiced(firm):
    [pre_id] = one_fixed_fee_per_client(1)
    services.validate_pre_invoice(pre_invoice_id=pre_id, issue_date=ISSUED)
    data = export_portfolio()
    data["engagements"][0]["currency"] = "USD"

    with pytest.raises(ImportRejected) as rejected:
        import_portfolio(data)

    assert "its currency cannot change" in rejected.value.problems[0].why
