"""The wizard, orders and delivery notes through the API, each action for its role."""

import json
from datetime import date

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(firm):
    engagement = f.engagement(f.client(code="ACME"), "P-1")
    f.time_part(engagement)
    for day in (2, 3):
        f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, day), "2")
    run_pre_billing(period=Period(2026, 11))


@pytest.fixture
def caller(user_with):
    def make(role):
        _, key = ApiToken.issue(user=user_with(role, username=role), name="t")
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


def call(who, method, url, data=None):
    return getattr(who, method)(url, json.dumps(data if data is not None else {}), content_type="application/json")


def test_the_four_steps_and_an_order_through_the_api(month, caller):
    preparer, validator = caller("preparer"), caller("validator")
    order = [{"client": "ACME", "engagement": "P-1", "number": "PO-9", "date": "2026-10-01",
              "lines": [{"article": "CONS", "quantity": "3", "unit_price": "100"}]}]

    bad_order = call(preparer, "post", "/api/customer-orders/bulk", [{**order[0], "client": "NOBODY"}])
    made_order = call(preparer, "post", "/api/customer-orders/bulk", order)
    refused = call(validator, "post", "/api/reviews", {"start": "2026-11-01", "end": "2026-11-30"})
    review = call(preparer, "post", "/api/reviews", {"start": "2026-11-01", "end": "2026-11-30",
                                                     "client_from": "ACME", "line_mode": "per_article"}).json()
    elements = validator.get(f"/api/reviews/{review['id']}/elements").json()
    first, second = elements
    edited = call(preparer, "put", f"/api/reviews/{review['id']}/time/{first['id']}", {"hours": "1"})
    allocated = call(preparer, "post", f"/api/reviews/{review['id']}/elements/{second['id']}/allocations",
                     {"order_line": second["order_lines"][0]["id"], "quantity": "2"})
    held = call(preparer, "put", f"/api/reviews/{review['id']}/elements/{first['id']}/decision", {"to": "extra"})
    blocked = call(preparer, "post", f"/api/reviews/{review['id']}/confirm")
    call(preparer, "put", f"/api/reviews/{review['id']}/elements/{first['id']}/decision", {"to": "bill_now"})
    confirmed = call(preparer, "post", f"/api/reviews/{review['id']}/confirm")
    again = call(preparer, "post", f"/api/reviews/{review['id']}/confirm")

    assert bad_order.status_code == 422 and bad_order.json()["detail"][0]["loc"] == "$[0].client"
    assert made_order.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert refused.status_code == 403
    assert review["options"] == {"line_mode": "per_article"}
    assert len(first["order_lines"]) == 1 and edited.json()["adjusted_quantity"] == "1"
    assert allocated.json() == {"quantity": "2", "amount": "200.00", "remaining_quantity": "1.0000",
                                "remaining_amount": "100.00"}
    assert held.json()["decision"] == "on_hold" and blocked.status_code == 409
    assert confirmed.status_code == 201 and confirmed.json()[0]["total_excluding_vat"] == "300.00"
    assert again.status_code == 409
    orders = validator.get("/api/customer-orders").json()
    assert orders[0]["lines"][0]["remaining_amount"] == "100.00"
