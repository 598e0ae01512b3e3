"""Proofs kept with billable costs: receipts, signed activity reports, suppliers' invoices."""

from django.conf import settings
from django.db import models


class Attachment(models.Model):
    """A stored file: on disk under a generated name, outside the web root; never changed once stored."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="attachments",
                               help_text="Who may see it: the users allowed to see this client.")
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    def __str__(self):
        return self.original_name
