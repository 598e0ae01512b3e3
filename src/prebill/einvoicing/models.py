"""What prebill sent to the firm's Plateforme Agréée and what came back.

A `Transmission` is the durable job of sending one invoice or credit note (it waits, is sent, is retried with
back-off, until the platform has it); its `LifecycleEvent`s are the statuses the platform returned (200 Déposée
… 213 Rejetée), each recorded once (by the id of the flow that carried it). A `PaymentReport` declares money
received for an invoice (status 212 Encaissée, per VAT rate). `FollowPoint` is where following the platform's
flows got to.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .lifecycle import STATUSES

MONEY = {"max_digits": 14, "decimal_places": 2}


class Sending(models.Model):
    """What a transmission and a payment report share: the durable sending with its retries."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting to be sent")
        SENT = "sent", _("sent, waiting for the platform")
        ACCEPTED = "accepted", _("accepted by the platform")
        REJECTED = "rejected", _("rejected by the platform")
        FAILED = "failed", _("could not be sent")
        CANCELLED = "cancelled", _("cancelled before it was sent")

    tracking_id = models.CharField(max_length=64, unique=True, help_text="Ours, idempotent: the platform keeps one "
                                   "flow per tracking id, so a retry never sends twice.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    flow_id = models.CharField(max_length=64, blank=True, help_text="The platform's id of the flow sent.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A sender holds it until then.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Transmission(Sending):
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.PROTECT, related_name="transmission")
    syntax = models.CharField(max_length=10, help_text="Factur-X, CII or UBL (PREBILL_PA_SYNTAX when queued).")
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The latest life-cycle status.")
    status_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="A rejection or refusal settled by a credit "
                                       "note: no longer to correct.")

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="transmission_due"),
                   models.Index(fields=["status"], name="transmission_status")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.state} {self.status or ''}".strip()

    @property
    def status_label(self) -> str:
        return STATUSES[self.status].label if self.status in STATUSES else ""

    @property
    def to_correct(self) -> bool:
        """Rejected (213, 501), refused by the buyer (210) or impossible to send, and not settled yet."""
        return self.resolved_at is None and (self.state in (self.State.REJECTED, self.State.FAILED)
                                             or self.status in (210, 213, 501))


class LifecycleEvent(models.Model):
    transmission = models.ForeignKey(Transmission, on_delete=models.CASCADE, related_name="events")
    code = models.PositiveSmallIntegerField()
    at = models.DateTimeField(help_text="When the platform (or the buyer) issued it.")
    issued_by = models.CharField(max_length=3, help_text="WK platform, BY buyer, SE seller (us).")
    flow_id = models.CharField(max_length=64, unique=True, help_text="The flow that carried it: recorded once.")
    reasons = models.JSONField(default=list, blank=True, help_text='[{"code": ..., "text": ...}]')
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        return STATUSES[self.code].label if self.code in STATUSES else str(self.code)


class PaymentReport(Sending):
    """Status 212 Encaissée for money allocated to an invoice: the amounts received per VAT rate (negative in the
    correction of an allocation removed)."""

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payment_reports")
    allocation = models.OneToOneField("payments.Allocation", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="payment_report")
    received_on = models.DateField()
    amounts = models.JSONField(help_text='[{"rate": "20.00", "amount": "120.00"}]: the money received per VAT rate.')
    total = models.DecimalField(**MONEY)
    # A correction (an allocation removed after its 212 went out): the opposite amounts of the report it corrects.
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="correction")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="payment_report_due")]

    def __str__(self) -> str:
        return f"212 {self.invoice_id} {self.total} {self.state}"


class Report(Sending):
    """An e-reporting flow (10.1 to 10.4) of one period: the sales that are not e-invoices, or the money received
    for them. Its content is kept as sent; a rejected one is prepared again as the next version."""

    class Flow(models.TextChoices):
        UNITARY_TRANSACTIONS = "10.1", _("10.1 transactions, one by one (abroad)")
        UNITARY_PAYMENTS = "10.2", _("10.2 payments, one by one (abroad)")
        AGGREGATED_TRANSACTIONS = "10.3", _("10.3 transactions per day (consumers)")
        AGGREGATED_PAYMENTS = "10.4", _("10.4 payments per day (consumers)")

    flow = models.CharField(max_length=4, choices=Flow.choices)
    period_first = models.DateField()
    period_last = models.DateField()
    version = models.PositiveSmallIntegerField(default=1)
    entries = models.PositiveIntegerField(help_text="Invoices, days or payments it declares.")
    total_excluding_vat = models.DecimalField(**MONEY, help_text="Transactions: their base; payments: received.")
    total_vat = models.DecimalField(**MONEY)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-period_first", "flow", "-version"]
        constraints = [models.UniqueConstraint(fields=["flow", "period_first", "version"],
                                               name="one_report_per_flow_period_version")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="report_due")]

    def __str__(self) -> str:
        return f"{self.flow} {self.period_first}–{self.period_last} v{self.version} {self.state}"


class FollowPoint(models.Model):
    """Where following the platform's flows got to: the last `updatedAt` seen (the next search starts after it)."""

    updated_after = models.CharField(max_length=40, blank=True)
    followed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.updated_after or "-"


class Webhook(models.Model):
    """A callback registered at the platform: its id and the key that signs what it pushes."""

    webhook_id = models.CharField(max_length=64, unique=True)
    callback_url = models.URLField()
    signing_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.callback_url
