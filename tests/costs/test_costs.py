"""Rebillable costs: valued, harvested, grouped by collaborator or joined to a fixed fee, or refused why."""

from datetime import date, time
from decimal import Decimal

import pytest

from prebill.billing import services as billing
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.selectors import rebillables
from prebill.billing.services import run_pre_billing
from prebill.clients.models import BillingConditions
from prebill.core.periods import Period
from prebill.costs import services
from prebill.costs.models import OvertimeTerms, SurchargeBand
from prebill.invoicing.services import validate_pre_invoice
from prebill.organisation.models import Organisation
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def consultancy(firm):
    Organisation.objects.update(expense_article=f.article("FRAIS"), purchase_article=f.article("ACHAT"),
                                overtime_article=f.article("HSUP"))
    client = f.client(code="ACME")
    engagement = f.engagement(client, "P-1")
    part = f.time_part(engagement)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "1000.00")])
    anne, bob = f.collaborator("ANNE", hourly="100"), f.collaborator("BOB", hourly="80")
    return client, engagement, part, anne, bob


def expense(client, engagement, who, amount="50.00", day=date(2026, 11, 10)):
    return services.declare_expense(collaborator_id=who.pk, client_id=client.pk, engagement_id=engagement.pk,
                                    day=day, nature="Train Paris-Lyon", amount_excluding_vat=Decimal(amount),
                                    amount_including_vat=Decimal(amount) * Decimal("1.1"), vat_rate=Decimal("10"))


def cost_items():
    return BillableItem.objects.filter(kind__in=["expense", "purchase", "overtime"]).order_by("pk")


def test_costs_are_valued_and_harvested(consultancy):
    client, engagement, part, anne, _ = consultancy
    expense(client, engagement, anne)
    services.declare_expense(collaborator_id=anne.pk, client_id=client.pk, engagement_id=None, day=date(2026, 11, 11),
                             nature="Repas", amount_excluding_vat=Decimal("20"), amount_including_vat=Decimal("22"),
                             vat_rate=Decimal("10"), rebillable=False)
    services.record_purchase(client_id=client.pk, engagement_id=None, day=date(2026, 11, 12), supplier="Dell",
                             reference="INV-7", amount_excluding_vat=Decimal("200"), vat_rate=Decimal("20"),
                             markup_percent=Decimal("15"))
    terms = OvertimeTerms.objects.create(part=part, hourly_rate=Decimal("100"))
    SurchargeBand.objects.create(terms=terms, day_kind="weekday", start=time(20), end=time(22), percent=25)
    SurchargeBand.objects.create(terms=terms, day_kind="weekday", start=time(22), end=time(0), percent=50)
    services.declare_overtime(collaborator_id=anne.pk, engagement_id=engagement.pk, day=date(2026, 11, 24),
                              start=time(19), end=time(23, 30))

    run_pre_billing(period=NOV)

    assert [(i.kind, i.amount, i.vat_rate) for i in cost_items()] == [
        ("expense", Decimal("50.00"), Decimal("10.00")), ("purchase", Decimal("230.00"), Decimal("20.00")),
        ("overtime", Decimal("575.00"), Decimal("20.00"))]
    assert cost_items()[2].quantity == Decimal("4.5")


def test_grouping_by_collaborator_puts_each_ones_costs_on_one_invoice(consultancy):
    client, engagement, _, anne, bob = consultancy
    for who in (anne, anne, bob):
        expense(client, engagement, who)
    run_pre_billing(period=NOV)
    before = PreInvoice.objects.filter(lines__kind="expense").distinct().count()

    billing.group_by_collaborator(period=NOV, collaborator_id=anne.pk)
    billing.group_by_collaborator(period=NOV, collaborator_id=bob.pk)

    docs = PreInvoice.objects.filter(lines__kind="expense").distinct()
    assert before == 1 and docs.count() == 2
    assert sorted(d.lines.count() for d in docs) == [1, 2]
    assert all(d.grouping_reason.startswith("frais de Collaborateur") for d in docs)


def test_a_cost_joins_the_fixed_fee_invoice_of_its_engagement(consultancy):
    client, engagement, _, anne, _ = consultancy
    expense(client, engagement, anne)
    run_pre_billing(period=NOV)
    cost, fee = cost_items().get(), BillableItem.objects.get(installment__isnull=False)

    billing.join_fixed_fee(item_id=cost.pk, installment_item_id=fee.pk)
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(lines__kind="fixed_fee").pk,
                                   issue_date=date(2026, 11, 30))

    assert sorted(line.kind for line in invoice.lines.all()) == ["expense", "fixed_fee"]
    assert invoice.total_excluding_vat == Decimal("1050.00")
    assert rebillables(NOV) == [] and len(rebillables(NOV, untreated_only=False)) == 1


