"""An invoice with débours (costs paid in the client's name, CGI art. 267 II-2°) passes the EN 16931 and the French
BR-FR rule files as CII, Factur-X and UBL, under each VAT regime; its PDF shows the débours apart (issue 15, scope
item 9).

The documents are built once for the module, rendered as the product issues them, in a rolled-back transaction.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from lxml import etree
from pypdf import PdfReader

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.clients.models import Client
from prebill.core.legal import disbursement_wording
from prebill.core.periods import Period
from prebill.costs import services as costs
from prebill.documents.issued import issued_document
from prebill.einvoicing import validation
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from prebill.organisation.models import InvoiceSeries
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)
ISSUED = date(2026, 11, 30)
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
SYNTAXES = {"cii": "CII", "pdf": "Factur-X", "ubl": "UBL"}
DOCUMENTS = ("standard", "reverse_charge_eu", "export", "exempt", "exempt_debours_only", "credit_note")


def _foreign(client: Client, *, country: str, postcode: str, city: str, vat: str, email: str) -> Client:
    client.siren, client.vat_number, client.email = "", vat, email
    client.save()
    client.addresses.update(country=country, postcode=postcode, city=city)
    return client


def _costs(client: Client, consultant, *, debours_only: bool = False) -> None:
    """A 20 % expense (100 + 20) and two débours: court fees without VAT (37.45), and a purchase paid for the
    client whose supplier charged 20 % VAT (50.00 + 10.00: billed 60.00)."""
    engagement = f.engagement(client)
    if not debours_only:
        costs.declare_expense(collaborator_id=consultant.pk, client_id=client.pk, engagement_id=engagement.pk,
                              day=date(2026, 11, 5), nature="Déplacement",
                              amount_excluding_vat=Decimal("100.00"), amount_including_vat=Decimal("120.00"),
                              vat_rate=Decimal("20"))
    costs.declare_expense(collaborator_id=consultant.pk, client_id=client.pk, engagement_id=engagement.pk,
                          day=date(2026, 11, 6), nature="Frais de greffe", amount_excluding_vat=Decimal("37.45"),
                          amount_including_vat=Decimal("37.45"), vat_rate=Decimal("0"), disbursement=True)
    costs.record_purchase(client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 7),
                          supplier="INPI", reference="Dépôt de marque", amount_excluding_vat=Decimal("50.00"),
                          vat_rate=Decimal("20"), disbursement=True)


def _build() -> dict[str, Invoice]:
    org = f.organisation(legal_form="SAS", share_capital=Decimal("10000"), rcs_city="Paris",
                         iban="FR7630006000011234567890189", bic="AGRIFRPP", address_line1="12 rue de Rivoli",
                         postcode="75004", city="Paris", expense_article=f.article("FRAIS"),
                         purchase_article=f.article("ACHAT"))
    InvoiceSeries.objects.create(organisation=org, code="F", kind="invoice", prefix="F{year}-", digits=6,
                                 is_default=True)
    InvoiceSeries.objects.create(organisation=org, code="AV", kind="credit_note", prefix="AV{year}-", digits=6)
    consultant = f.collaborator(hourly="150", daily="900")
    clients = {
        "standard": f.client(code="STD"),
        "reverse_charge_eu": _foreign(f.client(code="BE", conditions={"vat_regime": "reverse_charge"}), country="BE",
                                      postcode="1000", city="Bruxelles", vat="BE0403170701",
                                      email="facturation@exemple.be"),
        "export": _foreign(f.client(code="CH", conditions={"vat_regime": "export"}), country="CH", postcode="1201",
                           city="Genève", vat="CHE123456789", email="compta@exemple.ch"),
        "exempt": f.client(code="EXO", conditions={"vat_regime": "exempt"}),
        "exempt_debours_only": f.client(code="EXO2", conditions={"vat_regime": "exempt"}),
    }
    for name, client in clients.items():
        _costs(client, consultant, debours_only=name == "exempt_debours_only")
    run_pre_billing(period=NOV)
    invoices = {}
    for name, client in clients.items():
        [pre] = PreInvoice.objects.filter(client=client)
        invoices[name] = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=ISSUED)
    invoices["credit_note"] = issue_credit_note(invoice_id=invoices["standard"].pk, rebill=False,
                                                issue_date=date(2026, 12, 1))
    return invoices


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker) -> dict[str, dict]:
    validation.warm_up()
    with django_db_blocker.unblock(), override_settings(PREBILL_RUNS_INLINE=True), transaction.atomic():
        found = {}
        for name, invoice in _build().items():
            found[name] = {
                "totals": (invoice.total_excluding_vat, invoice.total_vat, invoice.total_including_vat),
                "vat": sorted((v.rate, v.category, v.base, v.vat) for v in invoice.vat_lines.all()),
                "kinds": sorted((line.kind, line.vat_rate, line.amount) for line in invoice.lines.all()),
                **{kind: issued_document(invoice, kind) for kind in SYNTAXES}}
        transaction.set_rollback(True)
    return found


@pytest.mark.parametrize("kind", SYNTAXES)
@pytest.mark.parametrize("name", DOCUMENTS)
def test_a_document_with_debours_passes_the_en16931_and_french_rules(documents, name, kind):
    report = validation.check_invoice(documents[name][kind], SYNTAXES[kind])

    assert report.unreadable is None
    assert [(f.rule, f.message) for f in report.fatal] == []
    assert [(f.rule, f.message) for f in report.warnings] == []


def test_debours_bill_what_was_paid_without_vat_in_a_group_of_their_own(documents):
    standard = documents["standard"]

    assert standard["kinds"] == [("disbursement", Decimal("0.00"), Decimal("37.45")),
                                 ("disbursement", Decimal("0.00"), Decimal("60.00")),
                                 ("expense", Decimal("20.00"), Decimal("100.00"))]
    assert standard["vat"] == [(Decimal("0.00"), "E", Decimal("97.45"), Decimal("0.00")),
                               (Decimal("20.00"), "", Decimal("100.00"), Decimal("20.00"))]
    # Total excl. VAT (BT-109) is the sum of the lines, débours included; the VAT (BT-110) is the 20 % only.
    assert standard["totals"] == (Decimal("197.45"), Decimal("20.00"), Decimal("217.45"))
    assert documents["credit_note"]["totals"] == standard["totals"]


def _groups(cii: bytes) -> list[tuple[str, str, str, str, str]]:
    root = etree.fromstring(cii)
    settlement = root.find(f".//{RAM}ApplicableHeaderTradeSettlement")
    return [(tax.findtext(f"{RAM}CategoryCode"), tax.findtext(f"{RAM}RateApplicablePercent"),
             tax.findtext(f"{RAM}BasisAmount"), tax.findtext(f"{RAM}ExemptionReasonCode") or "",
             tax.findtext(f"{RAM}ExemptionReason") or "")
            for tax in settlement.findall(f"{RAM}ApplicableTradeTax")]


@pytest.mark.parametrize(("name", "regime_group"), [
    ("standard", ("S", "20", "100.00", "", "")),
    ("reverse_charge_eu", ("AE", "0", "100.00", "VATEX-EU-AE")),
    ("export", ("G", "0", "100.00", "VATEX-EU-G")),
])
def test_the_xml_gives_the_debours_an_exempt_group_with_its_reason(documents, name, regime_group):
    groups = _groups(documents[name]["cii"])
    debours = ("E", "0", "97.45", "VATEX-EU-79-C", disbursement_wording(ISSUED))

    assert debours in groups
    [other] = [group for group in groups if group != debours]
    assert other[:len(regime_group)] == regime_group
    lines = etree.fromstring(documents[name]["cii"]).findall(f".//{RAM}IncludedSupplyChainTradeLineItem")
    assert sorted(line.findtext(f".//{RAM}ApplicableTradeTax/{RAM}CategoryCode") for line in lines) == sorted(
        ["E", "E", regime_group[0]])


def test_under_an_exempt_regime_the_debours_share_its_exempt_group_with_both_reasons(documents):
    [group] = _groups(documents["exempt"]["cii"])
    [alone] = _groups(documents["exempt_debours_only"]["cii"])

    assert group[:4] == ("E", "0", "197.45", "VATEX-EU-132-1I")
    assert group[4].endswith(f" ; {disbursement_wording(ISSUED)}")
    assert alone == ("E", "0", "97.45", "VATEX-EU-79-C", disbursement_wording(ISSUED))
    assert documents["exempt"]["vat"] == [(Decimal("0.00"), "", Decimal("197.45"), Decimal("0.00"))]


def _pdf_text(pdf: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def test_the_pdf_shows_the_debours_apart_with_their_total_and_wording(documents):
    text = _pdf_text(documents["standard"]["pdf"])

    block = text.index("Débours (hors TVA)")
    assert text.index("Déplacement") < block < text.index("Frais de greffe")
    assert "Base HT à 20 % 100,00" in text
    assert "Débours 97,45" in text
    assert "Base HT à 0 %" not in text  # the débours are not a 0 % VAT base
    assert "Total TTC 217,45" in text
    assert "hors base d'imposition" in text
