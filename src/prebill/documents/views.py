"""Document downloads: the invoice's Factur-X PDF, its CII XML, and a pre-invoice's draft PDF.

An invoice's documents are the issued ones (rendered once, kept): the X-Content-SHA256 header gives their digest.
"""

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import SEE_INVOICES, SEE_PRE_BILLING, role_required
from prebill.billing.models import PreInvoice
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from prebill.invoicing.selectors import selected_invoices

from . import issued, services
from .models import DocumentBatch
from .pdf import pre_invoice_pdf


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _issued(pk: int, kind: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("credited_invoice"), pk=pk)
    document = issued.issued(invoice, kind)
    response = _download(document.content, issued.CONTENT_TYPES[document.kind], issued.filename(invoice, kind))
    response["X-Content-SHA256"] = document.sha256
    return response


@role_required(SEE_INVOICES)
def invoice_document(request, pk: int):
    return _issued(pk, "pdf")


@role_required(SEE_INVOICES)
def invoice_cii(request, pk: int):
    return _issued(pk, "cii")


@role_required(SEE_INVOICES)
def invoice_ubl(request, pk: int):
    return _issued(pk, "ubl")


@role_required(SEE_PRE_BILLING)
def pre_invoice_document(request, pk: int):
    pre = get_object_or_404(PreInvoice.objects.select_related("client", "billing_address"), pk=pk)
    return _download(pre_invoice_pdf(pre), "application/pdf", f"pre-facture-{pre.pk}.pdf")


@role_required(SEE_INVOICES)
@require_POST
def start_batch(request):
    """The PDFs of a month (period), or of the invoices list's selection, as one zip."""
    if request.POST.get("period"):
        period = Period.parse(request.POST["period"])
        invoice_ids, label = services.invoices_of(period=period), f"{_('Documents')} {period}"
    else:
        invoice_ids = selected_invoices(request.POST)
        label = _("Documents of %(count)s invoices") % {"count": len(invoice_ids)}
    batch = services.start_batch(invoice_ids=invoice_ids, label=label, user=request.user)
    return redirect("documents:batch", pk=batch.pk)


@role_required(SEE_INVOICES)
@require_POST
def resume_batch(request, pk: int):
    """Take an interrupted batch again."""
    batch = get_object_or_404(DocumentBatch.objects.select_related("job"), pk=pk)
    services.resume_batch(batch)
    return redirect("documents:batch", pk=pk)


@role_required(SEE_INVOICES)
def batch_status(request, pk: int):
    batch = get_object_or_404(DocumentBatch.objects.select_related("job"), pk=pk)
    template = "documents/_batch.html" if request.htmx else "documents/batch.html"
    return render(request, template, {"batch": batch, "section": "invoices"})


@role_required(SEE_INVOICES)
def batch_zip(request, pk: int):
    batch = get_object_or_404(DocumentBatch, pk=pk, status=DocumentBatch.Status.DONE)
    path = services.zip_path(batch)
    if not path.exists():
        raise Http404("the archive is no longer on the server")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"documents-{batch.pk}.zip",
                        content_type="application/zip")
