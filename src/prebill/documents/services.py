"""Rendering many documents: a background job (prebill.jobs) writes one zip, its progress read by the page and
the API.

A batch is split into chunks, each a job any worker takes, so thousands of PDFs are rendered by all the workers
at once; the batch's own job starts them, renders those still waiting, then assembles the zip from the kept
documents. A worker killed mid-chunk leaves its chunk to another (its heartbeat stops); documents are kept once,
so a chunk taken again converges to the same bytes.
"""

from __future__ import annotations

import logging
import time
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.db.models import Q, Sum
from django.utils.translation import gettext, gettext_noop

from prebill.accounts.roles import acting_user
from prebill.attachments.services import files_dir
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.invoicing.models import Invoice
from prebill.jobs.models import Job
from prebill.jobs.services import handler, inline, resume_job, run_job, start_job

from .issued import issued, issued_document
from .models import DocumentBatch, IssuedDocument

logger = logging.getLogger(__name__)


class BatchRefused(Refusal, ValueError):
    """Nothing to render for this choice."""


class BatchFailed(Exception):
    """The batch could not be written; its row says why."""


def invoices_of(*, period: Period | None = None, numbers: list[str] | None = None, client: str = "") -> list[int]:
    """The invoices and credit notes issued in a month, of a client (its code), or those named; in number order."""
    invoices = Invoice.objects.order_by("number")
    if period is not None:
        invoices = invoices.filter(issue_date__range=(period.first_day, period.last_day))
    if client:
        invoices = invoices.filter(client__code=client)
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
    try:
        _render_in_chunks(DocumentBatch.objects.get(pk=batch_id), progress)
        write_archive(batch_id)
    except Exception as error:  # the page shows the failure; the trace goes to the log
        logger.exception("document batch %s failed", batch_id)
        DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.FAILED,
                                                         error=f"{type(error).__name__}: {error}"[:4000])
        raise BatchFailed(str(error)) from error
    return {"batch": batch_id, "documents": DocumentBatch.objects.get(pk=batch_id).done}


def _chunk_jobs(batch: DocumentBatch) -> list[Job]:
    """The batch's chunks as jobs of their own, which any worker takes. Chunks done by an earlier attempt of the
    batch (a coordinator retaken after a crash) are kept; the others are started, or resumed if they failed."""
    size = settings.PREBILL_BATCH_CHUNK
    chunks = [batch.invoice_ids[at:at + size] for at in range(0, len(batch.invoice_ids), size)]
    earlier = {job.key: job for job in Job.objects.filter(kind="document_chunk", key__startswith=f"batch:{batch.pk}:")
               .order_by("pk")}
    jobs = []
    for n, invoices in enumerate(chunks):
        key, job = f"batch:{batch.pk}:{n}", earlier.get(f"batch:{batch.pk}:{n}")
        if job is not None and job.state == Job.State.FAILED:
            job = resume_job(job)
        elif job is None or job.state != Job.State.DONE:
            job = start_job(kind="document_chunk", key=key, params={"invoices": invoices}, user=batch.created_by)
        jobs.append(job)
    return jobs


def _render_in_chunks(batch: DocumentBatch, progress) -> None:
    """Start the chunks, then take part: run those still waiting (or left by a stopped worker) here, until every
    chunk is done. A chunk is claimed before it runs, so each runs once at a time, whoever runs it."""
    chunk_ids = [job.pk for job in _chunk_jobs(batch)]
    pause = min(settings.PREBILL_JOB_HEARTBEAT.total_seconds(), 1.0)
    while True:
        chunks = Job.objects.filter(pk__in=chunk_ids)
        done = chunks.aggregate(documents=Sum("done"))["documents"] or 0
        DocumentBatch.objects.filter(pk=batch.pk).update(done=min(done, batch.total))
        progress(gettext_noop("rendering the documents"), done=min(done, batch.total), total=batch.total)
        failed = chunks.filter(state=Job.State.FAILED).first()
        if failed is not None:
            raise BatchFailed(failed.error)
        if not chunks.exclude(state=Job.State.DONE).exists():
            return
        # Interrupted chunks too: their attempts are spent, but the batch's own attempts still count.
        waiting = list(chunks.filter(Q(state__in=[Job.State.QUEUED, Job.State.INTERRUPTED]) | Job.abandoned())
                       .values_list("pk", flat=True))
        for chunk_id in waiting:
            run_job(chunk_id, beat=not inline())
        if not waiting:  # the others are being rendered elsewhere
            time.sleep(pause)


@handler("document_chunk")
def _render_chunk(job, progress) -> dict:
    """Render and keep the PDFs of a chunk of a batch (those kept already are not rendered again)."""
    invoices = job.params["invoices"]
    progress(gettext_noop("rendering the documents"), done=0, total=len(invoices))
    for done, invoice in enumerate(Invoice.objects.filter(pk__in=invoices).select_related("credited_invoice")
                                   .order_by("number"), start=1):
        issued(invoice, IssuedDocument.Kind.PDF)
        progress(done=done)
    return {"documents": len(invoices)}


def write_archive(batch_id: int) -> None:
    """Write the batch's archive from the kept documents (a new file each time: a batch taken again writes it
    whole); a document not kept yet is rendered here."""
    batch = DocumentBatch.objects.get(pk=batch_id)
    stored = f"{uuid.uuid4().hex}.zip"
    path = files_dir() / "batches" / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for invoice in Invoice.objects.filter(pk__in=batch.invoice_ids).select_related(
                    "credited_invoice").order_by("number"):
                archive.writestr(f"{invoice.number}.pdf", issued_document(invoice, "pdf"))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.DONE, stored_name=stored,
                                                     done=batch.total)
