"""What an OPCO gets with its invoice: the file number and training agreement printed and in the XML, the
certificates of completion and signed attendance sheets kept on the session following the PDF as pages, the
exemption wording; and who may keep and read those files."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from lxml import etree
from PIL import Image
from pypdf import PdfReader
from weasyprint import HTML

from prebill.attachments.services import path_of
from prebill.billing.models import PreInvoice
from prebill.clients.models import Client
from prebill.documents.pdf import factur_x_xml, invoice_pdf
from prebill.invoicing.services import validate_pre_invoice
from prebill.training import services
from prebill.training.models import Funding, Learner, SessionDocument, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
AGREEMENT = ("{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}SupplyChainTradeTransaction/"
             f"{RAM}ApplicableHeaderTradeAgreement/")


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.PREBILL_FILES_DIR = tmp_path / "files"


@pytest.fixture
def session(firm):
    """Two learners of ALPHA, half funded by the OPCO (one invoice for all it funds), one of BETA, not funded."""
    product = TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                             days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))
    session = TrainingSession.objects.create(reference="S-1", product=product, start=date(2026, 11, 16),
                                             end=date(2026, 11, 17), place="Lyon")
    opco = f.client(code="OPCO", training_billing="consolidated")
    alpha, beta = f.client(code="ALPHA"), f.client(code="BETA")
    for name, sponsor in (("Alice", alpha), ("Arthur", alpha), ("Bruno", beta)):
        Learner.objects.create(session=session, name=name, sponsor=sponsor)
    Funding.objects.create(session=session, funder=opco, sponsor=alpha, percent=Decimal("50"),
                           file_number="PEC-2026-0042", agreement_reference="CONV-2026-17")
    return session


@pytest.fixture
def preparer(user_with):
    browser = Browser()
    browser.force_login(user_with("preparer"))
    return browser


def certificate_pdf(text: str) -> bytes:
    return HTML(string=f"<p>{text}</p>").write_pdf()


def attendance_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, format="PNG")
    return out.getvalue()


def upload(browser: Browser, session: TrainingSession, *, kind: str, sponsor: str, name: str, content: bytes):
    return browser.post(f"/training/sessions/{session.pk}/documents/",
                        {"kind": kind, "sponsor": sponsor, "file": SimpleUploadedFile(name, content)}, follow=True)


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def validated(code: str):
    return validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get(client__code=code).pk,
                                issue_date=date(2026, 11, 30))


def test_a_preparer_keeps_a_certificate_and_attendance_sheets_on_the_session(session, preparer):
    kept = upload(preparer, session, kind="certificate", sponsor="ALPHA", name="certificat.pdf",
                  content=certificate_pdf("Certificat de réalisation"))
    sheets = upload(preparer, session, kind="attendance", sponsor="ALPHA", name="emargement.png",
                    content=attendance_png())

    page = kept.content.decode()
    documents = list(SessionDocument.objects.order_by("pk"))
    assert kept.redirect_chain[-1][0] == f"/training/sessions/{session.pk}/" and sheets.status_code == 200
    assert [(d.kind, d.sponsor.code, d.attachment.original_name) for d in documents] == [
        ("certificate", "ALPHA", "certificat.pdf"), ("attendance", "ALPHA", "emargement.png")]
    assert documents[0].attachment.client.code == "ALPHA" and documents[0].attachment.content_type == "application/pdf"
    assert f'href="/files/{documents[0].attachment_id}/"' in page
    assert "certificat de réalisation" in page


@pytest.mark.parametrize(("changes", "refusal"), [
    ({"name": "notes.txt", "content": b"just text"}, "seuls les fichiers PDF, PNG et JPEG sont conservés"),
    ({"sponsor": "OPCO"}, "Choisissez un commanditaire qui envoie des apprenants à la session S-1."),
    ({"sponsor": "NOBODY"}, "Choisissez le document, le commanditaire"),
    ({"kind": "invoice"}, "Choisissez le document, le commanditaire"),
])
def test_what_is_not_a_proof_of_this_session_is_refused(session, preparer, changes, refusal):
    values = {"kind": "certificate", "sponsor": "ALPHA", "name": "certificat.pdf",
              "content": certificate_pdf("Certificat")} | changes

    page = upload(preparer, session, **values)

    assert refusal in page.content.decode().replace("&#x27;", "'")
    assert not SessionDocument.objects.exists()


def test_a_cancelled_session_keeps_no_more_documents(session, preparer):
    services.cancel(session_id=session.pk)

    page = upload(preparer, session, kind="certificate", sponsor="ALPHA", name="c.pdf", content=certificate_pdf("C"))

    assert "La session S-1 est annulée." in page.content.decode() and not SessionDocument.objects.exists()


def test_only_who_runs_billing_keeps_them_with_a_csrf_token_and_only_users_read_them(session, preparer,
                                                                                     user_with):
    upload(preparer, session, kind="certificate", sponsor="ALPHA", name="c.pdf", content=certificate_pdf("C"))
    kept = SessionDocument.objects.get()
    validator, nobody, guarded = Browser(), Browser(), Browser(enforce_csrf_checks=True)
    validator.force_login(user_with("validator"))
    nobody.force_login(user_with())
    guarded.force_login(user_with("preparer", username="careful"))
    document = {"kind": "certificate", "sponsor": "ALPHA"}

    assert validator.post(f"/training/sessions/{session.pk}/documents/", document).status_code == 403
    assert guarded.post(f"/training/sessions/{session.pk}/documents/", document).status_code == 403
    assert Browser().post(f"/training/sessions/{session.pk}/documents/", document).status_code == 302  # log in
    assert 'data-test="attach-document"' not in validator.get(f"/training/sessions/{session.pk}/").content.decode()
    assert SessionDocument.objects.count() == 1
    assert nobody.get(f"/files/{kept.attachment_id}/").status_code == 403
    downloaded = validator.get(f"/files/{kept.attachment_id}/")
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == path_of(kept.attachment).read_bytes()


def test_the_funders_invoice_prints_its_references_and_carries_the_documents_as_pages(session):
    alpha, beta = Client.objects.get(code="ALPHA"), Client.objects.get(code="BETA")
    services.attach_document(session_id=session.pk, sponsor_id=alpha.pk, kind="certificate",
                             upload=SimpleUploadedFile("c.pdf", certificate_pdf("Certificat de realisation Alice")))
    services.attach_document(session_id=session.pk, sponsor_id=alpha.pk, kind="attendance",
                             upload=SimpleUploadedFile("e.png", attendance_png()))
    services.attach_document(session_id=session.pk, sponsor_id=beta.pk, kind="certificate",
                             upload=SimpleUploadedFile("b.pdf", certificate_pdf("Certificat de realisation Bruno")))
    services.mark_done(session_id=session.pk)
    funder, sponsor = validated("OPCO"), validated("ALPHA")

    pages, text = pdf_text(invoice_pdf(funder))
    sponsor_pages, sponsor_text = pdf_text(invoice_pdf(sponsor))
    own_pages, _ = pdf_text(invoice_pdf(validated("BETA")))

    assert "dossier n° PEC-2026-0042" in text and "convention de formation CONV-2026-17" in text
    assert "dossier de prise en charge n° PEC-2026-0042 · convention de formation CONV-2026-17" in text
    assert "2 apprenants" in text  # the quantity agrees with its unit
    assert "Certificat de realisation Alice" in text and "Bruno" not in text  # only the learners it funds
    assert pages == 1 + 2  # the invoice, the certificate, the attendance sheets
    assert "Certificat de realisation" not in sponsor_text and sponsor_pages == 1  # a sponsor pays its own part
    assert own_pages == 1


def test_the_exemption_wording_gives_the_article_its_code_and_the_directive(session):
    services.mark_done(session_id=session.pk)

    _, text = pdf_text(invoice_pdf(validated("OPCO")))

    assert ("Exonération de TVA – formation professionnelle continue : art. 261-4-4° a du CGI, repris au CIBS "
            "(référence admise jusqu'au 31/12/2027) ; art. 132, 1, i) de la directive 2006/112/CE") in text


def test_one_funding_is_quoted_once_for_the_invoice_as_its_order_and_contract(session):
    services.mark_done(session_id=session.pk)

    root = etree.fromstring(factur_x_xml(validated("OPCO")))

    assert root.findtext(f"{AGREEMENT}{RAM}BuyerOrderReferencedDocument/{RAM}IssuerAssignedID") == "PEC-2026-0042"
    assert root.findtext(f"{AGREEMENT}{RAM}ContractReferencedDocument/{RAM}IssuerAssignedID") == "CONV-2026-17"
    assert not [note for line in root.iter(f"{RAM}AssociatedDocumentLineDocument")
                for note in line.findall(f"{RAM}IncludedNote")]


def test_several_fundings_are_quoted_on_their_lines(session):
    other = TrainingSession.objects.create(reference="S-2", product=session.product, start=date(2026, 11, 20),
                                           end=date(2026, 11, 20))
    alpha = Client.objects.get(code="ALPHA")
    Learner.objects.create(session=other, name="Agathe", sponsor=alpha)
    Funding.objects.create(session=other, funder=Client.objects.get(code="OPCO"), sponsor=alpha,
                           percent=Decimal("100"), file_number="PEC-2026-0050")
    services.mark_done(session_id=session.pk)
    services.mark_done(session_id=other.pk)

    root = etree.fromstring(factur_x_xml(validated("OPCO")))
    notes = [line.findtext(f"{RAM}IncludedNote/{RAM}Content")
             for line in root.iter(f"{RAM}AssociatedDocumentLineDocument")]

    assert root.find(f"{AGREEMENT}{RAM}BuyerOrderReferencedDocument") is None
    assert root.find(f"{AGREEMENT}{RAM}ContractReferencedDocument") is None
    assert notes == ["Dossier n° PEC-2026-0042 — Convention CONV-2026-17", "Dossier n° PEC-2026-0050"]
