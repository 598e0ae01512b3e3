"""Pre-billing pages: thin, they parse the request, call a selector or a service and render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import RUN_PRE_BILLING, SEE_PRE_BILLING, role_required
from prebill.core.periods import Period, PeriodError
from prebill.costs.selectors import fixed_fees_to_join, rebillables
from prebill.payments import services as payments
from prebill.team.models import Collaborator
from prebill.web.forms import parse_amount

from . import selectors, services
from .models import BillingRun, PreInvoice, PreInvoiceLine


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError:
        raise Http404("no such period") from None


@role_required(SEE_PRE_BILLING)
def pre_billing_current(request: HttpRequest) -> HttpResponse:
    return redirect("billing:pre_billing", period=str(Period.of(date.today())))


@role_required(SEE_PRE_BILLING)
def pre_billing(request: HttpRequest, period: str) -> HttpResponse:
    month = _period(period)
    get = request.GET
    filters = selectors.OverviewFilters(
        search=get.get("q", "").strip(), engagement=get.get("engagement", "").strip(),
        manager=get.get("manager", ""), kind=get.get("kind", ""), minimum=parse_amount(get.get("min")),
        maximum=parse_amount(get.get("max")), sort=get.get("sort", "client"),
    )
    try:
        page = int(get.get("page", 1))
    except ValueError:
        page = 1
    overview = selectors.pre_billing_overview(month, filters, page=page)
    context = {
        "period": month, "previous": month.shift(-1), "next": month.shift(1), "filters": filters,
        "overview": overview, "run": selectors.latest_run(month), "section": "billing",
        "managers": Collaborator.objects.filter(managed_engagements__isnull=False).distinct().order_by("name"),
        "kinds": selectors.KINDS,
    }
    if not (request.htmx and request.htmx.target == "overview"):
        # Rebillable costs sit on top until they are on an invoice (the partial overview leaves them out).
        untreated_only = get.get("untreated", "1") != "0"
        costs = rebillables(month, untreated_only=untreated_only)
        context.update(rebillables=costs, untreated_only=untreated_only,
                       joinable=fixed_fees_to_join(month, {item.engagement_id for item in costs}))
    template = "billing/_overview.html" if request.htmx and request.htmx.target == "overview" else "billing/pre_billing.html"
    return render(request, template, context)


@role_required(SEE_PRE_BILLING)
def pre_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        document = selectors.pre_invoice_detail(pk)
    except selectors.PreInvoice.DoesNotExist:
        gone = selectors.removed_draft(pk)
        return render(request, "billing/removed.html", {"gone": gone, "section": "billing"},
                      status=410 if gone["removed"] else 404)
    reservations, due = payments.pre_invoice_due(document)
    return render(request, "billing/pre_invoice.html", {
        "document": document, "period": Period.of(document.period), "section": "billing",
        "reservations": reservations, "due": due,
        "deposits": payments.client_deposits(document.client_id)})


@role_required(SEE_PRE_BILLING)
def line_sources(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(PreInvoiceLine, pk=pk)
    return render(request, "billing/_line_sources.html", {"line": line, "sources": selectors.line_sources(pk)})


@role_required(RUN_PRE_BILLING)
@require_POST
def start_run(request: HttpRequest, period: str) -> HttpResponse:
    run = services.start_pre_billing(period=_period(period), user=request.user)
    if request.htmx:
        return render(request, "billing/_run_status.html", {
            "run": run, "period": _period(period), "step": services.run_progress(run)})
    return redirect("billing:pre_billing", period=period)


@role_required(SEE_PRE_BILLING)
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(BillingRun, pk=pk)
    response = render(request, "billing/_run_status.html", {
        "run": run, "period": Period.of(run.period), "step": services.run_progress(run)})
    if run.status == BillingRun.Status.DONE and request.GET.get("was") == "running":
        response["HX-Refresh"] = "true"  # the run just finished: show its pre-invoices
    return response


def _on_line(request: HttpRequest, line: PreInvoiceLine, action, **kwargs) -> HttpResponse:
    """A special action on a line's pre-invoice (a refusal becomes a message on the page it came from)."""
    action(user=request.user, **kwargs)
    return redirect("billing:pre_invoice", pk=line.pre_invoice_id)


@role_required(SEE_PRE_BILLING)
@require_POST
def replace_designation(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(PreInvoiceLine, pk=pk)
    return _on_line(request, line, services.replace_designation, line_id=pk, text=request.POST.get("designation", ""))


@role_required(SEE_PRE_BILLING)
@require_POST
def move_line_up(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(PreInvoiceLine, pk=pk)
    order = list(PreInvoiceLine.objects.filter(pre_invoice_id=line.pre_invoice_id).order_by("position")
                 .values_list("pk", flat=True))
    index = order.index(pk)
    if index:
        order[index - 1], order[index] = order[index], order[index - 1]
    return _on_line(request, line, services.reorder_lines, pre_invoice_id=line.pre_invoice_id, line_ids=order)


@role_required(SEE_PRE_BILLING)
@require_POST
def duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(PreInvoice, pk=pk)
    copy = services.duplicate_pre_invoice(pre_invoice_id=pk, user=request.user)
    return redirect("billing:pre_invoice", pk=copy.pk)


@role_required(SEE_PRE_BILLING)
@require_POST
def change_copy_line(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(PreInvoiceLine, pk=pk)
    quantity, unit_price = parse_amount(request.POST.get("quantity")), parse_amount(request.POST.get("unit_price"))
    if quantity is None or unit_price is None:
        messages.error(request, _("Quantity and unit price are numbers."))
        return redirect("billing:pre_invoice", pk=line.pre_invoice_id)
    return _on_line(request, line, services.change_copy_line, line_id=pk, quantity=quantity, unit_price=unit_price)


@role_required(SEE_PRE_BILLING)
@require_POST
def remove_copy_line(request: HttpRequest, pk: int) -> HttpResponse:
    return _on_line(request, get_object_or_404(PreInvoiceLine, pk=pk), services.remove_copy_line, line_id=pk)


@role_required(SEE_PRE_BILLING)
@require_POST
def delete_copy(request: HttpRequest, pk: int) -> HttpResponse:
    copy = get_object_or_404(PreInvoice, pk=pk)
    services.delete_copy(pre_invoice_id=pk, user=request.user)
    messages.success(request, _("The copy is deleted."))
    return redirect("billing:pre_billing", period=str(Period.of(copy.period)))
