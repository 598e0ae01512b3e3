"""The PA simulator on loopback, a client of its API, and real documents rendered once by the product."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.test import override_settings

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.documents.issued import issued_document
from prebill.einvoicing import validation
from prebill.einvoicing.simulator import PaSimulator, start_simulator
from prebill.invoicing.services import validate_pre_invoice
from prebill.organisation.models import InvoiceSeries
from tests import factories as f
from tests.einvoicing.pa_client import CLIENT_ID, CLIENT_SECRET, Api
from tests.einvoicing.platform import platform, quick_platform  # noqa: F401  (fixtures of the connector's tests)


@pytest.fixture(scope="session")
def rules() -> None:
    """The rule files compiled once per test process (a few seconds), not in the first test that needs them."""
    validation.warm_up()


@pytest.fixture
def pa(rules) -> PaSimulator:
    """A simulator whose statuses move on only when a test calls advance()."""
    simulator = start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None)
    yield simulator
    simulator.stop()


@pytest.fixture
def api(pa) -> Api:
    return Api(pa)


def _validated(client, issue_date: date = date(2026, 11, 30)):
    f.fixed_fee_part(f.engagement(client), installments=[(issue_date, "1000.00")])
    run_pre_billing(period=Period.of(issue_date))
    pre = PreInvoice.objects.filter(client=client).order_by("-pk").first()
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=issue_date)


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker) -> dict:
    """The product's documents (pdf, cii, ubl) of an invoice to a French company and of one to a Belgian company
    without SIREN, rendered once per module in a transaction rolled back."""
    with django_db_blocker.unblock(), override_settings(PREBILL_RUNS_INLINE=True), transaction.atomic():
        organisation = f.organisation()
        InvoiceSeries.objects.create(organisation=organisation, code="F", kind="invoice", prefix="F{year}-", digits=6,
                                     is_default=True)
        french = _validated(f.client(code="PA-FR"))
        belgian = f.client(code="PA-BE", conditions={"vat_regime": "reverse_charge"})
        belgian.siren, belgian.vat_number = "", "BE0403170701"
        belgian.save()
        belgian.addresses.update(country="BE", postcode="1000", city="Bruxelles")
        foreign = _validated(belgian)
        found = {"number": french.number, "total": french.total_including_vat,
                 **{kind: issued_document(french, kind) for kind in ("pdf", "cii", "ubl")},
                 "foreign_cii": issued_document(foreign, "cii"), "foreign_ubl": issued_document(foreign, "ubl")}
        transaction.set_rollback(True)
    return found
