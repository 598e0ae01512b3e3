"""Documents' part of a validation: the issued PDF and XML are produced once the invoice is committed."""

from django.dispatch import receiver

from prebill.invoicing.signals import invoice_issued
from prebill.jobs.services import later

from . import issued  # noqa: F401  (registers documents.issue)


@receiver(invoice_issued, dispatch_uid="documents.issue_documents")
def render_once_committed(sender, *, invoice, **kwargs) -> None:
    # In a worker once committed: rendering (about a second for the three) holds no lock and keeps validations
    # quick, and a rendering error cannot undo a numbered invoice (its first download renders it then).
    later("documents.issue", invoice.pk)
