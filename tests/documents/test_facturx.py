"""The Factur-X XML: valid against the EN 16931 XSD, its figures the invoice's own, credit notes 381."""

from datetime import date
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.documents.facturx import NS, invoice_xml
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(firm):
    engagement = f.engagement(f.client(code="ACME"))
    f.time_part(engagement)
    consultant = f.collaborator(hourly="150")
    for day in (2, 3):
        f.time_entry(consultant, engagement, date(2026, 11, day), "7")
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "1000.00")])
    run_pre_billing(period=Period(2026, 11))
    pre = PreInvoice.objects.order_by("-total_excluding_vat").first()
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))


def xml_of(document) -> bytes:
    return invoice_xml(document, lines=list(document.lines.all()), vat_lines=list(document.vat_lines.all()),
                       iban="FR7630006000011234567890189")


def text(tree, path: str) -> str:
    return tree.findtext(path, namespaces=NS)


def test_the_xml_is_valid_and_carries_the_invoice_figures(invoice):
    xml = xml_of(invoice)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    totals = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/" \
             "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert text(tree, "rsm:ExchangedDocument/ram:ID") == invoice.number
    assert text(tree, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert Decimal(text(tree, totals + "ram:TaxBasisTotalAmount")) == invoice.total_excluding_vat
    assert Decimal(text(tree, totals + "ram:TaxTotalAmount")) == invoice.total_vat
    assert Decimal(text(tree, totals + "ram:GrandTotalAmount")) == invoice.total_including_vat
    assert {n.findtext("ram:SubjectCode", namespaces=NS) for n in tree.iterfind(
        "rsm:ExchangedDocument/ram:IncludedNote", NS)} >= {"PMT", "PMD", "AAB"}
    seller = tree.find("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty", NS)
    assert seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS).get("schemeID") == "0002"


def test_a_credit_note_is_381_and_references_its_invoice(invoice):
    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))

    xml = xml_of(note)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    reference = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument/"
    assert text(tree, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert text(tree, reference + "ram:IssuerAssignedID") == invoice.number
    assert text(tree, reference + "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20261130"


def test_the_xml_follows_the_en16931_business_rules(invoice):
    from prebill.documents.schematron import en16931_failures

    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))

    assert en16931_failures(xml_of(invoice)) == []
    assert en16931_failures(xml_of(note)) == []
    broken = xml_of(invoice).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>999</ram:TypeCode>")
    failures = en16931_failures(broken)
    assert failures == ["FX-SCH-A-000555: Value of 'ram:TypeCode' is not allowed."]


def test_the_same_invoice_as_ubl_2_1(invoice):
    from prebill.documents.facturx import ubl_xml

    ubl = ubl_xml(xml_of(invoice))
    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))
    ubl_note = ubl_xml(xml_of(note))

    tree = etree.fromstring(ubl)
    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    assert tree.tag.endswith("}Invoice") and etree.fromstring(ubl_note).tag.endswith("}CreditNote")
    assert tree.findtext(f"{{{cbc}}}ID") == invoice.number
    assert Decimal(tree.findtext(f".//{{{cbc}}}PayableAmount")) == invoice.total_including_vat


def test_the_xml_follows_the_french_reform_rules(invoice):
    from prebill.documents.schematron import fr_ctc_failures

    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))
    without_indemnity = xml_of(invoice).replace(b"<ram:SubjectCode>PMT</ram:SubjectCode>",
                                                b"<ram:SubjectCode>AAI</ram:SubjectCode>")

    assert fr_ctc_failures(xml_of(invoice)) == [] and fr_ctc_failures(xml_of(note)) == []
    assert [f.split(":")[0] for f in fr_ctc_failures(without_indemnity)] == ["BR-FR-05_BT-22_PMT"]
