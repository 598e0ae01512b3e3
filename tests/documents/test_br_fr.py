"""Every kind of document the product issues passes the XSD, the EN 16931 and the French (BR-FR, XP Z12-012) rule
files, as CII, as Factur-X PDF and as UBL (issue 15, scope item 1).

The documents are built once for the module with the test factories and the product's own services, rendered as
the product issues them (prebill.documents.issued), in a transaction rolled back at the end; the rule files are
compiled once per process (prebill.einvoicing.validation).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from lxml import etree

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.clients.models import Client
from prebill.core.periods import Period
from prebill.costs import services as costs
from prebill.documents.issued import issued_document
from prebill.einvoicing import validation
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from prebill.organisation.models import InvoiceSeries, Organisation
from prebill.payments import services as payments
from prebill.training import services as training
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db  # the documents fixture renders invoices: the test database must exist
NOV = Period(2026, 11)
ISSUED = date(2026, 11, 30)
CII = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}"
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
SYNTAXES = {"cii": "CII", "pdf": "Factur-X", "ubl": "UBL"}

# Warnings left, each explained (none today): {document: {rule: why}}.
EXPLAINED_WARNINGS: dict[str, dict[str, str]] = {}


def _foreign(client: Client, *, country: str, postcode: str, city: str, vat: str, email: str) -> Client:
    client.siren, client.vat_number, client.email = "", vat, email
    client.save()
    client.addresses.update(country=country, postcode=postcode, city=city)
    return client


def _validate_all(client: Client, issue_date: date = ISSUED) -> Invoice:
    """The client's one draft of the month, validated."""
    [pre] = PreInvoice.objects.filter(client=client)
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=issue_date)


