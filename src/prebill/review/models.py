"""The periodic billing wizard: a review session keeps its scope, options and step between visits."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewSession(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")

    label = models.CharField(max_length=200, blank=True)
    scope = models.JSONField(help_text="The Scope of step 1, as JSON.")
    options = models.JSONField(default=dict, blank=True, help_text="Billing options for this run only.")
    step = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    pre_invoices = models.JSONField(default=list, blank=True, help_text="Ids of the pre-invoices it created.")

    def __str__(self):
        return self.label or f"review {self.pk}"
