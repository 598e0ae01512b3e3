"""Issued documents: rendered once from the invoice's snapshot of the seller, kept, and the same bytes ever after."""

import hashlib
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import facturx
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from prebill.api.models import ApiToken
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.documents import issued as issued_module
from prebill.documents.issued import issued, issued_document
from prebill.documents.models import IssuedDocument
from prebill.documents.pdf import factur_x_xml, invoice_pdf, pre_invoice_pdf
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from prebill.organisation.models import Organisation
from tests import factories as f

pytestmark = pytest.mark.django_db
OLD_FORM, NEW_FORM = "SAS au capital de 50 000 € — RCS Lyon 732 829 320", "SA au capital de 900 000 € — RCS Paris"
OLD_IBAN, NEW_IBAN = "FR7630006000011234567890189", "FR7610107001011234567890129"


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def logo_colour(pdf: bytes) -> tuple:
    [image] = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    return image.image.convert("RGB").getpixel((0, 0))


def validated(issue_date: date = date(2026, 11, 30)):
    f.fixed_fee_part(f.engagement(f.client(code=f"ACME{PreInvoice.objects.count()}")),
                     installments=[(issue_date, "1000.00")])
    run_pre_billing(period=Period.of(issue_date))
    pre = PreInvoice.objects.filter(period=Period.of(issue_date).first_day).order_by("-pk").first()
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=issue_date)


@pytest.fixture
def identity(firm):
    firm.legal_name, firm.legal_form, firm.iban, firm.bic = "Cabinet Ancien", OLD_FORM, OLD_IBAN, "AGRIFRPP"
    firm.address_line1, firm.postcode, firm.city, firm.logo = "12 rue de la Bourse", "69002", "Lyon", png("red")
    firm.save()
    return firm


def rebrand() -> None:
    """The firm changes everything the documents print about it."""
    Organisation.objects.update(legal_name="Cabinet Nouveau", legal_form=NEW_FORM, iban=NEW_IBAN, bic="BNPAFRPP",
                                logo=png("blue"), address_line1="1 avenue Foch", postcode="75016", city="Paris")


def test_validation_freezes_the_sellers_full_identity(identity):
    invoice = validated()

    assert (invoice.seller_name, invoice.seller_legal_form, invoice.seller_iban, invoice.seller_bic) == (
        "Cabinet Ancien", OLD_FORM, OLD_IBAN, "AGRIFRPP")
    assert bytes(invoice.seller_logo) == png("red") and invoice.seller_logo_type == "image/png"
    assert invoice.seller_address == "12 rue de la Bourse\n69002 Lyon\nFR"


def test_the_documents_downloaded_again_after_the_firm_changed_are_byte_identical(identity, client, user_with):
    invoice = validated()
    client.force_login(user_with("accountant"))
    first = {kind: client.get(f"/documents/invoices/{invoice.pk}/{kind}/") for kind in ("pdf", "xml", "ubl")}

    rebrand()
    again = {kind: client.get(f"/documents/invoices/{invoice.pk}/{kind}/") for kind in ("pdf", "xml", "ubl")}

    stored = {row.kind: row for row in IssuedDocument.objects.filter(invoice=invoice)}
    assert set(stored) == {"pdf", "cii", "ubl"}
    for kind, name in (("pdf", "pdf"), ("xml", "cii"), ("ubl", "ubl")):
        assert again[kind].status_code == 200 and again[kind].content == first[kind].content
        digest = hashlib.sha256(again[kind].content).hexdigest()
        assert again[kind]["X-Content-SHA256"] == first[kind]["X-Content-SHA256"] == digest == stored[name].sha256
        assert bytes(stored[name].content) == again[kind].content
    text = text_of(again["pdf"].content)
    assert "Cabinet Ancien" in text and OLD_FORM in text and f"IBAN {OLD_IBAN}" in text and "Lyon" in text
    assert "Cabinet Nouveau" not in text and NEW_FORM not in text and NEW_IBAN not in text
    assert logo_colour(again["pdf"].content) == (255, 0, 0)
    assert OLD_IBAN.encode() in again["xml"].content and b"Cabinet Ancien" in again["xml"].content
    assert facturx.get_xml_from_pdf(again["pdf"].content, check_xsd=True)[1] == again["xml"].content


