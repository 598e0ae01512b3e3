"""The portfolio file is checked for what the law refuses, each problem located: a French company without its
SIREN, payment terms beyond the legal cap (unless the firm's sector agreement allows them)."""

import pytest

from prebill.clients.models import Client
from prebill.imports.portfolio import export_portfolio, import_portfolio
from prebill.organisation.models import Organisation
from tests.imports.sample import portfolio, problems_of

pytestmark = pytest.mark.django_db


def test_a_french_company_without_siren_is_refused_where_it_is():
    data = portfolio()
    del data["clients"][0]["siren"], data["clients"][0]["siret"], data["clients"][0]["vat_number"]

    found = problems_of(data)

    assert "C0001 Boulangerie Martin" in found["$.clients[0].siren"]
    assert not Client.objects.exists()


@pytest.mark.parametrize("fields", [{"nature": "consumer"}, {"nature": "foreign_company"}])
def test_a_client_that_is_no_french_company_needs_no_siren(fields):
    data = portfolio()
    del data["clients"][0]["siren"], data["clients"][0]["siret"], data["clients"][0]["vat_number"]
    data["clients"][0].update(fields)

    import_portfolio(data)

    assert Client.objects.get(code="C0001").siren == ""


def test_a_client_billed_abroad_needs_no_siren():
    data = portfolio()
    client = data["clients"][0]
    del client["siren"], client["siret"], client["vat_number"]
    client["addresses"] = [{**client["addresses"][0], "country": "DE"}]

    import_portfolio(data)


def test_payment_terms_beyond_the_legal_cap_are_refused_where_they_are():
    data = portfolio()
    data["clients"][0]["billing_conditions"][0].update(payment_terms_days=50, end_of_month=True)
    data["engagements"][0]["billing_conditions"] = [{"applies_from": "2026-07-01", "payment_terms_days": 90}]

    found = problems_of(data)

    assert "L441-10" in found["$.clients[0].billing_conditions[0].payment_terms_days"]
    assert "L441-10" in found["$.engagements[0].billing_conditions[0].payment_terms_days"]


def test_the_firms_sector_agreement_in_the_file_allows_its_terms_and_travels():
    data = portfolio()
    data["organisation"].update(payment_terms_agreement="Accord BTP", payment_terms_agreement_days=90)
    data["clients"][0]["billing_conditions"][0]["payment_terms_days"] = 90

    import_portfolio(data)

    org = Organisation.objects.get()
    assert (org.payment_terms_agreement, org.payment_terms_agreement_days) == ("Accord BTP", 90)
    exported = export_portfolio()["organisation"]
    assert (exported["payment_terms_agreement"], exported["payment_terms_agreement_days"]) == ("Accord BTP", 90)
