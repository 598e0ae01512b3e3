"""The send log: each e-mail that carried an invoice or a credit note, to whom, and how it went."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceEmail(models.Model):
    """One sending of an invoice's PDF by e-mail. Tried again on failure (the same row, the same Message-ID)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("could not be sent")

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="emails")
    recipients = models.CharField(max_length=1000, help_text="The addresses it goes to, comma-separated.")
    subject = models.CharField(max_length=300)
    message_id = models.CharField(max_length=200, help_text="Kept for every attempt, so a receiver sees one message.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True, help_text="The digest of the PDF attached.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["invoice", "state"], name="invoice_email_state")]

    def __str__(self):
        return f"{self.invoice_id} → {self.recipients} ({self.state})"

    @property
    def recipient_list(self) -> list[str]:
        return [address for address in self.recipients.split(",") if address]
