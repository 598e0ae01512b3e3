"""Batches of documents rendered in the background and downloaded as one zip; the documents issued.

The invoice templates (how lines are worded, which proofs follow) are prebill.billing's models: the harvest
words the lines with them, the documents only read which proofs to attach.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentBatch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    label = models.CharField(max_length=200)
    invoice_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    stored_name = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    job = models.OneToOneField("jobs.Job", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="document_batch", help_text="The background job that renders it.")

    def __str__(self):
        return self.label

    @property
    def shown_status(self) -> str:
        """'interrupted' for a batch whose worker stopped: it can be resumed."""
        if self.job is None:  # a batch of before the jobs, left running by a stopped thread
            return "interrupted" if self.status == self.Status.RUNNING else self.status
        return self.job.shown_status_of(self.status)


class IssuedDocument(models.Model):
    """The bytes of a validated invoice's (or credit note's) document, kept the first time it is produced.

    Every later download returns these bytes: the document a client received is the one that stays. Database
    triggers refuse to update or delete a row (prebill.invoicing.immutability).
    """

    class Kind(models.TextChoices):
        PDF = "pdf", "Factur-X PDF"
        CII = "cii", "CII XML"
        UBL = "ubl", "UBL XML"

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="issued_documents")
    kind = models.CharField(max_length=3, choices=Kind.choices)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "kind"], name="one_issued_document_per_kind")]

    def __str__(self):
        return f"{self.invoice_id} {self.kind}"