def test_rendered_anew_an_invoice_still_prints_its_snapshot_not_the_live_firm(identity):
    invoice = validated()
    rebrand()

    pdf, xml = invoice_pdf(invoice), factur_x_xml(invoice)

    text = text_of(pdf)
    assert "Cabinet Ancien" in text and OLD_FORM in text and OLD_IBAN in text and "BIC AGRIFRPP" in text
    assert "Cabinet Nouveau" not in text and NEW_FORM not in text and NEW_IBAN not in text
    assert logo_colour(pdf) == (255, 0, 0)
    assert OLD_IBAN.encode() in xml and NEW_IBAN.encode() not in xml


def test_a_credit_note_copies_the_credited_invoices_seller_and_a_draft_reads_the_live_firm(identity):
    invoice = validated()
    rebrand()
    note = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 12, 1))
    f.fixed_fee_part(f.engagement(f.client(code="LATER")), installments=[(date(2026, 12, 31), "50.00")])
    run_pre_billing(period=Period(2026, 12))

    note_text = text_of(issued_document(note, "pdf"))
    draft = pre_invoice_pdf(PreInvoice.objects.get(period=date(2026, 12, 1)))

    assert (note.seller_name, note.seller_legal_form, note.seller_iban) == ("Cabinet Ancien", OLD_FORM, OLD_IBAN)
    assert bytes(note.seller_logo) == png("red")
    assert "Cabinet Ancien" in note_text and OLD_IBAN in note_text and "Cabinet Nouveau" not in note_text
    draft_text = text_of(draft)
    assert "Cabinet Nouveau" in draft_text and NEW_FORM in draft_text and NEW_IBAN in draft_text
    assert logo_colour(draft) == (0, 0, 255)


def test_the_api_the_command_line_and_batches_return_the_stored_bytes(identity, user_with, tmp_path, settings):
    from prebill.cli.commands import dispatch
    from prebill.documents.services import start_batch, write_archive

    settings.PREBILL_FILES_DIR = tmp_path
    invoice = validated()
    _, key = ApiToken.issue(user=user_with("accountant"), name="t")
    api = Client(headers={"Authorization": f"Bearer {key}"})
    first = api.get(f"/api/invoices/{invoice.number}/pdf")
    rebrand()

    dispatch(["pdf", invoice.number, "-o", str(tmp_path)])
    dispatch(["facturx", invoice.number, "-o", str(tmp_path)])
    dispatch(["facturx", invoice.number, "--ubl", "-o", str(tmp_path)])
    batch = start_batch(invoice_ids=[invoice.pk], label="t")
    write_archive(batch.pk)  # twice: the second archive holds the same bytes
    xml, ubl = api.get(f"/api/invoices/{invoice.number}/xml"), api.get(f"/api/invoices/{invoice.number}/ubl")

    stored = {row.kind: bytes(row.content) for row in IssuedDocument.objects.filter(invoice=invoice)}
    assert first.status_code == 200 and first.content == stored["pdf"]
    assert first["X-Content-SHA256"] == hashlib.sha256(stored["pdf"]).hexdigest()
    assert (tmp_path / f"{invoice.number}.pdf").read_bytes() == stored["pdf"]
    assert (tmp_path / f"{invoice.number}-factur-x.xml").read_bytes() == stored["cii"] == xml.content
    assert (tmp_path / f"{invoice.number}-ubl.xml").read_bytes() == stored["ubl"] == ubl.content
    for path in (tmp_path / "batches").glob("*.zip"):
        assert zipfile.ZipFile(path).read(f"{invoice.number}.pdf") == stored["pdf"]
    assert IssuedDocument.objects.filter(invoice=invoice).count() == 3


def test_a_document_is_rendered_once(identity, monkeypatch):
    invoice = validated()
    renders = []
    render = issued_module._render
    monkeypatch.setattr(issued_module, "_render", lambda inv, kind: renders.append(kind) or render(inv, kind))

    contents = {issued_document(invoice, "pdf") for _ in range(3)} | {issued_document(invoice, "pdf")}

    assert len(contents) == 1 and renders == ["pdf", "cii"]


