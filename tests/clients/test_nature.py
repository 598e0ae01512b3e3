"""A client's nature for the e-invoicing reform: set, or from its billing country; existing clients get it
explicitly from the migration."""

import importlib

import pytest
from django.apps import apps

from prebill.clients.models import Client, Nature, nature_of
from prebill.invoicing.snapshot import buyer_electronic_address
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_nature_set_wins_and_an_empty_one_follows_the_country():
    assert nature_of("consumer", country="FR") is Nature.CONSUMER
    assert nature_of("", country="BE") is Nature.FOREIGN_COMPANY
    assert nature_of("", country="fr") is Nature.FRENCH_COMPANY


def test_the_buyers_electronic_address_is_its_siren_else_its_email_outside_b2b():
    assert buyer_electronic_address(siren="732829320", email="a@b.fr", category="B2B") == ("0225", "732829320")
    assert buyer_electronic_address(siren="", email="a@b.be", category="B2BINT") == ("EM", "a@b.be")
    assert buyer_electronic_address(siren="", email="a@b.fr", category="B2B") == ("", "")


def test_the_migration_gives_existing_clients_their_nature_from_their_default_address():
    french, belgian = f.client(code="FR1"), f.client(code="BE1")
    belgian.addresses.update(country="BE")
    migration = importlib.import_module("prebill.clients.migrations.0003_client_nature")

    migration.from_country(apps, None)

    assert dict(Client.objects.filter(pk__in=[french.pk, belgian.pk]).values_list("code", "nature")) == {
        "FR1": "french_company", "BE1": "foreign_company"}
