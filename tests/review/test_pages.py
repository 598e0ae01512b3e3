"""The wizard's pages: a preparer walks the four steps; others may look but not act."""

from datetime import date

import pytest

from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.review.models import ReviewSession
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(firm):
    engagement = f.engagement(f.client(code="ACME"), "P-1")
    f.time_part(engagement)
    for day in (2, 3):
        f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, day), "2")
    run_pre_billing(period=Period(2026, 11))


def test_the_four_steps_in_pages(client, user_with, month):
    client.force_login(user_with("preparer"))

    started = client.post("/review/start/", {"start": "2026-11-01", "end": "2026-11-30", "client_from": "ACME",
                                             "task_status": ["active", "done"]})
    session = ReviewSession.objects.get()
    item = BillableItem.objects.order_by("pk").first()
    review = client.get(started["Location"])
    client.post(f"/review/{session.pk}/time/{item.pk}/", {"billable": "yes", "hours": "1,5", "tab": "time"})
    client.post(f"/review/{session.pk}/elements/", {"date": "2026-11-20", "engagement": "P-1", "article": "CONS",
                                                    "designation": "Support", "quantity": "1", "unit_price": "80"})
    matching = client.get(f"/review/{session.pk}/step/3/")
    summary = client.get(f"/review/{session.pk}/step/4/")
    client.post(f"/review/{session.pk}/confirm/")
    done = client.get(f"/review/{session.pk}/")

    assert started.status_code == 302 and review.status_code == 200
    assert len(review.context["items"]) == 2
    assert len(matching.context["matches"]) == 3
    assert sorted(t.excluding_vat for _, _, t in summary.context["summary"]["invoices"]) == [80, 350]
    assert done["Location"].endswith("/step/4/")
    assert sorted(PreInvoice.objects.filter(source="review").values_list("total_excluding_vat", flat=True)) == [
        80, 350]


def test_a_validator_may_look_but_not_act(client, user_with, month):
    client.force_login(user_with("validator"))

    assert client.get("/review/").status_code == 200
    assert client.post("/review/start/", {"start": "2026-11-01", "end": "2026-11-30"}).status_code == 403