def _build() -> dict[str, Invoice]:
    org = f.organisation(legal_form="SAS", share_capital=Decimal("10000"), rcs_city="Paris",
                         iban="FR7630006000011234567890189", bic="AGRIFRPP", address_line1="12 rue de Rivoli",
                         postcode="75004", city="Paris",
                         expense_article=f.article("FRAIS"))
    InvoiceSeries.objects.create(organisation=org, code="F", kind="invoice", prefix="F{year}-", digits=6,
                                 is_default=True)
    InvoiceSeries.objects.create(organisation=org, code="AV", kind="credit_note", prefix="AV{year}-", digits=6)
    consultant = f.collaborator(hourly="150", daily="900")
    clients = {}

    clients["fixed_fee"] = fixed = f.client(code="FIXED")
    f.fixed_fee_part(f.engagement(fixed), installments=[(date(2026, 11, 30), "1000.00")])

    clients["units"] = units = f.client(code="UNITS")
    f.units_part(f.engagement(units))
    f.metric(units, date(2026, 11, 1), "42")

    for name, unit, hours in (("time_per_hour", "hour", ("7", "3.5")), ("time_per_day", "day", ("7", "7"))):
        clients[name] = client = f.client(code=name.upper())
        engagement = f.engagement(client)
        f.time_part(engagement, unit=unit)
        for day, spent in zip((2, 3), hours, strict=True):
            f.time_entry(consultant, engagement, date(2026, 11, day), spent)

    clients["expenses"] = spender = f.client(code="EXPENSES")
    engagement = f.engagement(spender)
    for day, (rate, amount) in enumerate((("5.5", "40.00"), ("10", "120.00"), ("20", "65.00")), start=4):
        costs.declare_expense(collaborator_id=consultant.pk, client_id=spender.pk, engagement_id=engagement.pk,
                              day=date(2026, 11, day), nature=f"Frais à {rate} %", amount_excluding_vat=Decimal(amount),
                              amount_including_vat=(Decimal(amount) * (1 + Decimal(rate) / 100)).quantize(
                                  Decimal("0.01")), vat_rate=Decimal(rate))

    clients["reverse_charge_eu"] = belgian = _foreign(
        f.client(code="BE", conditions={"vat_regime": "reverse_charge"}), country="BE", postcode="1000",
        city="Bruxelles", vat="BE0403170701", email="facturation@exemple.be")
    f.fixed_fee_part(f.engagement(belgian), installments=[(date(2026, 11, 30), "2000.00")])

    clients["export"] = swiss = _foreign(
        f.client(code="CH", conditions={"vat_regime": "export"}), country="CH", postcode="1201", city="Genève",
        vat="CHE123456789", email="compta@exemple.ch")
    f.fixed_fee_part(f.engagement(swiss), installments=[(date(2026, 11, 30), "3000.00")])

    clients["consumer"] = consumer = f.client(code="PRIVATE", nature="consumer")
    consumer.siren, consumer.siret, consumer.vat_number, consumer.email = "", "", "", "jean.martin@exemple.fr"
    consumer.save()
    f.fixed_fee_part(f.engagement(consumer), installments=[(date(2026, 11, 30), "300.00")])

    clients["deposit_deducted"] = deposit_client = f.client(code="DEPOSIT")
    f.fixed_fee_part(f.engagement(deposit_client), installments=[(date(2026, 11, 30), "1000.00")])

    run_pre_billing(period=NOV)
    invoices = {name: None for name in clients}
    deposit = payments.record_payment(client_id=deposit_client.pk, day=date(2026, 11, 2), method="transfer",
                                      amount=Decimal("300.00"), reference="ACOMPTE")
    payments.reserve_deposit(payment=deposit, pre_invoice_id=PreInvoice.objects.get(client=deposit_client).pk,
                             amount=Decimal("300.00"))
    for name, client in clients.items():
        if name == "units":  # this one as a firm that opted for VAT on debits (the option is frozen on it)
            Organisation.objects.update(vat_on_debits=True)
        invoices[name] = _validate_all(client)
        Organisation.objects.update(vat_on_debits=False)

    # Training exempt from VAT (art. 261-4-4° a CGI), invoiced to its funder (an OPCO).
    product = TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                             days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))
    session = TrainingSession.objects.create(reference="S-2026-11", product=product, start=date(2026, 11, 16),
                                             end=date(2026, 11, 17), place="Lyon")
    opco, sponsor = f.client(code="OPCO", training_billing="consolidated"), f.client(code="SPONSOR")
    Learner.objects.create(session=session, name="Alice", sponsor=sponsor)
    Funding.objects.create(session=session, funder=opco, sponsor=sponsor, percent=Decimal("100"),
                           file_number="PEC-2026-0042", agreement_reference="CONV-2026-17")
    training.mark_done(session_id=session.pk)
    invoices["training_exempt"] = _validate_all(opco)

    invoices["full_credit_note"] = issue_credit_note(invoice_id=invoices["fixed_fee"].pk, rebill=False,
                                                     issue_date=date(2026, 12, 1))
    share = invoices["time_per_hour"].lines.first().item_shares.first()  # one hour of its first day
    invoices["partial_credit_note"] = issue_credit_note(
        invoice_id=invoices["time_per_hour"].pk, quantities={share.item_id: Decimal("1")}, rebill=False,
        issue_date=date(2026, 12, 1))
    return invoices


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker) -> dict[str, dict]:
    """{document: {"invoice": its snapshot facts, "cii" | "pdf" | "ubl": bytes}}, rendered once."""
    validation.warm_up()
    with django_db_blocker.unblock(), override_settings(PREBILL_RUNS_INLINE=True), transaction.atomic():
        found = {}
        for name, invoice in _build().items():
            found[name] = {"number": invoice.number, "category": invoice.buyer_category,
                           **{kind: issued_document(invoice, kind) for kind in SYNTAXES}}
        transaction.set_rollback(True)
    return found


DOCUMENTS = ("fixed_fee", "units", "time_per_hour", "time_per_day", "expenses", "reverse_charge_eu", "export",
             "consumer", "deposit_deducted", "training_exempt", "full_credit_note", "partial_credit_note")


