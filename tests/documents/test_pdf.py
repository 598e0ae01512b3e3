"""Rendered documents read back: every mandatory mention, the Factur-X XML inside, proofs as pages."""

import io
from datetime import date
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.documents.facturx import NS
from prebill.documents.pdf import invoice_pdf, pre_invoice_pdf
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(firm):
    firm.iban, firm.bic = "FR7630006000011234567890189", "AGRIFRPP"
    firm.address_line1, firm.postcode, firm.city = "12 rue de la Bourse", "69002", "Lyon"
    firm.legal_form = "SAS au capital de 50 000 € — RCS Lyon 732 829 320"
    firm.save()
    engagement = f.engagement(f.client(code="ACME"))
    f.time_part(engagement)
    consultant = f.collaborator(hourly="150")
    for day in (2, 3):
        f.time_entry(consultant, engagement, date(2026, 11, day), "7")
    run_pre_billing(period=Period(2026, 11))
    return validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_invoice_pdf_has_every_mandatory_mention_and_its_factur_x(invoice):
    pdf = invoice_pdf(invoice)

    text = " ".join(text_of(pdf).split())
    for mention in (f"Facture n° {invoice.number}", invoice.seller_name, f"SIREN {invoice.seller_siren}",
                    invoice.seller_vat_number, invoice.buyer_name, f"SIREN {invoice.buyer_siren}",
                    "Date d'émission 30/11/2026", "Période de prestation du 02/11/2026 au 03/11/2026",
                    "Échéance", invoice.due_date.strftime("%d/%m/%Y"), "7 h", "150,00 €", "TVA 20 %",
                    "2 100,00 €", "420,00 €", "2 520,00 €", "Net à payer", "40 €", "pénalités",
                    "Pas d'escompte", "prestations de services", "IBAN FR7630006000011234567890189",
                    "Page 1 / 1"):
        assert mention.replace("\u202f", " ") in text.replace("\u202f", " ").replace("\xa0", " "), mention
    _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    tree = etree.fromstring(xml)
    assert tree.findtext("rsm:ExchangedDocument/ram:ID", namespaces=NS) == invoice.number
    grand = tree.findtext("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
                          "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", namespaces=NS)
    assert Decimal(grand) == invoice.total_including_vat
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    xmp = PdfReader(io.BytesIO(pdf)).xmp_metadata
    assert (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("3", "B")


def test_the_page_footer_prints_the_firms_name_as_it_is(firm):
    firm.legal_name = 'Dupont & Fils "Conseil"'
    firm.save()
    engagement = f.engagement(f.client())
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))

    text = text_of(pre_invoice_pdf(PreInvoice.objects.get()))

    assert 'Dupont & Fils "Conseil" — SIREN' in text and "&amp;" not in text


def test_a_credit_note_pdf_references_its_invoice(invoice):
    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))

    pdf = invoice_pdf(note)

    text = " ".join(text_of(pdf).split())
    assert f"Avoir n° {note.number}" in text and f"Avoir sur la facture {invoice.number} du 30/11/2026" in text
    _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert etree.fromstring(xml).findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"


def test_a_pre_invoice_pdf_is_a_draft_without_number(firm):
    f.fixed_fee_part(f.engagement(f.client(code="ACME")), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    pre = PreInvoice.objects.get()

    text = " ".join(text_of(pre_invoice_pdf(pre)).split())

    assert f"Pré-facture #{pre.pk} (brouillon, sans numéro)" in text and "F2026-" not in text


def test_receipts_of_the_billed_expenses_follow_as_pages(firm, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from weasyprint import HTML

    from prebill.costs.services import declare_expense
    from prebill.organisation.models import Organisation

    settings.PREBILL_FILES_DIR = tmp_path
    Organisation.objects.update(expense_article=f.article("FRAIS"))
    client = f.client(code="ACME")
    engagement = f.engagement(client)
    receipt = HTML(string="<p>TICKET SNCF 84,50</p>").write_pdf()
    declare_expense(collaborator_id=f.collaborator().pk, client_id=client.pk, engagement_id=engagement.pk,
                    day=date(2026, 11, 10), nature="Train", amount_excluding_vat=Decimal("84.50"),
                    amount_including_vat=Decimal("92.95"), vat_rate=Decimal("10"),
                    receipt=SimpleUploadedFile("ticket.pdf", receipt))
    run_pre_billing(period=Period(2026, 11))
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))

    pages = PdfReader(io.BytesIO(invoice_pdf(invoice))).pages

    assert len(pages) == 2 and "TICKET SNCF 84,50" in pages[1].extract_text()


