"""Accounting's part of a validation: a firm that merges the two steps has each invoice posted as it is issued."""

from django.dispatch import receiver

from prebill.invoicing.signals import invoice_issued
from prebill.organisation.models import Organisation

from .services import post_invoice


@receiver(invoice_issued, dispatch_uid="accounting.post_on_validation")
def post_when_the_firm_merges_the_steps(sender, *, invoice, user=None, **kwargs) -> None:
    if Organisation.objects.filter(post_on_validation=True).exists():
        post_invoice(invoice_id=invoice.pk, user=user)
