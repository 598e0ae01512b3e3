"""Rebillable costs: expenses, purchases and overtime, with their proofs; monthly activity reports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prebill.core.holidays import DayKind
from prebill.core.labels import DAY_KIND_LABELS

MONEY = {"max_digits": 14, "decimal_places": 2}


class Expense(models.Model):
    """Spent by a collaborator for a client (travel, meals, fees...), re-invoiced excluding VAT when rebillable."""

    collaborator = models.ForeignKey("team.Collaborator", on_delete=models.PROTECT, related_name="expenses")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="expenses")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="expenses")
    date = models.DateField()
    nature = models.CharField(max_length=100)
    amount_excluding_vat = models.DecimalField(**MONEY)
    amount_including_vat = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    rebillable = models.BooleanField(default=True)
    # Débours (CGI art. 267 II-2°): paid in the client's name and for its account, re-billed at the amount paid
    # (incl. the supplier's VAT), outside the VAT base, booked in a transit account, not revenue.
    disbursement = models.BooleanField(_("disbursement"), default=False, help_text=_(
        "Paid in the client's name and for its account (débours): re-billed at the amount paid, without VAT."))
    receipt = models.ForeignKey("attachments.Attachment", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    def __str__(self):
        return f"{self.nature} {self.date} {self.amount_excluding_vat}"


class Purchase(models.Model):
    """Bought for a client from a supplier; re-invoiced at its resale price, or its cost plus a markup."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="purchases")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="purchases")
    date = models.DateField()
    supplier = models.CharField(max_length=100)
    reference = models.CharField(max_length=100, blank=True)
    amount_excluding_vat = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    rebillable = models.BooleanField(default=True)
    markup_percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    resale_price = models.DecimalField(**MONEY, null=True, blank=True)
    # Débours: see Expense.disbursement; never with a markup or a resale price.
    disbursement = models.BooleanField(_("disbursement"), default=False, help_text=_(
        "Paid in the client's name and for its account (débours): re-billed at the amount paid, without VAT."))
    proof = models.ForeignKey("attachments.Attachment", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.supplier} {self.reference}"


class OvertimeTerms(models.Model):
    """A T&M part's overtime conditions: the hourly rate and its surcharge table."""

    part = models.OneToOneField("engagements.EngagementPart", on_delete=models.CASCADE, related_name="overtime_terms")
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                      help_text="Empty: the collaborator's T&M hourly rate.")

    def __str__(self):
        return f"overtime of {self.part_id}"


class SurchargeBand(models.Model):
    terms = models.ForeignKey(OvertimeTerms, on_delete=models.CASCADE, related_name="bands")
    day_kind = models.CharField(max_length=10, choices=[(k.value, _(DAY_KIND_LABELS[k])) for k in DayKind])
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 is midnight")
    percent = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["terms", "day_kind", "start"]

    def __str__(self):
        return f"{self.day_kind} {self.start:%H:%M}-{self.end:%H:%M} +{self.percent} %"


class Overtime(models.Model):
    """Extra hours declared by a collaborator on an engagement, from a start to an end time."""

    collaborator = models.ForeignKey("team.Collaborator", on_delete=models.PROTECT, related_name="overtime")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, related_name="overtime")
    date = models.DateField()
    start = models.TimeField()
    end = models.TimeField(help_text="before the start: the next day")
    comment = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.collaborator_id} {self.date} {self.start:%H:%M}-{self.end:%H:%M}"


class ActivityReport(models.Model):
    """A collaborator's month on an engagement (CRA): days worked come from the time entries."""

    collaborator = models.ForeignKey("team.Collaborator", on_delete=models.PROTECT, related_name="activity_reports")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT,
                                   related_name="activity_reports")
    month = models.DateField(help_text="first day of the month")
    signed = models.ForeignKey("attachments.Attachment", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", help_text="The report signed by the client, when there is one.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collaborator", "engagement", "month"],
                                               name="one_report_per_collaborator_engagement_month")]

    def __str__(self):
        return f"{self.collaborator_id} {self.engagement_id} {self.month:%Y-%m}"
