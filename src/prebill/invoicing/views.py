"""Invoice pages: validate a pre-invoice, read an invoice, credit it.

The invoice page's payments part (amount due, payment and deposit forms, payments received) is
prebill.payments' (its template tags and views); its "post" button is prebill.accounting's view."""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import SEE_INVOICES, VALIDATE_INVOICES, role_required
from prebill.audit.models import AuditEvent
from prebill.billing.models import PreInvoice
from prebill.web.forms import parse_amount
from prebill.web.refusals import after_refusal

from . import services
from .models import Invoice, InvoiceLineItem


@role_required(SEE_INVOICES)
def invoice_list(request):
    search = request.GET.get("q", "").strip()
    invoices = Invoice.objects.order_by("-issue_date", "-number")
    if search:
        invoices = invoices.filter(Q(number__icontains=search) | Q(buyer_code__icontains=search)
                                   | Q(buyer_name__icontains=search))
    # The e-invoicing filters (prebill.einvoicing's rows, by their relation's name): a sending state, a status.
    transmission, status = request.GET.get("transmission", ""), request.GET.get("status", "")
    if transmission:
        invoices = invoices.filter(transmission__state=transmission)
    if status.isdigit():
        invoices = invoices.filter(transmission__status=int(status))
    page = Paginator(invoices.select_related("transmission"), 50).get_page(request.GET.get("page", 1))
    return render(request, "invoicing/list.html", {"page": page, "search": search, "transmission": transmission,
                                                   "status": status, "section": "invoices"})


@role_required(SEE_INVOICES)
def invoice_detail(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("credited_invoice"), pk=pk)
    return render(request, "invoicing/detail.html", {
        "invoice": invoice,
        "lines": invoice.lines.all(), "vat_lines": invoice.vat_lines.all(),
        "credit_notes": invoice.credit_notes.all(),
        "history": AuditEvent.objects.filter(object_type="invoicing.invoice", object_id=str(invoice.pk))
        .select_related("user"),
        "shares": InvoiceLineItem.objects.filter(line__invoice=invoice).select_related("line", "item")
        .order_by("line__position", "item_id") if invoice.kind == Invoice.Kind.INVOICE else [],
        "today": date.today(), "section": "invoices",
    })


@role_required(SEE_INVOICES)
def by_number(request, number: str):
    return redirect("invoicing:detail", pk=get_object_or_404(Invoice, number=number).pk)


def _validation_refused(request, pre_invoice_id: int) -> str:
    """Back to the draft, brought up to date, or to the month's page when a run replaced it."""
    if PreInvoice.objects.filter(pk=pre_invoice_id).exists():
        return reverse("billing:pre_invoice", kwargs={"pk": pre_invoice_id})
    return reverse("billing:pre_billing_current")


@after_refusal(_validation_refused)
@role_required(VALIDATE_INVOICES)
@require_POST
def validate(request, pre_invoice_id: int):
    version = request.POST.get("version", "")
    invoice = services.validate_pre_invoice(pre_invoice_id=pre_invoice_id, user=request.user, issue_date=date.today(),
                                            expected_version=int(version) if version.isdigit() else None)
    messages.success(request, _("Invoice %(number)s validated.") % {"number": invoice.number})
    return redirect("invoicing:detail", pk=invoice.pk)


@role_required(VALIDATE_INVOICES)
@require_POST
def credit(request, pk: int):
    """Credit in full, or the quantities typed per billable item (fields item-<id>)."""
    quantities = {}
    for name, value in request.POST.items():
        if name.startswith("item-") and value.strip():
            quantity = parse_amount(value)
            if quantity is None or not name[5:].isdigit():
                messages.error(request, _("Quantities to credit are numbers."))
                return redirect("invoicing:detail", pk=pk)
            if quantity:
                quantities[int(name[5:])] = quantity
    note = services.issue_credit_note(invoice_id=pk, quantities=quantities or None,
                                      rebill=request.POST.get("rebill") == "1", user=request.user,
                                      issue_date=date.today())
    return redirect("invoicing:detail", pk=note.pk)
