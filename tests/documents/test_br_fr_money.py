"""BR-FR validity of the documents where money is special: an export invoice in Swiss francs (its VAT also in euros,
BR-FR-CO-12) and an invoice with débours (costs paid in the client's name, outside the VAT base)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from lxml import etree

from prebill.accounting.models import ExchangeRate
from prebill.billing.services import run_pre_billing
from prebill.documents.issued import issued_document
from prebill.einvoicing import validation
from prebill.organisation.models import InvoiceSeries
from tests import factories as f
from tests.documents.test_br_fr import CII, NOV, RAM, SYNTAXES, _foreign, _validate_all

pytestmark = pytest.mark.django_db


def _build() -> dict:
    org = f.organisation(legal_form="SAS", share_capital=Decimal("10000"), rcs_city="Paris",
                         iban="FR7630006000011234567890189", bic="AGRIFRPP", address_line1="12 rue de Rivoli",
                         postcode="75004", city="Paris", expense_article=f.article("FRAIS"))
    InvoiceSeries.objects.create(organisation=org, code="F", kind="invoice", prefix="F{year}-", digits=6,
                                 is_default=True)
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 11, 1), rate=Decimal("1.070000"))
    clients = {}
    clients["export_chf"] = swiss = _foreign(
        f.client(code="CHF", conditions={"vat_regime": "export"}), country="CH", postcode="1201", city="Genève",
        vat="CHE123456789", email="compta@exemple.ch")
    f.fixed_fee_part(f.engagement(swiss, currency="CHF"), installments=[(date(2026, 11, 30), "3000.00")])
    clients["standard_chf"] = french_in_francs = f.client(code="FRCHF")
    f.fixed_fee_part(f.engagement(french_in_francs, currency="CHF"), installments=[(date(2026, 11, 30), "1000.00")])
    run_pre_billing(period=NOV)
    return {name: _validate_all(client) for name, client in clients.items()}


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker) -> dict[str, dict]:
    validation.warm_up()
    with django_db_blocker.unblock(), override_settings(PREBILL_RUNS_INLINE=True), transaction.atomic():
        found = {name: {kind: issued_document(invoice, kind) for kind in SYNTAXES}
                 for name, invoice in _build().items()}
        transaction.set_rollback(True)
    return found


DOCUMENTS = ("export_chf", "standard_chf")


@pytest.mark.parametrize("kind", SYNTAXES)
@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_document_passes_the_en16931_and_french_rules(documents, name, kind):
    report = validation.check_invoice(documents[name][kind], SYNTAXES[kind])

    assert report.unreadable is None
    assert [(f.rule, f.message) for f in report.fatal] == []
    assert [(f.rule, f.message) for f in report.warnings] == []


def test_an_invoice_in_francs_gives_its_vat_in_euros(documents):
    root = etree.fromstring(documents["standard_chf"]["cii"])
    settlement = root.find(f"{RAM}ApplicableHeaderTradeSettlement".join(
        [f"{CII}SupplyChainTradeTransaction/", ""]))

    assert settlement.findtext(f"{RAM}TaxCurrencyCode") == "EUR"
    assert settlement.findtext(f"{RAM}InvoiceCurrencyCode") == "CHF"
    totals = settlement.findall(f"{RAM}SpecifiedTradeSettlementHeaderMonetarySummation/{RAM}TaxTotalAmount")
    assert [(t.get("currencyID"), t.text) for t in totals] == [("CHF", "200.00"), ("EUR", "214.00")]
