"""Payments' part of a validation: the deposits set aside for the draft settle its invoice."""

from django.dispatch import receiver

from prebill.invoicing.signals import draft_invoiced

from .services import settle_reservations


@receiver(draft_invoiced, dispatch_uid="payments.settle_reservations")
def settle_the_draft_reservations(sender, *, invoice, pre_invoice_id: int, user=None, **kwargs) -> None:
    settle_reservations(invoice=invoice, pre_invoice_id=pre_invoice_id, user=user)
