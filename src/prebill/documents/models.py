"""Batches of documents rendered in the background and downloaded as one zip."""

from django.conf import settings
from django.db import models


class DocumentBatch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    label = models.CharField(max_length=200)
    invoice_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    stored_name = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    def __str__(self):
        return self.label


class InvoiceTemplate(models.Model):
    """How lines are worded and which proofs follow the document; for some clients or engagements, or the default."""

    code = models.CharField(max_length=30, unique=True)
    label = models.CharField(max_length=200)
    is_default = models.BooleanField(default=False, help_text="The organisation's default template.")
    clients = models.ManyToManyField("clients.Client", blank=True, related_name="invoice_templates")
    engagements = models.ManyToManyField("engagements.Engagement", blank=True, related_name="invoice_templates")
    attach_activity_reports = models.BooleanField(default=False, help_text="Signed activity reports after T&M lines.")
    attach_receipts = models.BooleanField(default=True, help_text="Expense receipts and purchase proofs.")

    def __str__(self):
        return self.code


class TemplateLine(models.Model):
    """For one kind of line: the designation's elements, in order, after a prefix."""

    template = models.ForeignKey(InvoiceTemplate, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=20)
    elements = models.JSONField(help_text='e.g. ["collaborator", "date", "quantity", "task"]')
    prefix = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "kind"], name="one_wording_per_kind")]

    def __str__(self):
        return f"{self.template_id} {self.kind}"


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