def test_the_loser_of_two_first_downloads_returns_the_winners_bytes(identity, monkeypatch):
    invoice = validated()

    def render_while_another_download_stores_first(inv, kind):
        IssuedDocument.objects.create(invoice=inv, kind=kind, content=b"<winner/>",
                                      sha256=hashlib.sha256(b"<winner/>").hexdigest())
        return b"<loser/>"

    monkeypatch.setattr(issued_module, "_render", render_while_another_download_stores_first)

    document = issued(invoice, "cii")

    assert document.content == b"<winner/>" and document.sha256 == hashlib.sha256(b"<winner/>").hexdigest()
    assert IssuedDocument.objects.filter(invoice=invoice).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.create(invoice=invoice, kind="cii", content=b"x", sha256="x")


@pytest.mark.parametrize("statement", [
    "UPDATE documents_issueddocument SET content = %s",
    "UPDATE documents_issueddocument SET sha256 = 'forged'",
    "DELETE FROM documents_issueddocument",
])
def test_an_issued_document_is_never_changed_nor_deleted(identity, statement):
    invoice = validated()
    kept = issued_document(invoice, "cii")

    with pytest.raises(DatabaseError, match="never change"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [b"forged"] if "%s" in statement else None)

    assert bytes(IssuedDocument.objects.get(invoice=invoice, kind="cii").content) == kept


def test_the_new_snapshot_columns_are_frozen_too(identity):
    invoice = validated()

    with pytest.raises(DatabaseError, match="never change"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE invoicing_invoice SET seller_iban = 'FR00'")

    assert type(invoice).objects.get(pk=invoice.pk).seller_iban == OLD_IBAN


def fetch_cii(invoice_id: int) -> str:
    from prebill.invoicing.models import Invoice

    try:
        return issued(Invoice.objects.get(pk=invoice_id), "cii").sha256
    finally:
        connection.close()  # each worker thread has its own connection


@pytest.mark.django_db(transaction=True)
def test_validation_keeps_the_three_documents_once_committed_and_a_download_returns_them(
        unfreeze_after, identity, monkeypatch):
    invoice = validated()
    kept = {d.kind: d for d in IssuedDocument.objects.filter(invoice=invoice)}
    monkeypatch.setattr(issued_module, "_render", lambda *args: pytest.fail("rendered again at download"))
    rebrand()

    assert sorted(kept) == ["cii", "pdf", "ubl"]
    assert hashlib.sha256(bytes(kept["pdf"].content)).hexdigest() == kept["pdf"].sha256
    assert issued_document(invoice, "pdf") == bytes(kept["pdf"].content)
    assert "Cabinet Ancien" in text_of(issued_document(invoice, "pdf"))


def test_documents_wait_for_the_commit_and_a_rolled_back_validation_renders_nothing(identity, monkeypatch):
    rendered = []
    monkeypatch.setattr(issued_module, "_render", lambda invoice, kind: rendered.append(kind) or b"<x/>")

    with transaction.atomic():
        validated()
        assert rendered == []  # never under the validation's locks
        transaction.set_rollback(True)

    assert rendered == [] and not IssuedDocument.objects.exists()


def test_a_document_that_failed_at_validation_is_rendered_at_its_first_download(identity, monkeypatch,
                                                                                 django_capture_on_commit_callbacks):
    def broken(invoice, kind):
        raise OSError("disk full")

    monkeypatch.setattr(issued_module, "_render", broken)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = validated()  # robust: the invoice stands whatever the rendering did
    monkeypatch.undo()

    assert invoice.number == "F2026-000001" and not IssuedDocument.objects.exists()
    assert issued_document(invoice, "cii").startswith(b"<?xml")


@pytest.mark.django_db(transaction=True)
def test_four_first_downloads_at_once_keep_one_document(unfreeze_after, identity, monkeypatch):
    monkeypatch.setattr("prebill.documents.receivers.later", lambda *args: None)  # none rendered at validation
    invoice = validated()

    with ThreadPoolExecutor(max_workers=4) as pool:
        digests = list(pool.map(fetch_cii, [invoice.pk] * 4))

    assert len(set(digests)) == 1 and IssuedDocument.objects.filter(invoice=invoice).count() == 1
