"""Documents' part of a validation: the issued PDF and XML are produced once the invoice is committed."""

from django.db import transaction
from django.dispatch import receiver

from prebill.invoicing.signals import invoice_issued

from .issued import issue_documents


@receiver(invoice_issued, dispatch_uid="documents.issue_documents")
def render_once_committed(sender, *, invoice, **kwargs) -> None:
    # After the commit: rendering (about 0.2 s) holds no lock, and a rendering error cannot undo a numbered invoice.
    invoice_id = invoice.pk
    transaction.on_commit(lambda: issue_documents(invoice_id), robust=True)
