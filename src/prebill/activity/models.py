"""What was done: time entries from the time tracker, quantities from payroll."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeEntry(models.Model):
    class Billable(models.TextChoices):
        YES = "yes", _("billable")
        NO = "no", _("not billable")
        UNDECIDED = "undecided", _("to decide")

    external_id = models.CharField(max_length=64, unique=True, help_text="The time tracker's identifier.")
    collaborator = models.ForeignKey("team.Collaborator", on_delete=models.PROTECT, related_name="time_entries")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, related_name="time_entries")
    part = models.ForeignKey("engagements.EngagementPart", on_delete=models.PROTECT, null=True, blank=True)
    task = models.ForeignKey("engagements.Task", on_delete=models.PROTECT, null=True, blank=True)
    date = models.DateField()
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    billable = models.CharField(max_length=10, choices=Billable.choices, default=Billable.YES)
    activity = models.CharField(max_length=50, blank=True)
    domain = models.CharField(max_length=50, blank=True)
    approved = models.BooleanField(default=False)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "time entries"
        indexes = [models.Index(fields=["date"], name="time_entry_date")]

    def __str__(self):
        return f"{self.external_id} {self.date} {self.hours}h"


class UnitMetric(models.Model):
    """A quantity per client and month (e.g. payslips produced), billed by a units part."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="unit_metrics")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, null=True, blank=True)
    metric_code = models.CharField(max_length=30)
    period = models.DateField(help_text="First day of the month the quantity belongs to.")
    quantity = models.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "metric_code", "period"], condition=models.Q(engagement__isnull=True),
                name="one_metric_per_client_code_period",
            ),
            models.UniqueConstraint(
                fields=["client", "engagement", "metric_code", "period"], condition=models.Q(engagement__isnull=False),
                name="one_metric_per_engagement_code_period",
            ),
        ]

    def __str__(self):
        return f"{self.client.code} {self.metric_code} {self.period:%Y-%m} {self.quantity}"


class ManualElement(models.Model):
    """A billable element entered by hand in a review (a fee, a disbursement, a delivery)."""

    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, related_name="manual_elements")
    date = models.DateField()
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT)
    designation = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    delivery_note_line = models.OneToOneField("orders.DeliveryNoteLine", on_delete=models.PROTECT, null=True,
                                              blank=True, related_name="manual_element",
                                              help_text="The delivery note line it bills, if any.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    def __str__(self):
        return self.designation
