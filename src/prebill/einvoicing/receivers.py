"""E-invoicing's part of a validation and of a payment: the invoice is queued for the platform, money received
is declared (212), and corrected when its allocation is removed. Each is a row written in the caller's
transaction, sent once it commits."""

from django.dispatch import receiver

from prebill.invoicing.signals import invoice_issued
from prebill.payments.signals import allocation_removed, invoice_settled

from . import services


@receiver(invoice_issued, dispatch_uid="einvoicing.queue_transmission")
def queue_for_the_platform(sender, *, invoice, **kwargs) -> None:
    services.queue_transmission(invoice)


@receiver(invoice_settled, dispatch_uid="einvoicing.report_payment")
def declare_the_payment(sender, *, allocation, **kwargs) -> None:
    services.report_payment(allocation)


@receiver(allocation_removed, dispatch_uid="einvoicing.correct_payment_report")
def correct_the_declared_payment(sender, *, allocation, **kwargs) -> None:
    services.correct_payment_report(allocation)
    services.declare_payments_again(allocation.payment.date)
