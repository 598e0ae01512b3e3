"""Documents of a month rendered as one zip, in the web application and through the API."""

import io
import zipfile
from datetime import date

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.services import validate_pre_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(firm, settings, tmp_path):
    settings.PREBILL_FILES_DIR = tmp_path
    for amount in ("100.00", "200.00", "300.00"):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), amount)])
    run_pre_billing(period=Period(2026, 11))
    return [validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, 11, 30)).number
            for pk in PreInvoice.objects.order_by("pk").values_list("pk", flat=True)]


def names_in(content: bytes) -> list[str]:
    return sorted(zipfile.ZipFile(io.BytesIO(content)).namelist())


def test_the_month_as_a_zip_from_the_invoices_page(client, user_with, month):
    client.force_login(user_with("accountant"))

    started = client.post("/documents/batches/", {"period": "2026-11"})
    status = client.get(started["Location"])
    archive = client.get(started["Location"] + "zip/")
    empty = client.post("/documents/batches/", {"period": "2027-01"}, follow=True)

    assert status.context["batch"].status == "done" and status.context["batch"].done == 3
    assert names_in(b"".join(archive.streaming_content)) == sorted(f"{n}.pdf" for n in month)
    assert "Aucune facture" in empty.content.decode() or "No invoice" in empty.content.decode()


def test_batches_and_documents_through_the_api(user_with, month):
    _, key = ApiToken.issue(user=user_with("validator"), name="t")
    api = Client(headers={"Authorization": f"Bearer {key}"})

    started = api.post("/api/document-batches", {"numbers": month[:2]}, content_type="application/json")
    batch = api.get(f"/api/document-batches/{started.json()['id']}").json()
    archive = api.get(f"/api/document-batches/{batch['id']}/zip")
    pdf = api.get(f"/api/invoices/{month[0]}/pdf")
    bad = api.post("/api/document-batches", {"period": "2030-01"}, content_type="application/json")

    assert started.status_code == 202 and (batch["status"], batch["done"], batch["total"]) == ("done", 2, 2)
    assert names_in(b"".join(archive.streaming_content)) == sorted(f"{n}.pdf" for n in month[:2])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert bad.status_code == 422


def test_a_batch_is_rendered_in_chunks_and_a_failed_chunk_alone_is_taken_again(month, settings, monkeypatch):
    from prebill.documents import services
    from prebill.documents.models import DocumentBatch, IssuedDocument
    from prebill.invoicing.models import Invoice
    from prebill.jobs.models import Job

    settings.PREBILL_BATCH_CHUNK = 2
    ids = list(Invoice.objects.order_by("number").values_list("pk", flat=True))
    render, renders = services.issued, []

    def failing_once(invoice, kind):
        renders.append(invoice.number)
        if invoice.number == month[2] and renders.count(month[2]) == 1:
            raise OSError("disk full")
        return render(invoice, kind)

    monkeypatch.setattr(services, "issued", failing_once)
    batch = services.start_batch(invoice_ids=ids, label="November")
    failed = DocumentBatch.objects.select_related("job").get(pk=batch.pk)
    chunks = Job.objects.filter(kind="document_chunk").order_by("key")
    states_after_failure = list(chunks.values_list("key", "state", "params"))
    shown, error = failed.shown_status, failed.error

    resumed = services.resume_batch(failed)

    assert shown == "failed" and "disk full" in error
    assert states_after_failure == [(f"batch:{batch.pk}:0", "done", {"invoices": ids[:2]}),
                                    (f"batch:{batch.pk}:1", "failed", {"invoices": ids[2:]})]
    assert resumed.shown_status == "done" and resumed.done == 3 and chunks.count() == 2
    assert renders == [month[0], month[1], month[2], month[2]]  # the chunk done is not rendered again
    assert names_in(services.zip_path(resumed).read_bytes()) == sorted(f"{n}.pdf" for n in month)
    assert IssuedDocument.objects.filter(kind="pdf").count() == 3
