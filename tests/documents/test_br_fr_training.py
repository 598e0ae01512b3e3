"""Training invoices an OPCO accepts pass the XSD, the EN 16931 and the French rules (BR-FR) as CII, Factur-X and
UBL, with their references: one funding quoted for the whole invoice (BT-13 order = the OPCO's file, BT-12
contract = the training agreement), several quoted on their lines (BT-127); the sponsor's remainder quotes its
training agreement (issue 15, scope item 8).

Built once for the module as tests/documents/test_br_fr.py builds its documents (its helpers are reused), in a
transaction rolled back at the end.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from lxml import etree

from prebill.documents.issued import issued_document
from prebill.einvoicing import validation
from prebill.invoicing.models import Invoice
from prebill.organisation.models import InvoiceSeries
from prebill.training import services as training
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f
from tests.documents.test_br_fr import CII, RAM, SYNTAXES, _find, _notes, _validate_all

pytestmark = pytest.mark.django_db
AGREEMENT = f"{CII}SupplyChainTradeTransaction/{RAM}ApplicableHeaderTradeAgreement/"
UBL_CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
UBL_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


def _session(reference: str, product: TrainingProduct, end: date, learners: dict, fundings: list[dict]):
    session = TrainingSession.objects.create(reference=reference, product=product, start=end, end=end, place="Lyon")
    for sponsor, names in learners.items():
        for name in names:
            Learner.objects.create(session=session, name=name, sponsor=sponsor)
    for funding in fundings:
        Funding.objects.create(session=session, **funding)
    training.mark_done(session_id=session.pk)
    return session


def _build() -> dict[str, Invoice]:
    org = f.organisation(legal_form="SAS", share_capital=Decimal("10000"), rcs_city="Paris",
                         iban="FR7630006000011234567890189", bic="AGRIFRPP", address_line1="12 rue de Rivoli",
                         postcode="75004", city="Paris")
    InvoiceSeries.objects.create(organisation=org, code="F", kind="invoice", prefix="F{year}-", digits=6,
                                 is_default=True)
    product = TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                             days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))
    # One OPCO, one invoice per funder and sponsor: the pair's invoice concerns one funding.
    opco = f.client(code="OPCO", training_billing="pair")
    alpha = f.client(code="ALPHA")
    _session("S-1", product, date(2026, 11, 17), {alpha: ["Alice", "Arthur"]},
             [{"funder": opco, "sponsor": alpha, "percent": Decimal("75"), "file_number": "PEC-2026-0042",
               "agreement_reference": "CONV-2026-17"}])
    # Another OPCO, one invoice for all it funds: two sessions, two files.
    akto = f.client(code="AKTO", training_billing="consolidated")
    beta = f.client(code="BETA")
    _session("S-2", product, date(2026, 11, 18), {beta: ["Bruno"]},
             [{"funder": akto, "sponsor": beta, "percent": Decimal("100"), "file_number": "AKTO-118",
               "agreement_reference": "CONV-2026-18"}])
    _session("S-3", product, date(2026, 11, 19), {beta: ["Béatrice"]},
             [{"funder": akto, "sponsor": beta, "amount": Decimal("450.00"), "file_number": "AKTO-119"}])
    return {"opco_one_funding": _validate_all(opco), "opco_several_fundings": _validate_all(akto),
            "sponsor_remainder": _validate_all(alpha)}


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker) -> dict[str, dict]:
    """{document: {"cii" | "pdf" | "ubl": bytes}}, rendered once as the product issues them."""
    validation.warm_up()
    with django_db_blocker.unblock(), override_settings(PREBILL_RUNS_INLINE=True), transaction.atomic():
        found = {name: {kind: issued_document(invoice, kind) for kind in SYNTAXES}
                 for name, invoice in _build().items()}
        transaction.set_rollback(True)
    return found


@pytest.mark.parametrize("kind", SYNTAXES)
@pytest.mark.parametrize("name", ["opco_one_funding", "opco_several_fundings", "sponsor_remainder"])
def test_training_invoices_with_their_references_pass_the_en16931_and_french_rules(documents, name, kind):
    report = validation.check_invoice(documents[name][kind], SYNTAXES[kind])

    assert report.unreadable is None
    assert [(f.rule, f.message) for f in report.fatal] == []
    assert [(f.rule, f.message) for f in report.warnings] == []


def test_one_funding_is_the_invoices_order_and_contract_in_cii_and_ubl(documents):
    cii, ubl = documents["opco_one_funding"]["cii"], etree.fromstring(documents["opco_one_funding"]["ubl"])

    assert _find(cii, f"{AGREEMENT}{RAM}BuyerOrderReferencedDocument/{RAM}IssuerAssignedID").text == "PEC-2026-0042"
    assert _find(cii, f"{AGREEMENT}{RAM}ContractReferencedDocument/{RAM}IssuerAssignedID").text == "CONV-2026-17"
    assert ubl.findtext(f"{UBL_CAC}OrderReference/{UBL_CBC}ID") == "PEC-2026-0042"
    assert ubl.findtext(f"{UBL_CAC}ContractDocumentReference/{UBL_CBC}ID") == "CONV-2026-17"
    assert _notes(cii)["BAR"] == "OUTOFSCOPE"  # exempt training stays out of the e-invoicing mandate


def test_several_fundings_are_noted_on_their_lines_in_cii_and_ubl(documents):
    cii, ubl = documents["opco_several_fundings"]["cii"], etree.fromstring(documents["opco_several_fundings"]["ubl"])
    root = etree.fromstring(cii)

    assert _find(cii, f"{AGREEMENT}{RAM}BuyerOrderReferencedDocument") is None
    assert [line.findtext(f"{RAM}IncludedNote/{RAM}Content")
            for line in root.iter(f"{RAM}AssociatedDocumentLineDocument")] == [
        "Dossier n° AKTO-118 — Convention CONV-2026-18", "Dossier n° AKTO-119"]
    assert [line.findtext(f"{UBL_CBC}Note") for line in ubl.iter(f"{UBL_CAC}InvoiceLine")] == [
        "Dossier n° AKTO-118 — Convention CONV-2026-18", "Dossier n° AKTO-119"]


def test_the_sponsors_remainder_quotes_its_training_agreement_only(documents):
    cii = documents["sponsor_remainder"]["cii"]

    assert _find(cii, f"{AGREEMENT}{RAM}ContractReferencedDocument/{RAM}IssuerAssignedID").text == "CONV-2026-17"
    assert _find(cii, f"{AGREEMENT}{RAM}BuyerOrderReferencedDocument") is None


def test_the_pdf_prints_the_file_number_and_the_agreement(documents):
    import io

    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(documents["opco_one_funding"]["pdf"])).pages).split())

    assert "dossier n° PEC-2026-0042" in text and "convention de formation CONV-2026-17" in text
    assert "2 apprenants" in text
