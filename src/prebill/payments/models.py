"""Money received, and what of it settles which invoice; what is left of a payment is a deposit.

The part of a deposit set aside for a pre-invoice (DepositReservation) is prebill.billing's model: drafts
appear and disappear there, and a draft that disappears gives its reservations back.
"""

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 14, "decimal_places": 2}


class Payment(models.Model):
    class Method(models.TextChoices):
        TRANSFER = "transfer", "bank transfer"
        DIRECT_DEBIT = "direct_debit", "direct debit"
        CHEQUE = "cheque", "cheque"
        CARD = "card", "card"
        CASH = "cash", "cash"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="payments")
    date = models.DateField()
    method = models.CharField(max_length=20, choices=Method.choices)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(max_length=100, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive")]

    def __str__(self):
        return f"{self.client_id} {self.date} {self.amount}"


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    allocated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_positive")]

    def __str__(self):
        return f"{self.payment_id} -> {self.invoice_id}: {self.amount}"