@pytest.mark.parametrize("kind", SYNTAXES)
@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_document_passes_the_en16931_and_french_rules(documents, name, kind):
    report = validation.check_invoice(documents[name][kind], SYNTAXES[kind])

    assert report.unreadable is None
    assert [(f.rule, f.message) for f in report.fatal] == []
    explained = EXPLAINED_WARNINGS.get(name, {})
    assert [(f.rule, f.message) for f in report.warnings if f.rule not in explained] == []


def _notes(cii: bytes) -> dict[str, str]:
    root = etree.fromstring(cii)
    return {note.findtext(f"{RAM}SubjectCode"): note.findtext(f"{RAM}Content")
            for note in root.iter(f"{RAM}IncludedNote")}


def _find(cii: bytes, path: str) -> etree._Element | None:
    return etree.fromstring(cii).find(path)


BUYER_URI = f"{CII}SupplyChainTradeTransaction/{RAM}ApplicableHeaderTradeAgreement/{RAM}BuyerTradeParty/" \
            f"{RAM}URIUniversalCommunication/{RAM}URIID"
FRAME = f"{CII}ExchangedDocumentContext/{RAM}BusinessProcessSpecifiedDocumentContextParameter/{RAM}ID"


@pytest.mark.parametrize(("name", "category", "scheme"), [
    ("fixed_fee", "B2B", "0225"), ("reverse_charge_eu", "B2BINT", "EM"), ("export", "B2BINT", "EM"),
    ("consumer", "B2C", "EM"), ("training_exempt", "OUTOFSCOPE", "0225"), ("full_credit_note", "B2B", "0225"),
])
def test_the_transaction_category_and_the_buyers_address_follow_the_clients_nature(documents, name, category,
                                                                                    scheme):
    cii = documents[name]["cii"]

    assert (documents[name]["category"], _notes(cii)["BAR"]) == (category, category)
    assert _find(cii, BUYER_URI).get("schemeID") == scheme


def test_the_firms_identity_is_in_the_notes_and_the_frame_says_what_is_billed(documents):
    notes = _notes(documents["fixed_fee"]["cii"])

    assert notes["REG"] == "Cabinet Test SAS au capital de 10 000 €"
    assert notes["ABL"].startswith("RCS Paris ") and "TXD" not in notes
    assert _notes(documents["units"]["cii"])["TXD"] == "Option pour le paiement de la taxe d'après les débits"
    assert b"<ram:DueDateTypeCode>5</ram:DueDateTypeCode>" in documents["units"]["cii"]
    assert b"DueDateTypeCode" not in documents["fixed_fee"]["cii"]
    assert _find(documents["fixed_fee"]["cii"], FRAME).text == "S1"
    assert _find(documents["deposit_deducted"]["cii"], FRAME).text == "S4"  # final invoice after a down payment


def test_the_pdf_prints_the_mentions(documents):
    import io

    from pypdf import PdfReader

    def text(name: str) -> str:
        return " ".join(PdfReader(io.BytesIO(documents[name]["pdf"])).pages[0].extract_text().split())

    assert "SAS au capital de 10 000 €" in text("fixed_fee") and "RCS Paris" in text("fixed_fee")
    assert "Option pour le paiement de la taxe d'après les débits" in text("units")
    assert "d'après les débits" not in text("fixed_fee")


def test_the_rule_files_do_run_on_these_documents(documents):
    """The check above would find a fatal failure: without its electronic address BT-49 the invoice is refused."""
    cii = documents["reverse_charge_eu"]["cii"]
    root = etree.fromstring(cii)
    uri = root.find(BUYER_URI)
    uri.getparent().getparent().remove(uri.getparent())

    report = validation.check_invoice(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), "CII")

    assert "BR-FR-12" in {f.rule for f in report.fatal}
