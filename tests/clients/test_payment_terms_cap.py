"""Billing conditions, a client's or an engagement's, refuse payment terms beyond the legal cap (Code de commerce
L441-10: 60 days, or 45 days end of month) unless the firm records the sector agreement that allows them."""

from datetime import date

import pytest

from prebill.billing.services import bring_in_step
from prebill.clients import services as clients
from prebill.clients.models import BillingConditions
from prebill.clients.services import ConditionsRefused
from prebill.engagements import services as engagements
from prebill.engagements.models import EngagementConditions
from tests import factories as f

pytestmark = pytest.mark.django_db
DEC = date(2026, 12, 1)


def add_client_terms(client, days: int, end_of_month: bool = False):
    return clients.add_conditions(client=client, applies_from=DEC, payment_terms_days=days,
                                  end_of_month=end_of_month, bring_in_step=bring_in_step)


def add_engagement_terms(engagement, days: int, end_of_month: bool = False):
    return engagements.add_conditions(engagement=engagement, applies_from=DEC, payment_terms_days=days,
                                      end_of_month=end_of_month, bring_in_step=bring_in_step)


@pytest.mark.parametrize(("days", "end_of_month"), [(61, False), (90, False), (46, True), (60, True)])
def test_terms_beyond_the_cap_are_refused_for_a_client_and_an_engagement(org, days, end_of_month):
    acme = f.client(code="ACME")
    engagement = f.engagement(acme)

    with pytest.raises(ConditionsRefused) as refused:
        add_client_terms(acme, days, end_of_month)
    assert "L441-10" in str(refused.value) and refused.value.where == "payment_terms_days"
    with pytest.raises(ConditionsRefused):
        add_engagement_terms(engagement, days, end_of_month)

    assert not BillingConditions.objects.filter(applies_from=DEC).exists()
    assert not EngagementConditions.objects.exists()


def test_terms_at_the_cap_are_taken(org):
    acme = f.client(code="ACME")

    assert add_client_terms(acme, 60).payment_terms_days == 60
    assert add_engagement_terms(f.engagement(acme), 45, end_of_month=True).end_of_month


def test_the_firms_sector_agreement_allows_its_longer_terms_and_no_more(org):
    org.payment_terms_agreement, org.payment_terms_agreement_days = "Accord interprofessionnel du 2009-01-01", 90
    org.save()
    acme = f.client(code="ACME")

    assert add_client_terms(acme, 90).payment_terms_days == 90
    with pytest.raises(ConditionsRefused) as refused:
        add_engagement_terms(f.engagement(acme), 120)
    assert "Accord interprofessionnel du 2009-01-01" in str(refused.value)


def test_the_page_says_it_in_french(client, user_with, org):
    f.client(code="ACME")
    client.force_login(user_with("preparer"))

    page = client.post("/clients/ACME/conditions/", {
        "applies_from": "2026-12-01", "payment_terms_days": "90", "vat_regime": "standard",
        "payment_method": "transfer", "line_mode": "detailed", "currency": "EUR"}, follow=True).content.decode()

    assert "plafond légal" in page and "L441-10" in page
    assert not BillingConditions.objects.filter(applies_from=DEC).exists()
