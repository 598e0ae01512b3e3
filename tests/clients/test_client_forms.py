"""Creating and changing a client in the app: identity checked (SIREN, SIRET, VAT number, French B2B
identified), addresses, first dated conditions within the legal cap, roles, CSRF and the audit trail."""

from datetime import date

import pytest
from django.test import Client as Browser

from prebill.audit.models import AuditEvent
from prebill.clients.models import BillingAddress, BillingConditions, Client
from prebill.core.identifiers import french_vat_number, siren_with_key
from tests import factories as f

pytestmark = pytest.mark.django_db

SIREN = siren_with_key("55203253")
ADDRESSES = {"addresses-TOTAL_FORMS": "1", "addresses-INITIAL_FORMS": "0", "addresses-MIN_NUM_FORMS": "0",
             "addresses-MAX_NUM_FORMS": "1000"}
CONDITIONS = {"conditions-payment_terms_days": "30", "conditions-vat_regime": "standard",
              "conditions-payment_method": "transfer", "conditions-line_mode": "detailed",
              "conditions-currency": "EUR"}


def typed(**changes) -> dict:
    data = {"code": "DUPONT", "name": "Dupont SAS", "nature": "", "siren": SIREN, "siret": "",
            "vat_number": french_vat_number(SIREN), "email": "compta@dupont.fr", "active": "on",
            "training_billing": "", **ADDRESSES, "addresses-0-code": "main", "addresses-0-line1": "3 rue Neuve",
            "addresses-0-postcode": "69001", "addresses-0-city": "Lyon", "addresses-0-country": "FR",
            "addresses-0-is_default": "on", **CONDITIONS}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def errors_of(page) -> dict:
    entry = page.context["entry"]
    found = {name: list(errors) for name, errors in entry.form.errors.items()}
    if entry.conditions is not None:
        found |= {f"conditions.{name}": list(errors) for name, errors in entry.conditions.errors.items()}
    if entry.address_errors:
        found["addresses"] = entry.address_errors
    return found


def test_a_preparer_creates_a_client_with_its_address_and_first_conditions(preparer_client, org):
    page = preparer_client.post("/clients/new/", typed(**{
        "conditions-applies_from": "2026-01-01", "conditions-payment_terms_days": "45",
        "conditions-end_of_month": "on", "siren": f"{SIREN[:3]} {SIREN[3:6]} {SIREN[6:]}"}))

    assert page.status_code == 302 and page["Location"] == "/clients/DUPONT/"
    client = Client.objects.get(code="DUPONT")
    assert (client.name, client.siren, client.email) == ("Dupont SAS", SIREN, "compta@dupont.fr")
    address = BillingAddress.objects.get(client=client)
    assert (address.line1, address.city, address.is_default) == ("3 rue Neuve", "Lyon", True)
    conditions = BillingConditions.objects.get(client=client)
    assert (conditions.applies_from, conditions.payment_terms_days, conditions.end_of_month) == (
        date(2026, 1, 1), 45, True)
    event = AuditEvent.objects.get(action="create_client")
    assert event.object_id == str(client.pk) and event.after["siren"] == SIREN
    assert event.user.username == "user-preparer"


def test_every_problem_shows_at_once_next_to_its_field_and_nothing_is_saved(preparer_client, org):
    f.client(code="TAKEN")

    page = preparer_client.post("/clients/new/", typed(
        code="TAKEN", siren="123456789", siret="1234", vat_number="XX", **{"conditions-payment_terms_days": "90",
                                                                             "conditions-applies_from": "2026-01-01"}))

    assert page.status_code == 400
    errors = errors_of(page)
    assert errors["code"] == ["Un client de code TAKEN existe déjà."]
    assert "clé de contrôle" in errors["siren"][0]
    assert errors["siret"] == ["Un SIRET a exactement 14 chiffres."]
    assert "2 lettres de son pays" in errors["vat_number"][0]
    assert "L441-10" in errors["conditions.payment_terms_days"][0]
    body = page.content.decode()
    assert 'value="123456789"' in body and 'data-error="siren"' in body  # what was typed stays
    assert not Client.objects.filter(name="Dupont SAS").exists() and not AuditEvent.objects.exists()


