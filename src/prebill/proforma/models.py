"""Pro forma invoices: one open per client, lines appended from actual cost lines until processed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 4}


class ProForma(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        PROCESSED = "processed", _("processed")

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="pro_formas")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    pre_invoice = models.ForeignKey("billing.PreInvoice", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client"], condition=models.Q(state="open"),
                                               name="one_open_pro_forma_per_client")]

    def __str__(self):
        return f"pro forma {self.pk}"


class ProFormaLine(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("to bill")
        TRANSFERRED = "transferred", _("transferred")  # to a later invoice: back on the next pro forma
        WITHDRAWN = "withdrawn", _("withdrawn")  # never billed, kept for the record

    pro_forma = models.ForeignKey(ProForma, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT)
    kind = models.CharField(max_length=20)
    line_key = models.CharField(max_length=200)
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT)
    designation = models.CharField(max_length=500)
    quantity = models.DecimalField(**QUANTITY)
    unit = models.CharField(max_length=20)
    unit_price = models.DecimalField(**QUANTITY)
    proposed_amount = models.DecimalField(**MONEY, help_text="What the cost lines give.")
    amount = models.DecimalField(**MONEY, help_text="What will be billed (the user may change it).")
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    service_start = models.DateField(null=True)
    service_end = models.DateField(null=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["pro_forma", "position"]

    def __str__(self):
        return self.designation


class ProFormaItem(models.Model):
    """A billable item on a pro forma line; one line at most (the lock on its cost line)."""

    line = models.ForeignKey(ProFormaLine, on_delete=models.CASCADE, related_name="items")
    item = models.OneToOneField("billing.BillableItem", on_delete=models.CASCADE, related_name="pro_forma_item")

    def __str__(self):
        return f"{self.item_id} on {self.line_id}"