def test_a_cost_joining_a_fee_of_a_later_month_leaves_its_own_months_draft(consultancy):
    client, engagement, _, anne, _ = consultancy
    f.fixed_fee_part(engagement, code="DEC", installments=[(date(2026, 12, 1), "300.00")])
    expense(client, engagement, anne)
    run_pre_billing(period=NOV)
    run_pre_billing(period=Period(2026, 12))
    cost = cost_items().get()
    december_fee = BillableItem.objects.get(installment__due_date=date(2026, 12, 1))

    billing.join_fixed_fee(item_id=cost.pk, installment_item_id=december_fee.pk)

    assert not PreInvoice.objects.filter(lines__kind="expense", period=NOV.first_day).exists()  # billed once
    assert PreInvoice.objects.get(lines__kind="expense").total_excluding_vat == Decimal("350.00")


def test_joining_is_refused_with_the_reason_when_the_conditions_differ(consultancy):
    client, engagement, _, anne, _ = consultancy
    BillingConditions.objects.create(client=client, applies_from=date(2026, 12, 1), payment_terms_days=45)
    f.fixed_fee_part(engagement, code="DEC", installments=[(date(2026, 12, 1), "300.00")])
    other = f.engagement(client, "P-2")
    f.fixed_fee_part(other, installments=[(date(2026, 11, 30), "10.00")])
    expense(client, engagement, anne)
    run_pre_billing(period=NOV)
    run_pre_billing(period=Period(2026, 12))
    cost = cost_items().get()
    december_fee = BillableItem.objects.get(installment__due_date=date(2026, 12, 1))
    other_fee = BillableItem.objects.get(engagement=other)

    with pytest.raises(services.CostRefused, match="délai de paiement : 30 jours → 45 jours"):
        billing.join_fixed_fee(item_id=cost.pk, installment_item_id=december_fee.pk)
    with pytest.raises(services.CostRefused, match="propre mission"):
        billing.join_fixed_fee(item_id=cost.pk, installment_item_id=other_fee.pk)
    assert BillableItem.objects.get(pk=cost.pk).grouping == ""


def test_the_untreated_filter_shows_costs_until_they_are_on_an_invoice(consultancy):
    client, engagement, _, anne, _ = consultancy
    expense(client, engagement, anne)
    run_pre_billing(period=NOV)
    untreated = rebillables(NOV)

    validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(lines__kind="expense").pk,
                         issue_date=date(2026, 11, 30))

    assert [i.kind for i in untreated] == ["expense"]
    assert rebillables(NOV) == [] and [i.status for i in rebillables(NOV, untreated_only=False)] == ["billed"]


def test_an_invoiced_expense_cannot_be_edited_but_a_pending_one_keeps_its_receipt(consultancy, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PREBILL_FILES_DIR = tmp_path
    client, engagement, _, anne, _ = consultancy
    first = services.declare_expense(
        collaborator_id=anne.pk, client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 10),
        nature="Taxi", amount_excluding_vat=Decimal("30"), amount_including_vat=Decimal("33"),
        vat_rate=Decimal("10"), receipt=SimpleUploadedFile("taxi.pdf", b"%PDF-1.4 receipt"))
    corrected = services.declare_expense(
        collaborator_id=anne.pk, client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 10),
        nature="Taxi", amount_excluding_vat=Decimal("32"), amount_including_vat=Decimal("35.20"),
        vat_rate=Decimal("10"), expense_id=first.pk)
    run_pre_billing(period=NOV)
    validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(lines__kind="expense").pk,
                         issue_date=date(2026, 11, 30))

    assert corrected.receipt_id == first.receipt_id is not None
    with pytest.raises(services.CostRefused, match="avoir"):
        services.declare_expense(
            collaborator_id=anne.pk, client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 10),
            nature="Taxi", amount_excluding_vat=Decimal("1"), amount_including_vat=Decimal("1.1"),
            vat_rate=Decimal("10"), expense_id=first.pk)


def test_units_entered_at_actual_are_billed_at_the_part_price(consultancy, client, user_with):
    _, engagement, *_ = consultancy
    f.units_part(engagement, price="18.50", metric="SESSIONS", code="ATELIERS")
    client.force_login(user_with("preparer"))

    client.post("/costs/units/", {"engagement": "P-1", "part": "ATELIERS", "month": "2026-11", "quantity": "4"})
    refused = client.post("/costs/units/", {"engagement": "P-1", "part": "NOPE", "month": "2026-11",
                                            "quantity": "4"}, follow=True)
    run_pre_billing(period=NOV)

    item = BillableItem.objects.get(kind="units")
    assert (item.quantity, item.amount) == (Decimal("4"), Decimal("74.00"))
    assert "NOPE" in refused.content.decode()
