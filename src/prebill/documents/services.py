"""Rendering many documents: a background job (prebill.jobs) writes one zip, its progress read by the page and\nthe API."""

from __future__ import annotations

import logging
import uuid
import zipfile
from pathlib import Path

from django.utils.translation import gettext, gettext_noop

from prebill.accounts.roles import acting_user
from prebill.attachments.services import files_dir
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.invoicing.models import Invoice
from prebill.jobs.services import handler, resume_job, start_job

from .issued import issued_document
from .models import DocumentBatch

logger = logging.getLogger(__name__)


class BatchRefused(Refusal, ValueError):
    """Nothing to render for this choice."""


class BatchFailed(Exception):
    """The batch could not be written; its row says why."""


def invoices_of(*, period: Period | None = None, numbers: list[str] | None = None) -> list[int]:
    """The invoices and credit notes issued in a month, or those named."""
    invoices = Invoice.objects.order_by("number")
    if period is not None:
        invoices = invoices.filter(issue_date__range=(period.first_day, period.last_day))
    if numbers:
        invoices = invoices.filter(number__in=numbers)
    return list(invoices.values_list("pk", flat=True))


def start_batch(*, invoice_ids: list[int], label: str, user=None) -> DocumentBatch:
    """Render the documents as a background job (inline when PREBILL_RUNS_INLINE is set, as in tests)."""
    if not invoice_ids:
        raise BatchRefused(gettext("No invoice to render for this choice."))

    batch = DocumentBatch.objects.create(label=label[:200], invoice_ids=invoice_ids, total=len(invoice_ids),
                                         created_by=acting_user(user))
    job = start_job(kind="document_batch", key=f"batch:{batch.pk}", user=user)
    DocumentBatch.objects.filter(pk=batch.pk, job__isnull=True).update(job=job)
    batch.refresh_from_db()
    return batch


def resume_batch(batch: DocumentBatch) -> DocumentBatch:
    """Take an interrupted (or failed) batch again: it writes the same archive. One going or done is returned."""
    if batch.shown_status not in ("interrupted", "failed"):
        return batch
    DocumentBatch.objects.filter(pk=batch.pk).update(status=DocumentBatch.Status.RUNNING, error="")
    if batch.job is None:
        batch.job = start_job(kind="document_batch", key=f"batch:{batch.pk}", user=batch.created_by)
        batch.save(update_fields=["job"])
    else:
        resume_job(batch.job)
    batch.refresh_from_db()
    return batch


def zip_path(batch: DocumentBatch) -> Path:
    return files_dir() / "batches" / batch.stored_name


@handler("document_batch")
def _batch_job(job, progress) -> dict:
    batch_id = int(job.key.removeprefix("batch:"))
    DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.RUNNING, error="")
    render_batch(batch_id, progress)
    batch = DocumentBatch.objects.get(pk=batch_id)
    if batch.status == DocumentBatch.Status.FAILED:
        raise BatchFailed(batch.error)
    return {"batch": batch_id, "documents": batch.done}


def render_batch(batch_id: int, progress=None) -> None:
    """Write the batch's archive (a new file each time: a batch taken again writes it whole)."""
    batch = DocumentBatch.objects.get(pk=batch_id)
    stored = f"{uuid.uuid4().hex}.zip"
    path = files_dir() / "batches" / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, invoice in enumerate(Invoice.objects.filter(pk__in=batch.invoice_ids).select_related(
                    "credited_invoice").order_by("number"), start=1):
                archive.writestr(f"{invoice.number}.pdf", issued_document(invoice, "pdf"))
                DocumentBatch.objects.filter(pk=batch_id).update(done=done)
                if progress is not None:
                    progress(gettext_noop("rendering the documents"), done=done, total=batch.total)
        DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.DONE, stored_name=stored)
    except Exception as error:  # the page shows the failure; the trace goes to the log
        logger.exception("document batch %s failed", batch_id)
        path.unlink(missing_ok=True)
        DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.FAILED,
                                                         error=f"{type(error).__name__}: {error}")
