"""Invoice pages: validate a pre-invoice, read an invoice, post it, credit it, record its payment."""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounting.services import post_invoice
from prebill.accounts.roles import POST_INVOICES, RECORD_PAYMENTS, SEE_INVOICES, VALIDATE_INVOICES, role_required
from prebill.audit.models import AuditEvent
from prebill.billing.models import PreInvoice
from prebill.payments import services as payments
from prebill.payments.models import Payment
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
    page = Paginator(invoices, 50).get_page(request.GET.get("page", 1))
    return render(request, "invoicing/list.html", {"page": page, "search": search, "section": "invoices"})


@role_required(SEE_INVOICES)
def invoice_detail(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("credited_invoice"), pk=pk)
    return render(request, "invoicing/detail.html", {
        "invoice": invoice, "due": payments.amounts_due([invoice.pk])[invoice.pk],
        "lines": invoice.lines.all(), "vat_lines": invoice.vat_lines.all(),
        "allocations": invoice.allocations.select_related("payment"), "credit_notes": invoice.credit_notes.all(),
        "history": AuditEvent.objects.filter(object_type="invoicing.invoice", object_id=str(invoice.pk))
        .select_related("user"),
        "deposits": payments.client_deposits(invoice.client_id) if invoice.kind == Invoice.Kind.INVOICE else [],
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


@role_required(POST_INVOICES)
@require_POST
def post(request, pk: int):
    post_invoice(invoice_id=pk, user=request.user)
    return redirect("invoicing:detail", pk=pk)


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


@role_required(RECORD_PAYMENTS)
@require_POST
def pay(request, pk: int):
    invoice = get_object_or_404(Invoice, pk=pk)
    amount = parse_amount(request.POST.get("amount")) or Decimal(0)
    day = parse_date(request.POST.get("date", "") or "") or date.today()
    due = payments.amounts_due([pk])[pk]
    payments.record_payment(client_id=invoice.client_id, day=day, method=request.POST.get("method", "transfer"),
                            amount=amount, reference=request.POST.get("reference", "")[:100],
                            allocations={pk: min(amount, due)} if due > 0 else {}, user=request.user)
    messages.success(request, _("Payment recorded."))
    return redirect("invoicing:detail", pk=pk)


@role_required(RECORD_PAYMENTS)
@require_POST
def use_deposit(request, pk: int):
    """Settle the invoice with what is left of a deposit of its client."""
    invoice = get_object_or_404(Invoice, pk=pk)
    payment = get_object_or_404(Payment, pk=request.POST.get("payment"), client_id=invoice.client_id)
    due = payments.amounts_due([pk])[pk]
    payments.allocate(payment=payment, invoice_id=pk, amount=min(due, payments.deposit_left(payment)),
                      user=request.user)
    return redirect("invoicing:detail", pk=pk)
