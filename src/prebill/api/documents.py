"""Endpoints of documents: an invoice's Factur-X PDF and CII XML, batches rendered as one zip."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status

from prebill.accounts.roles import SEE_INVOICES
from prebill.core.periods import Period
from prebill.documents import services
from prebill.documents.issued import CONTENT_TYPES, issued
from prebill.documents.models import DocumentBatch
from prebill.invoicing.models import Invoice

from .auth import require
from .schemas import Message

router = Router(tags=["documents"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}


class BatchIn(Schema):
    period: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="every document issued in the month")
    numbers: list[str] = Field([], description="or these numbers", max_length=10000)


class BatchOut(Schema):
    id: int
    label: str
    status: str
    done: int
    total: int
    error: str

    @staticmethod
    def resolve_status(batch) -> str:
        return batch.shown_status


def _invoice(number: str) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("credited_invoice"), number=number.replace("\x00", ""))


def _issued(number: str, kind: str) -> HttpResponse:
    """The issued document (rendered once, kept): the same bytes at every download, their digest in a header."""
    document = issued(_invoice(number), kind)
    response = HttpResponse(document.content, content_type=CONTENT_TYPES[document.kind])
    response["X-Content-SHA256"] = document.sha256
    return response


@router.get("/invoices/{number}/pdf", response={200: None, **ERRORS})
def pdf(request, number: str):
    """The invoice or credit note as a Factur-X EN 16931 PDF/A-3b (header X-Content-SHA256: its digest)."""
    require(request, SEE_INVOICES)
    return _issued(number, "pdf")


@router.get("/invoices/{number}/xml", response={200: None, **ERRORS})
def cii(request, number: str):
    """The CII XML alone (the one embedded in the PDF)."""
    require(request, SEE_INVOICES)
    return _issued(number, "cii")


@router.get("/invoices/{number}/ubl", response={200: None, **ERRORS})
def ubl(request, number: str):
    """The same invoice as a UBL 2.1 Invoice (or CreditNote)."""
    require(request, SEE_INVOICES)
    return _issued(number, "ubl")


@router.post("/document-batches", response={202: BatchOut, 422: Message, **ERRORS})
def start_batch(request, payload: BatchIn):
    """Render the month's (or the named) documents in the background; follow GET /document-batches/{id}."""
    require(request, SEE_INVOICES)
    period = Period.parse(payload.period) if payload.period else None
    ids = services.invoices_of(period=period, numbers=[n.replace("\x00", "") for n in payload.numbers])
    batch = services.start_batch(invoice_ids=ids, label=f"documents {payload.period or 'selection'}",
                                 user=request.auth)
    return Status(202, batch)


@router.get("/document-batches/{batch_id}", response={200: BatchOut, **ERRORS})
def batch_status(request, batch_id: int):
    require(request, SEE_INVOICES)
    return get_object_or_404(DocumentBatch, pk=batch_id)


@router.get("/document-batches/{batch_id}/zip", response={200: None, **ERRORS})
def batch_zip(request, batch_id: int):
    require(request, SEE_INVOICES)
    batch = get_object_or_404(DocumentBatch, pk=batch_id)
    if batch.status != DocumentBatch.Status.DONE:
        return Status(409, {"detail": gettext("The batch is %(status)s.") % {"status": batch.status}})
    return FileResponse(services.zip_path(batch).open("rb"), content_type="application/zip", as_attachment=True,
                        filename=f"documents-{batch.pk}.zip")
