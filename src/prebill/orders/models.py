"""Customer orders: what a client ordered, line by line, and how much of each line is still open."""

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 4}


class CustomerOrder(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="orders")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="orders")
    number = models.CharField(max_length=50, help_text="The client's order number (printed on the invoice).")
    date = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "number"], name="one_order_number_per_client")]

    def __str__(self):
        return self.number


class OrderLine(models.Model):
    """An ordered quantity at a price; the remainders fall exactly as billed elements are matched to it."""

    order = models.ForeignKey(CustomerOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT)
    designation = models.CharField(max_length=500)
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)
    remaining_quantity = models.DecimalField(**QUANTITY)
    remaining_amount = models.DecimalField(**MONEY)
    standalone = models.BooleanField(default=False, help_text="Created from a review for an element ordered apart.")

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.CheckConstraint(condition=models.Q(remaining_quantity__gte=0) & models.Q(remaining_amount__gte=0),
                                   name="order_line_never_overdrawn"),
        ]

    def __str__(self):
        return f"{self.order.number}/{self.position}"


class OrderAllocation(models.Model):
    """Which part of a billable item is billed against an order line."""

    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="allocations")
    item = models.ForeignKey("billing.BillableItem", on_delete=models.CASCADE, related_name="order_allocations")
    quantity = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)
    allocated_at = models.DateTimeField(auto_now_add=True)
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    def __str__(self):
        return f"{self.item_id} -> {self.line_id}: {self.quantity}"


class DeliveryNote(models.Model):
    """What was delivered to a client for an engagement; its lines are billed from the review."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="delivery_notes")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, related_name="delivery_notes")
    number = models.CharField(max_length=50)
    date = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "number"], name="one_delivery_number_per_client")]

    def __str__(self):
        return self.number


class DeliveryNoteLine(models.Model):
    note = models.ForeignKey(DeliveryNote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT)
    designation = models.CharField(max_length=500)
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**QUANTITY)

    class Meta:
        ordering = ["note", "position"]

    def __str__(self):
        return f"{self.note.number}/{self.position}"
