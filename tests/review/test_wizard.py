"""The periodic billing wizard: review edits, moves, order matching and confirmation."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.activity.models import TimeEntry
from prebill.audit.models import AuditEvent
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.services import validate_pre_invoice
from prebill.orders.models import CustomerOrder, OrderLine
from prebill.review import services
from prebill.review.scope import Scope
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def project(firm):
    client = f.client(code="ACME")
    engagement = f.engagement(client, "P-1")
    f.time_part(engagement)
    consultant = f.collaborator("ANNE", hourly="100")
    entries = [f.time_entry(consultant, engagement, date(2026, 11, day), "3") for day in (2, 3, 4)]
    run_pre_billing(period=NOV)
    session = services.start(scope=Scope(start=NOV.first_day, end=NOV.last_day, client_from="ACME",
                                         client_to="ACME"))
    return session, entries


def item_of(entry) -> BillableItem:
    return BillableItem.objects.get(time_entry=entry)


def test_time_edits_change_the_billing_never_the_time_entry(project):
    session, entries = project

    services.edit_time(session_id=session.pk, item_id=item_of(entries[0]).pk, hours=Decimal("2"))
    services.edit_time(session_id=session.pk, item_id=item_of(entries[1]).pk, billable="no")
    [pre] = services.confirm(session_id=session.pk)

    assert [(e.hours, e.billable) for e in TimeEntry.objects.order_by("date")] == [(Decimal("3.00"), "yes")] * 3
    assert pre.total_excluding_vat == Decimal("500.00")
    edits = AuditEvent.objects.filter(action="review_time").order_by("pk")
    assert [(e.before["decision"], e.after["decision"]) for e in edits] == [("bill_now", "bill_now"),
                                                                             ("bill_now", "write_off")]
    assert edits[0].after["adjusted_quantity"] == "2"


def test_an_extra_element_on_hold_blocks_confirmation_until_decided(project):
    session, entries = project
    services.move(session_id=session.pk, item_id=item_of(entries[0]).pk, to="extra")

    with pytest.raises(services.ReviewRefused, match="1 "):
        services.confirm(session_id=session.pk)
    assert not PreInvoice.objects.filter(source="review").exists()
    services.move(session_id=session.pk, item_id=item_of(entries[0]).pk, to="accrued")
    [pre] = services.confirm(session_id=session.pk)

    assert pre.total_excluding_vat == Decimal("600.00")
    assert item_of(entries[0]).decision == "accrued" and item_of(entries[0]).pre_invoice_line is None


def test_partial_allocation_keeps_order_remainders_exact_to_the_cent(project):
    session, entries = project
    order = CustomerOrder.objects.create(client=session_client(), number="PO-77", date=date(2026, 10, 1))
    line = OrderLine.objects.create(order=order, position=1, article=item_of(entries[0]).article, designation="Conseil",
                                    quantity=Decimal("10"), unit_price=Decimal("33.333"), amount=Decimal("333.33"),
                                    remaining_quantity=Decimal("10"), remaining_amount=Decimal("333.33"))

    [(item, candidates, _), *_] = services.matches(session)
    services.allocate(session_id=session.pk, item_id=item.pk, order_line_id=line.pk, quantity=Decimal("1"))
    services.allocate(session_id=session.pk, item_id=item_of(entries[1]).pk, order_line_id=line.pk,
                      quantity=Decimal("3"))
    with pytest.raises(services.ReviewRefused, match="il reste 2 de l'élément et 6 de la ligne"):
        services.allocate(session_id=session.pk, item_id=item.pk, order_line_id=line.pk, quantity=Decimal("2.5"))
    services.allocate(session_id=session.pk, item_id=item_of(entries[2]).pk, order_line_id=line.pk,
                      quantity=Decimal("3"))
    line.refresh_from_db()
    first = line.allocations.order_by("pk").first()

    assert candidates == [line]
    assert (first.amount, line.remaining_quantity, line.remaining_amount) == (
        Decimal("33.33"), Decimal("3"), Decimal("100.00"))
    assert sum(a.amount for a in line.allocations.all()) + line.remaining_amount == line.amount


def session_client():
    from prebill.clients.models import Client

    return Client.objects.get(code="ACME")


def test_a_standalone_element_gets_an_order_line_of_its_own_and_a_line_on_the_invoice(project):
    _, entries = project
    session = services.start(scope=Scope(start=NOV.first_day, end=NOV.last_day), options={"line_mode": "per_article"})

    services.move(session_id=session.pk, item_id=item_of(entries[2]).pk, to="standalone")
    [pre] = services.confirm(session_id=session.pk)

    standalone = OrderLine.objects.get(standalone=True)
    assert (standalone.quantity, standalone.remaining_quantity, standalone.remaining_amount) == (
        Decimal("3.0000"), Decimal("0"), Decimal("0.00"))
    assert pre.lines.count() == 2


def test_confirmed_elements_are_billed_once_and_runs_leave_their_pre_invoices(project):
    session, _ = project
    other = services.start(scope=Scope(start=NOV.first_day, end=NOV.last_day))

    [pre] = services.confirm(session_id=session.pk)
    with pytest.raises(services.ReviewRefused, match="3 élément"):
        services.confirm(session_id=other.pk)
    with pytest.raises(services.ReviewRefused, match="confirmée"):
        services.confirm(session_id=session.pk)
    rerun = run_pre_billing(period=NOV)
    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))

    assert rerun.pre_invoices == 0 and PreInvoice.objects.filter(source="run").count() == 0
    assert invoice.total_excluding_vat == Decimal("900.00")
    assert BillableItem.objects.filter(status="billed").count() == 3


def test_an_element_entered_by_hand_is_billed_with_the_rest(project):
    session, _ = project

    services.add_element(session_id=session.pk, engagement_code="P-1", day=date(2026, 11, 15),
                         article_code="CONS", designation="Déplacement Lyon", quantity=Decimal("1"),
                         unit_price=Decimal("150"))
    with pytest.raises(services.ReviewRefused, match="période"):
        services.add_element(session_id=session.pk, engagement_code="P-1", day=date(2026, 12, 15),
                             article_code="CONS", designation="x", quantity=Decimal("1"), unit_price=Decimal("1"))
    created = services.confirm(session_id=session.pk)

    assert sorted(pre.total_excluding_vat for pre in created) == [Decimal("150.00"), Decimal("900.00")]


def test_the_session_resumes_at_its_step(project):
    session, _ = project

    services.save_step(session_id=session.pk, step=3)
    services.cancel(session_id=session.pk)

    session.refresh_from_db()
    assert (session.step, session.state) == (3, "cancelled")
    with pytest.raises(services.ReviewRefused):
        services.save_step(session_id=session.pk, step=4)


def test_a_delivery_note_line_is_billed_once_from_the_review(project):
    from prebill.orders.models import DeliveryNote, DeliveryNoteLine

    session, entries = project
    engagement = item_of(entries[0]).engagement
    note = DeliveryNote.objects.create(client=engagement.client, engagement=engagement, number="BL-12",
                                       date=date(2026, 11, 20))
    line = DeliveryNoteLine.objects.create(note=note, position=1, article=item_of(entries[0]).article,
                                           designation="Licences", quantity=Decimal("4"), unit_price=Decimal("25"))

    listed = list(services.delivery_lines(session))
    item = services.bill_delivery_note_line(session_id=session.pk, line_id=line.pk)
    with pytest.raises(services.ReviewRefused, match="déjà"):
        services.bill_delivery_note_line(session_id=session.pk, line_id=line.pk)
    created = services.confirm(session_id=session.pk)

    assert listed == [line] and list(services.delivery_lines(session)) == []
    assert (item.amount, item.designation) == (Decimal("100.00"), "Licences (BL BL-12)")
    assert sum(pre.total_excluding_vat for pre in created) == Decimal("1000.00")


def test_task_activity_domain_and_article_edits_survive_runs_and_leave_the_entry_alone(project):
    from prebill.engagements.models import Task

    session, entries = project
    audit = f.article("AUD", vat_rate="20")
    f.rule("R-AUDIT", audit, activity="audit")
    special = f.article("SPE", vat_rate="10")
    Task.objects.create(engagement=entries[0].engagement, code="T2", label="Revue")

    services.edit_time(session_id=session.pk, item_id=item_of(entries[0]).pk, activity="audit", task="T2")
    services.edit_time(session_id=session.pk, item_id=item_of(entries[1]).pk, article="SPE")
    with pytest.raises(services.ReviewRefused, match="T9"):
        services.edit_time(session_id=session.pk, item_id=item_of(entries[2]).pk, task="T9")
    run_pre_billing(period=NOV)

    assert item_of(entries[0]).article == audit and "Revue" in item_of(entries[0]).designation
    assert (item_of(entries[1]).article, item_of(entries[1]).vat_rate) == (special, Decimal("10.00"))
    assert [(e.activity, e.task_id) for e in TimeEntry.objects.order_by("date")] == [("", None)] * 3
