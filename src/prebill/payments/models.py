"""Money received, and what of it settles which invoice; what is left of a payment is a deposit.

The part of a deposit set aside for a pre-invoice (DepositReservation) is prebill.billing's model: drafts
appear and disappear there, and a draft that disappears gives its reservations back.

A payment recorded by mistake is cancelled and an allocation undone is removed, never deleted: the journal's
entries and the audit trail point at them. `objects` counts only what stands (every sum of allocations, every
deposit); `all_objects` also reads the cancelled and removed ones (their history, their refusals).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class StandingPayments(models.Manager):
    """The payments that count: not cancelled (also what `client.payments` reads)."""

    def get_queryset(self):
        return super().get_queryset().filter(cancelled_at__isnull=True)


class StandingAllocations(models.Manager):
    """The allocations that count: not removed (also what `invoice.allocations` and `payment.allocations` read)."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


class Payment(models.Model):
    class Method(models.TextChoices):
        TRANSFER = "transfer", _("bank transfer")
        DIRECT_DEBIT = "direct_debit", _("direct debit")
        CHEQUE = "cheque", _("cheque")
        CARD = "card", _("card")
        CASH = "cash", _("cash")

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="payments")
    date = models.DateField()
    method = models.CharField(max_length=20, choices=Method.choices)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(max_length=100, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="Recorded by mistake: it no longer counts.")
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    cancel_reason = models.CharField(max_length=500, blank=True)

    objects = StandingPayments()
    all_objects = models.Manager()  # noqa: DJ012  (a manager, not a field)

    class Meta:
        base_manager_name = "all_objects"
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive")]

    def __str__(self):
        return f"{self.client_id} {self.date} {self.amount}"


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    allocated_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Undone: the money went back to the deposit.")
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    removal_reason = models.CharField(max_length=500, blank=True)

    objects = StandingAllocations()
    all_objects = models.Manager()  # noqa: DJ012  (a manager, not a field)

    class Meta:
        base_manager_name = "all_objects"
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_positive")]

    def __str__(self):
        return f"{self.payment_id} -> {self.invoice_id}: {self.amount}"
