"""Client pages: list with search, detail with addresses and dated conditions."""

from datetime import date, timedelta

import pytest

from prebill.clients.models import BillingConditions
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_client_list_searches_and_counts_engagements(client, user_with, org):
    acme = f.client(code="ACME")
    f.engagement(acme)
    f.engagement(acme)
    f.client(code="OTHER")
    client.force_login(user_with("validator"))

    page = client.get("/clients/", {"q": "acm"})

    assert [c.code for c in page.context["page"]] == ["ACME"]
    assert page.context["page"][0].engagement_count == 2


def test_the_client_detail_marks_the_conditions_in_force_today(client, user_with, org):
    acme = f.client(code="ACME")
    BillingConditions.objects.create(client=acme, applies_from=date.today() - timedelta(days=1), payment_terms_days=45)
    BillingConditions.objects.create(client=acme, applies_from=date.today() + timedelta(days=30), payment_terms_days=60)
    client.force_login(user_with("accountant"))

    page = client.get("/clients/ACME/")

    assert page.context["in_force"].payment_terms_days == 45
    assert page.content.decode().count('data-test="in-force"') == 1
    assert client.get("/clients/NOPE/").status_code == 404