def test_a_vat_number_of_another_siren_is_refused(preparer_client, org):
    other = siren_with_key("55203254")

    page = preparer_client.post("/clients/new/", typed(vat_number=french_vat_number(other)))

    assert errors_of(page) == {"vat_number": [
        f"Ce numéro de TVA porte le SIREN {other}, pas le SIREN {SIREN} du client."]}


def test_a_french_company_without_a_siren_is_refused_a_foreign_one_is_not(preparer_client, org):
    page = preparer_client.post("/clients/new/", typed(siren="", vat_number=""))

    assert "sans SIREN" in errors_of(page)["siren"][0]
    assert not Client.objects.exists()

    abroad = preparer_client.post("/clients/new/", typed(siren="", vat_number="BE0123456789",
                                                          **{"addresses-0-country": "be"}))

    assert abroad.status_code == 302
    assert BillingAddress.objects.get(client__code="DUPONT").country == "BE"


def test_payment_terms_beyond_the_cap_pass_with_the_firms_sector_agreement(preparer_client, org):
    org.payment_terms_agreement, org.payment_terms_agreement_days = "Accord BTP", 90
    org.save()

    page = preparer_client.post("/clients/new/", typed(**{"conditions-payment_terms_days": "90",
                                                          "conditions-applies_from": "2026-01-01"}))

    assert page.status_code == 302
    assert BillingConditions.objects.get(client__code="DUPONT").payment_terms_days == 90


def test_a_client_is_changed_its_addresses_with_it_and_the_change_is_audited(preparer_client, org):
    client = f.client(code="ACME")
    Client.objects.filter(pk=client.pk).update(name="Acme")
    main = client.addresses.get()
    data = typed(code=None, name="Acme Industries", siren=client.siren, vat_number=client.vat_number, **{
        "addresses-TOTAL_FORMS": "2", "addresses-INITIAL_FORMS": "1", "addresses-0-code": "main",
        "addresses-0-line1": "9 avenue Foch", "addresses-0-postcode": "75016", "addresses-0-city": "Paris",
        "addresses-1-code": "site", "addresses-1-line1": "1 quai Test", "addresses-1-postcode": "69002",
        "addresses-1-city": "Lyon", "addresses-1-country": "FR"})

    page = preparer_client.post("/clients/ACME/edit/", data)

    assert page.status_code == 302
    client.refresh_from_db()
    assert client.name == "Acme Industries" and client.code == "ACME"
    main.refresh_from_db()
    assert (main.line1, main.is_default) == ("9 avenue Foch", True)
    assert client.addresses.get(code="site").city == "Lyon"
    event = AuditEvent.objects.get(action="change_client")
    assert (event.before["name"], event.after["name"]) == ("Acme", "Acme Industries")
    assert [a["code"] for a in event.after["addresses"]] == ["main", "site"]


def test_the_edit_form_shows_the_client_as_it_is(preparer_client, org):
    Client.objects.filter(pk=f.client(code="ACME").pk).update(name="Acme")

    page = preparer_client.get("/clients/ACME/edit/")

    body = page.content.decode()
    assert page.status_code == 200 and 'value="Acme"' in body and "rue de la Paix" in body
    assert page.context["entry"].conditions is None  # rows are added on the client's page


def test_reading_roles_see_the_client_but_cannot_create_or_change_it(client, user_with, org):
    f.client(code="ACME")
    client.force_login(user_with("validator"))

    assert client.get("/clients/ACME/").status_code == 200
    assert "/clients/ACME/edit/" not in client.get("/clients/ACME/").content.decode()
    assert client.get("/clients/new/").status_code == 403
    assert client.post("/clients/new/", typed()).status_code == 403
    assert client.post("/clients/ACME/edit/", typed(code=None)).status_code == 403
    assert not Client.objects.filter(code="DUPONT").exists()


def test_a_post_without_its_csrf_token_is_refused(user_with, org):
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(user_with("preparer"))

    assert browser.post("/clients/new/", typed()).status_code == 403
    assert not Client.objects.exists()
