"""Fixtures and helpers of the connector's tests: the PA simulator on loopback with prebill configured to use it,
and an invoice validated for a client."""

from __future__ import annotations

from datetime import date

import pytest

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.einvoicing.simulator import start_simulator
from prebill.invoicing.services import validate_pre_invoice
from tests import factories as f
from tests.einvoicing.pa_client import CLIENT_ID, CLIENT_SECRET

DAY = date(2026, 11, 30)


def _configured(settings, **options):
    simulator = start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None, **options)
    settings.PREBILL_PA_URL, settings.PREBILL_PA_CLIENT_ID = simulator.base_url, CLIENT_ID
    settings.PREBILL_PA_CLIENT_SECRET, settings.PREBILL_PA_TIMEOUT_SECONDS = CLIENT_SECRET, 60
    settings.PREBILL_PA_SYNTAX = "Factur-X"
    return simulator


@pytest.fixture
def platform(rules, settings):
    """The simulator checking what it receives with the rule files (statuses move on when the test says so)."""
    simulator = _configured(settings)
    yield simulator
    simulator.stop()


@pytest.fixture
def quick_platform(settings):
    """The simulator without the rule files: for what does not depend on an invoice's validity."""
    simulator = _configured(settings, validate=False)
    yield simulator
    simulator.stop()


def invoiced(client=None, amount: str = "1000.00"):
    """An invoice of `amount` excl. VAT (a fixed fee at 20 %) validated on DAY for `client` (a new one)."""
    client = client or f.client()
    f.fixed_fee_part(f.engagement(client), installments=[(DAY, amount)])
    run_pre_billing(period=Period.of(DAY))
    pre = PreInvoice.objects.filter(client=client).order_by("-pk").first()
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=DAY)
