"""Engagements (dossiers, missions), their parts, task trees, rates and billing plans."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from prebill.clients.models import DatedConditions
from prebill.core.labels import BILLING_UNIT_LABELS, FREQUENCY_LABELS
from prebill.core.schedules import Frequency
from prebill.core.valuation import BillingUnit


class Engagement(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed")

    code = models.CharField(max_length=30, unique=True)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="engagements")
    label = models.CharField(max_length=200)
    engagement_class = models.CharField(max_length=50, blank=True, help_text="e.g. accounting, payroll, consulting")
    fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True, help_text="millésime")
    manager = models.ForeignKey(
        "team.Collaborator", on_delete=models.SET_NULL, null=True, blank=True, related_name="managed_engagements"
    )
    salesperson = models.ForeignKey(
        "team.Collaborator", on_delete=models.SET_NULL, null=True, blank=True, related_name="sold_engagements"
    )
    currency = models.CharField(max_length=3, default="EUR")
    all_parts_on_one_invoice = models.BooleanField(default=False)
    billing_address = models.ForeignKey("clients.BillingAddress", on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    def __str__(self):
        return self.code


class EngagementConditions(DatedConditions):
    """The engagement's own billing conditions from `applies_from` ("conditions de facturation de l'affaire").

    On an invoice date where a row applies, they replace the client's for the engagement's items; the
    currency stays the engagement's own (Engagement.currency).
    """

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="billing_conditions")

    class Meta:
        verbose_name_plural = "engagement conditions"
        ordering = ["engagement", "applies_from"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "applies_from"],
                                    name="one_engagement_conditions_row_per_date"),
        ]

    def __str__(self):
        return f"{self.engagement.code} from {self.applies_from}"


class EngagementPart(models.Model):
    class Kind(models.TextChoices):
        FIXED_FEE = "fixed_fee", _("fixed fee")
        TIME_AND_MATERIALS = "time_and_materials", _("time and materials")
        UNITS = "units", _("units")
        RESALE = "resale", _("resale")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="parts")
    code = models.CharField(max_length=30)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT, null=True, blank=True)
    on_own_invoice = models.BooleanField(default=False, help_text="Always invoiced on an invoice of its own.")
    billing_unit = models.CharField(
        max_length=10, choices=[(u.value, _(BILLING_UNIT_LABELS[u])) for u in BillingUnit], default=BillingUnit.HOUR
    )
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    metric_code = models.CharField(max_length=30, blank=True, help_text="Unit metric billed by this units part.")
    fee_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    frequency = models.CharField(max_length=20, choices=[(f.value, _(FREQUENCY_LABELS[f])) for f in Frequency], blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["engagement", "code"], name="part_code_unique_per_engagement")]

    def __str__(self):
        return f"{self.engagement.code}/{self.code}"


class PartRate(models.Model):
    """A T&M part's rate for one collaborator, or for every collaborator of a grade."""

    part = models.ForeignKey(EngagementPart, on_delete=models.CASCADE, related_name="rates")
    collaborator = models.ForeignKey("team.Collaborator", on_delete=models.CASCADE, null=True, blank=True)
    grade = models.CharField(max_length=50, blank=True)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    daily_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(collaborator__isnull=False, grade="")
                | (models.Q(collaborator__isnull=True) & ~models.Q(grade="")),
                name="part_rate_for_collaborator_or_grade",
            ),
        ]

    def __str__(self):
        return f"{self.part} {self.collaborator or self.grade}"


class Task(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", _("being prepared")
        ACTIVE = "active", _("active")
        DONE = "done", _("done")
        REJECTED = "rejected", _("rejected")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    part = models.ForeignKey(EngagementPart, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    code = models.CharField(max_length=30)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    planned_hours = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["engagement", "code"], name="task_code_unique_per_engagement")]

    def __str__(self):
        return f"{self.engagement.code}/{self.code}"


class Installment(models.Model):
    """A dated amount of a fixed fee, resale or units schedule: one line of the billing plan."""

    part = models.ForeignKey(EngagementPart, on_delete=models.CASCADE, related_name="installments")
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    label = models.CharField(max_length=200, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["part", "due_date"]
        constraints = [models.UniqueConstraint(fields=["part", "due_date"], name="one_installment_per_part_and_date")]

    def __str__(self):
        return f"{self.part} {self.due_date} {self.amount}"
