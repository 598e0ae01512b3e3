"""Four people confirming overlapping reviews at once: one wins, the others are told, nothing is billed twice."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection

from prebill.billing.models import PreInvoice, PreInvoiceLine
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.review import services
from prebill.review.scope import Scope
from tests import factories as f

NOV = Period(2026, 11)


def confirm(session_id: int) -> str:
    try:
        return f"created {len(services.confirm(session_id=session_id))}"
    except services.ReviewRefused as refused:
        return f"refused: {refused}"
    finally:
        connection.close()  # each worker thread has its own connection


@pytest.fixture
def overlapping_reviews(unfreeze_after, firm):
    for code in ("A", "B", "C"):
        engagement = f.engagement(f.client(code=code))
        f.time_part(engagement)
        for day in (2, 3):
            f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, day), "1")
    run_pre_billing(period=NOV)
    scopes = [Scope(start=NOV.first_day, end=NOV.last_day), Scope(start=NOV.first_day, end=NOV.last_day,
                                                                  client_to="B")]
    return [services.start(scope=scopes[n % 2]).pk for n in range(4)]


def test_concurrent_confirmations_bill_nothing_twice(overlapping_reviews):
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(confirm, overlapping_reviews))

    winners = [o for o in outcomes if o.startswith("created")]
    assert len(winners) == 1, outcomes
    assert all("quelqu'un d'autre" in o for o in outcomes if o.startswith("refused")), outcomes
    lines = PreInvoiceLine.objects.filter(pre_invoice__source="review")
    item_ids = [item for line in lines for item in line.items.values_list("pk", flat=True)]
    assert len(item_ids) == len(set(item_ids)) >= 4
    assert not PreInvoice.objects.filter(source="run").filter(lines__items__pk__in=item_ids).exists()
