"""Rendering many documents: a background job writes one zip, its progress read by the page and the API."""

from __future__ import annotations

import logging
import threading
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext

from prebill.accounts.roles import acting_user
from prebill.attachments.services import files_dir
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.invoicing.models import Invoice

from .issued import issued_document
from .models import DocumentBatch

logger = logging.getLogger(__name__)


class BatchRefused(Refusal, ValueError):
    """Nothing to render for this choice."""


def invoices_of(*, period: Period | None = None, numbers: list[str] | None = None) -> list[int]:
    """The invoices and credit notes issued in a month, or those named."""
    invoices = Invoice.objects.order_by("number")
    if period is not None:
        invoices = invoices.filter(issue_date__range=(period.first_day, period.last_day))
    if numbers:
        invoices = invoices.filter(number__in=numbers)
    return list(invoices.values_list("pk", flat=True))


def start_batch(*, invoice_ids: list[int], label: str, user=None) -> DocumentBatch:
    """Render the documents in the background (inline when PREBILL_RUNS_INLINE is set, as in tests)."""
    if not invoice_ids:
        raise BatchRefused(gettext("No invoice to render for this choice."))

    batch = DocumentBatch.objects.create(label=label[:200], invoice_ids=invoice_ids, total=len(invoice_ids),
                                         created_by=acting_user(user))
    if settings.PREBILL_RUNS_INLINE:
        render_batch(batch.pk)
        batch.refresh_from_db()
    else:
        threading.Thread(target=_in_thread, args=(batch.pk,), daemon=True).start()
    return batch


def zip_path(batch: DocumentBatch) -> Path:
    return files_dir() / "batches" / batch.stored_name


def render_batch(batch_id: int) -> None:
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
        DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.DONE, stored_name=stored)
    except Exception as error:  # the page shows the failure; the trace goes to the log
        logger.exception("document batch %s failed", batch_id)
        path.unlink(missing_ok=True)
        DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.FAILED,
                                                         error=f"{type(error).__name__}: {error}")


def _in_thread(batch_id: int) -> None:
    try:
        render_batch(batch_id)
    finally:
        connection.close()
