"""Entering customer orders and delivery notes by hand: the import's checks, each problem said."""

from decimal import Decimal

import pytest

from prebill.orders.models import CustomerOrder, DeliveryNote
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(org):
    engagement = f.engagement(f.client(code="ACME"), "P-1")
    f.time_part(engagement)
    return engagement


def test_a_preparer_enters_an_order_and_a_delivery_note(client, user_with, acme):
    client.force_login(user_with("preparer"))
    order = {"kind": "order", "client": "ACME", "engagement": "P-1", "number": "PO-1", "date": "2026-11-02",
             "article": "CONS", "designation": "Conseil", "quantity": "12,5", "unit_price": "100"}

    client.post("/orders/enter/", order)
    bad = client.post("/orders/enter/", {**order, "kind": "delivery", "number": "BL-1", "engagement": "",
                                         "article": "NOPE"}, follow=True)
    client.post("/orders/enter/", {**order, "kind": "delivery", "number": "BL-1", "quantity": "2"})
    page = client.get("/orders/")

    line = CustomerOrder.objects.get().lines.get()
    assert (line.amount, line.remaining_amount) == (Decimal("1250.00"), Decimal("1250.00"))
    text = bad.content.decode()
    assert "lines[0].article" in text and "engagement" in text
    assert DeliveryNote.objects.get().lines.get().quantity == Decimal("2")
    assert len(page.context["orders"]) == 1 and "PO-1/1" in page.content.decode()


def test_reading_and_entering_need_their_roles(client, user_with, acme):
    client.force_login(user_with("collections"))

    assert client.get("/orders/").status_code == 200
    assert client.post("/orders/enter/", {"number": "X"}).status_code == 403
