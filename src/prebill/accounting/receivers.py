"""Accounting's part of what the apps below it do: a firm that merges the two steps has each invoice posted as it is
issued; money received is posted to the bank journal; money allocated to an invoice moves the VAT of the part paid
(VAT on receipts); an allocation removed or a payment cancelled has its entries reversed (counter-entries); a
validation in a foreign currency takes the firm's exchange rate of its date."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from prebill.invoicing.signals import exchange_rate_wanted, invoice_issued
from prebill.organisation.models import Organisation
from prebill.payments.models import Payment
from prebill.payments.signals import allocation_removed, invoice_settled, payment_cancelled

from .services import (
    post_invoice,
    post_payment,
    rate_on,
    reverse_payment,
    reverse_vat_of_allocation,
    vat_of_allocation,
)


@receiver(invoice_issued, dispatch_uid="accounting.post_on_validation")
def post_when_the_firm_merges_the_steps(sender, *, invoice, user=None, **kwargs) -> None:
    if Organisation.objects.filter(post_on_validation=True).exists():
        post_invoice(invoice_id=invoice.pk, user=user)


@receiver(post_save, sender=Payment, dispatch_uid="accounting.post_payment")
def post_money_received(sender, *, instance: Payment, created: bool, raw: bool = False, **kwargs) -> None:
    """Inside the transaction that records the payment (a bank entry that fails undoes it)."""
    if created and not raw:
        post_payment(payment=instance, user=instance.recorded_by)


@receiver(invoice_settled, dispatch_uid="accounting.vat_on_receipts")
def move_the_vat_of_the_part_paid(sender, *, allocation, user=None, **kwargs) -> None:
    vat_of_allocation(allocation=allocation, user=user)


@receiver(allocation_removed, dispatch_uid="accounting.reverse_vat_on_receipts")
def reverse_the_vat_moved(sender, *, allocation, user=None, **kwargs) -> None:
    reverse_vat_of_allocation(allocation=allocation, user=user)


@receiver(payment_cancelled, dispatch_uid="accounting.reverse_payment")
def reverse_the_bank_entry(sender, *, payment, user=None, **kwargs) -> None:
    reverse_payment(payment=payment, user=user)


@receiver(exchange_rate_wanted, dispatch_uid="accounting.exchange_rate")
def the_rate_of_the_day(sender, *, currency: str, day, **kwargs):
    return rate_on(currency, day)
