"""Document downloads: the invoice's Factur-X PDF, its CII XML, and a pre-invoice's draft PDF."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from prebill.accounts.roles import SEE_INVOICES, SEE_PRE_BILLING, role_required
from prebill.billing.models import PreInvoice
from prebill.invoicing.models import Invoice

from .facturx import invoice_xml
from .pdf import invoice_pdf, pre_invoice_pdf


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(SEE_INVOICES)
def invoice_document(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("credited_invoice"), pk=pk)
    return _download(invoice_pdf(invoice), "application/pdf", f"{invoice.number}.pdf")


@role_required(SEE_INVOICES)
def invoice_cii(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("credited_invoice"), pk=pk)
    xml = invoice_xml(invoice, lines=list(invoice.lines.all()), vat_lines=list(invoice.vat_lines.all()))
    return _download(xml, "application/xml", f"{invoice.number}-factur-x.xml")


@role_required(SEE_PRE_BILLING)
def pre_invoice_document(request, pk: int):
    pre = get_object_or_404(PreInvoice.objects.select_related("client", "billing_address"), pk=pk)
    return _download(pre_invoice_pdf(pre), "application/pdf", f"pre-facture-{pre.pk}.pdf")
