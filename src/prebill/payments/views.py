from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from prebill.accounts.roles import RECORD_PAYMENTS, SEE_AGED_BALANCE, role_required
from prebill.billing.models import DepositReservation, PreInvoice
from prebill.clients.models import Client
from prebill.invoicing.models import Invoice
from prebill.web.forms import parse_amount
from prebill.web.refusals import on_this_site
from prebill.web.templatetags.prebill import money

from . import services
from .models import Allocation, Payment


@role_required(SEE_AGED_BALANCE)
def aged_balance(request):
    today = parse_date(request.GET.get("on", "") or "") or date.today()
    rows = services.aged_balance(today)
    totals = {bucket: sum((row[bucket] for row in rows), services.ZERO) for bucket in (*services.BUCKETS, "total")}
    return render(request, "payments/aged_balance.html", {
        "rows": rows, "totals": totals, "on": today, "section": "payments",
        "released": services.released_by_removed_drafts(today - timedelta(days=30))})


@role_required(RECORD_PAYMENTS)
@require_POST
def deposit(request, code: str):
    client = get_object_or_404(Client, code=code)
    amount = parse_amount(request.POST.get("amount")) or Decimal(0)
    services.record_payment(client_id=client.pk, day=parse_date(request.POST.get("date", "")) or date.today(),
                            method="transfer", amount=amount, reference=request.POST.get("reference", "")[:100],
                            user=request.user)
    messages.success(request, _("Deposit recorded."))
    return redirect("clients:detail", code=code)


@role_required(RECORD_PAYMENTS)
@require_POST
def reserve(request, pre_invoice_id: int):
    """Set (part of) a deposit aside for a pre-invoice: by default all it can take."""
    pre = get_object_or_404(PreInvoice, pk=pre_invoice_id)
    payment = get_object_or_404(Payment, pk=request.POST.get("payment"), client_id=pre.client_id)
    due = services.pre_invoice_due(pre)[1]
    amount = parse_amount(request.POST.get("amount")) or min(due, services.deposit_left(payment))
    services.reserve_deposit(payment=payment, pre_invoice_id=pre.pk, amount=amount, user=request.user)
    messages.success(request, _("Deposit set aside for this pre-invoice."))
    return redirect("billing:pre_invoice", pk=pre.pk)


@role_required(RECORD_PAYMENTS)
@require_POST
def release(request, pk: int):
    reservation = get_object_or_404(DepositReservation, pk=pk)
    services.release_reservation(reservation_id=pk, user=request.user)
    messages.success(request, _("The amount is back on the deposit."))
    return redirect("billing:pre_invoice", pk=reservation.pre_invoice_id)


@role_required(RECORD_PAYMENTS)
@require_POST
def pay_invoice(request, pk: int):
    """Record a payment of the invoice. One beyond what is due asks first what the excess is: a deposit kept for
    the client, or a typing mistake (then only what is due is recorded)."""
    invoice = get_object_or_404(Invoice, pk=pk)
    amount = parse_amount(request.POST.get("amount")) or Decimal(0)
    excess, choice = services.excess_of(invoice, amount), request.POST.get("excess", "")
    if excess and choice == "due_only":
        amount, excess = amount - excess, Decimal(0)
    elif excess and choice != "deposit":
        return render(request, "payments/confirm_overpayment.html", {
            "invoice": invoice, "amount": amount, "excess": excess, "due": amount - excess,
            "form": request.POST, "section": "invoices"})
    services.pay_invoice(invoice=invoice, day=parse_date(request.POST.get("date", "") or "") or date.today(),
                         method=request.POST.get("method", "transfer"), amount=amount,
                         reference=request.POST.get("reference", "")[:100], user=request.user)
    if excess:
        messages.success(request, _("Payment recorded: %(excess)s is kept as a deposit of the client.")
                         % {"excess": money(excess, invoice.currency)})
    else:
        messages.success(request, _("Payment recorded."))
    return redirect("invoicing:detail", pk=pk)


@role_required(RECORD_PAYMENTS)
@require_POST
def use_deposit(request, pk: int):
    """Settle the invoice with what is left of a deposit of its client."""
    invoice = get_object_or_404(Invoice, pk=pk)
    payment = get_object_or_404(Payment, pk=request.POST.get("payment"), client_id=invoice.client_id)
    services.settle_with_deposit(payment=payment, invoice=invoice, user=request.user)
    return redirect("invoicing:detail", pk=pk)


def _next(request, default: str) -> str:
    """Where to go back after the undoing: the page it was asked from (same host), else `default`."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    return wanted if on_this_site(request, wanted) else default


@role_required(RECORD_PAYMENTS)
@require_http_methods(["GET", "POST"])
def remove_allocation(request, pk: int):
    """Take money off an invoice (allocated to the wrong one): a page says what follows and asks why, then the
    POST of that page removes it."""
    allocation = get_object_or_404(Allocation.objects.select_related("payment", "invoice"), pk=pk)
    back = _next(request, reverse("invoicing:detail", args=[allocation.invoice_id]))
    if request.method == "POST":
        services.remove_allocation(allocation=allocation, reason=request.POST.get("reason", ""), user=request.user)
        messages.success(request, _("The payment was removed from %(number)s: the invoice owes it again and the "
                                    "money is back on the client's deposit.") % {"number": allocation.invoice.number})
        return redirect(back)
    return render(request, "payments/confirm_removal.html", {
        "allocation": allocation, "payment": allocation.payment, "invoice": allocation.invoice, "next": back,
        "section": "payments"})


@role_required(RECORD_PAYMENTS)
@require_http_methods(["GET", "POST"])
def cancel_payment(request, pk: int):
    """Cancel a payment recorded by mistake: a page lists the invoices that will owe it again and asks why, then
    the POST of that page cancels it."""
    payment = get_object_or_404(Payment.objects.select_related("client"), pk=pk)
    back = _next(request, reverse("clients:detail", args=[payment.client.code]))
    if request.method == "POST":
        services.cancel_payment(payment=payment, reason=request.POST.get("reason", ""), user=request.user)
        messages.success(request, _("Payment cancelled: the invoices it paid owe it again and its bank entry is "
                                    "reversed."))
        return redirect(back)
    return render(request, "payments/confirm_cancel.html", {
        "payment": payment, "allocations": payment.allocations.select_related("invoice").order_by("pk"),
        "reservations": DepositReservation.objects.filter(payment=payment).order_by("pk"), "next": back,
        "section": "payments"})
