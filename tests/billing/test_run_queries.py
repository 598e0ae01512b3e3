"""The monthly run is set-based: its number of queries does not grow with the portfolio."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db


def portfolio_of(clients: int) -> None:
    collaborators = [f.collaborator() for _ in range(3)]
    for _ in range(clients):
        client = f.client()
        f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
        f.units_part(f.engagement(client))
        f.metric(client, date(2026, 11, 1), "5")
        consulting = f.engagement(client)
        f.time_part(consulting)
        for day in (2, 3):
            for collaborator in collaborators:
                f.time_entry(collaborator, consulting, date(2026, 11, day), "1.5")


def queries_of_a_run() -> int:
    with CaptureQueriesContext(connection) as queries:
        run_pre_billing(period=Period(2026, 11))
    return len(queries)


def test_twenty_times_more_clients_add_no_query_per_client_or_line(org):
    portfolio_of(3)
    small = queries_of_a_run()
    portfolio_of(57)

    large = queries_of_a_run()

    # 57 more clients bring 57 x 8 more lines: only bulk-insert batches (about 70 rows each) may be added.
    assert large - small <= 10