def test_documents_from_the_web_and_the_command_line(invoice, client, user_with, tmp_path, capsys):
    from prebill.cli.commands import dispatch

    client.force_login(user_with("accountant"))
    pdf = client.get(f"/documents/invoices/{invoice.pk}/pdf/")
    xml = client.get(f"/documents/invoices/{invoice.pk}/xml/")
    client.force_login(user_with(username="nobody"))
    refused = client.get(f"/documents/invoices/{invoice.pk}/pdf/")
    code = dispatch(["pdf", invoice.number, "F2099-999999", "-o", str(tmp_path)])
    dispatch(["facturx", invoice.number, "-o", str(tmp_path)])
    dispatch(["facturx", invoice.number, "--ubl", "-o", str(tmp_path)])
    ubl = client.get(f"/documents/invoices/{invoice.pk}/ubl/")

    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert f'filename="{invoice.number}.pdf"' in pdf["Content-Disposition"]
    assert facturx.xml_check_xsd(xml.content, flavor="factur-x", level="en16931")
    assert refused.status_code == 403
    assert code == 2 and "aucune facture F2099-999999" in capsys.readouterr().err
    assert (tmp_path / f"{invoice.number}.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / f"{invoice.number}-factur-x.xml").exists()
    assert b"<cbc:ID>" + invoice.number.encode() in (tmp_path / f"{invoice.number}-ubl.xml").read_bytes()
    assert ubl.status_code == 403  # the user without a role asked last


def test_sample_documents_render_as_pictures(invoice):
    """PDF -> PNG of a sample invoice and credit note; docs/screenshots is refreshed with PREBILL_SCREENSHOTS=1."""
    import os
    from pathlib import Path

    import pypdfium2

    note = issue_credit_note(invoice_id=invoice.pk, quantities={invoice.lines.first().item_shares.first().item_id:
                                                                Decimal("7")}, rebill=False,
                             issue_date=date(2026, 12, 1))
    for name, document in (("invoice-sample.png", invoice), ("credit-note-sample.png", note)):
        page = pypdfium2.PdfDocument(invoice_pdf(document))[0]
        image = page.render(scale=1.5).to_pil()
        inked = sum(image.convert("L").histogram()[:128])  # dark pixels
        assert image.size[0] > 800 and inked > 5000  # a page with text on it, not a blank sheet
        if os.environ.get("PREBILL_SCREENSHOTS"):
            image.save(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / name)


def test_the_firms_logo_heads_its_documents(firm, tmp_path, capsys):
    from prebill.cli.commands import dispatch

    logo = tmp_path / "logo.png"  # a 1 x 1 pixel PNG
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes.fromhex(
        "0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf000003010100c9fe92ef"
        "0000000049454e44ae426082"))
    refused = dispatch(["logo", str(tmp_path / "missing.png")])
    accepted = dispatch(["logo", str(logo)])
    f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))

    pdf = invoice_pdf(invoice)  # the logo as validation froze it onto the invoice

    assert (refused, accepted) == (2, 0)
    assert bytes(invoice.seller_logo) == logo.read_bytes() and invoice.seller_logo_type == "image/png"
    images = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    assert len(images) == 1


def test_reverse_charge_prints_its_wording_and_follows_the_rules(firm):
    from prebill.documents.pdf import factur_x_xml
    from prebill.documents.schematron import en16931_failures

    firm.iban = "FR7630006000011234567890189"
    firm.save()
    client = f.client(code="EUCO", conditions={"vat_regime": "reverse_charge"})
    client.siren, client.vat_number, client.nature = "", "DE123456789", "foreign_company"  # a German company
    client.save()
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "1000.00")])
    run_pre_billing(period=Period(2026, 11))
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))

    text = " ".join(text_of(invoice_pdf(invoice)).split())

    assert invoice.total_vat == 0 and "Autoliquidation" in text and "CIBS" in text
    assert en16931_failures(factur_x_xml(invoice)) == []
