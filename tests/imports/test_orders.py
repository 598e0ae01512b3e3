"""Customer orders and delivery notes in the portfolio format: all or nothing, where and why, never a billed change."""

from decimal import Decimal

import pytest

from prebill.activity.models import ManualElement
from prebill.billing.models import BillableItem
from prebill.imports.portfolio import import_portfolio
from prebill.imports.problems import ImportRejected
from prebill.orders.models import CustomerOrder, DeliveryNote, OrderAllocation, OrderLine
from tests.imports.sample import portfolio

pytestmark = pytest.mark.django_db


def problems(data) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        import_portfolio(data)
    return [str(p) for p in rejected.value.problems]


def test_orders_and_delivery_notes_are_imported_and_repeated_unchanged():
    first = import_portfolio(portfolio())
    again = import_portfolio(portfolio())

    line = OrderLine.objects.get()
    assert (line.amount, line.remaining_quantity, line.remaining_amount) == (
        Decimal("1200.00"), Decimal("10"), Decimal("1200.00"))
    assert DeliveryNote.objects.get().lines.get().unit_price == Decimal("95.50")
    assert first["customer_orders"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert again["customer_orders"] == again["delivery_notes"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_bad_documents_say_where_and_change_nothing():
    data = portfolio()
    data["customer_orders"][0]["client"] = "NOBODY"
    data["delivery_notes"][0]["engagement"] = ""
    data["delivery_notes"][0]["lines"][0]["article"] = "NOPE"
    data["delivery_notes"].append(dict(data["delivery_notes"][0]))

    found = problems(data)

    assert any("$.customer_orders[0].client" in p and "unknown client 'NOBODY'" in p for p in found)
    assert any("$.delivery_notes[0].engagement" in p for p in found)
    assert any("$.delivery_notes[0].lines[0].article" in p for p in found)
    assert any("$.delivery_notes[1].number" in p and "duplicate" in p for p in found)
    assert not CustomerOrder.objects.exists()


def test_an_order_billed_against_keeps_its_lines():
    import_portfolio(portfolio())
    line = OrderLine.objects.get()
    element = ManualElement.objects.create(engagement=line.order.engagement, date="2026-11-02", article=line.article,
                                           designation="x", quantity=1, unit_price=120)
    item = BillableItem.objects.create(
        kind="manual", client=line.order.client, engagement=line.order.engagement, article=line.article,
        period="2026-11-01", service_date="2026-11-02", invoice_date="2026-11-30", quantity=1, unit="heure",
        unit_price=120, amount=120, vat_rate=20, designation="x", manual_element=element)
    OrderAllocation.objects.create(line=line, item=item, quantity=1, amount=120)
    changed = portfolio()
    changed["customer_orders"][0]["lines"][0]["quantity"] = "12"

    found = problems(changed)
    again = import_portfolio(portfolio())

    assert found == ["$.customer_orders[0].lines: PO-1 has been billed against: its lines cannot change"]
    assert again["customer_orders"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_overtime_conditions_come_with_the_time_part_and_bad_bands_say_where():
    from prebill.costs.models import OvertimeTerms

    import_portfolio(portfolio())
    terms = OvertimeTerms.objects.get()
    bad = portfolio()
    bands = bad["engagements"][0]["parts"][1]["overtime"]["bands"]
    bands[0]["end"] = "19:00"
    bands[1]["percent"] = "-5"

    found = problems(bad)

    assert terms.hourly_rate == Decimal("110.00") and terms.bands.count() == 3
    assert any(p.startswith("$.engagements[0].parts[1].overtime.bands[0]: surcharge band 20:00-19:00") for p in found)
    assert any(p.startswith("$.engagements[0].parts[1].overtime.bands[1].percent") for p in found)
