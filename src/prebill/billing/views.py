"""Pre-billing pages: thin, they parse the request, call a selector or a service and render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, RUN_PRE_BILLING, SEE_PRE_BILLING, role_required
from prebill.clients import services as client_services
from prebill.clients.models import Client, PaymentMethod
from prebill.core.grouping import LineMode
from prebill.core.numbering import issue_date_for
from prebill.core.periods import Period, PeriodError
from prebill.core.vat import VatRegime
from prebill.engagements import services as engagement_services
from prebill.engagements.models import Engagement, Installment
from prebill.team.models import Collaborator
from prebill.web.forms import parse_amount

from . import decisions, schedule, selectors, services
from .models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine


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
    filters = selectors.OverviewFilters.from_query(get)
    try:
        page = int(get.get("page", 1))
    except ValueError:
        page = 1
    overview = selectors.pre_billing_overview(month, filters, page=page)
    context = {
        "period": month, "previous": month.shift(-1), "next": month.shift(1), "filters": filters,
        "overview": overview, "run": selectors.latest_run(month), "section": "billing",
        "managers": Collaborator.objects.filter(managed_engagements__isnull=False).distinct().order_by("name"),
        "kinds": selectors.KINDS, "set_aside": selectors.set_aside(month),
    }
    if not (request.htmx and request.htmx.target == "overview"):
        # Rebillable costs sit on top until they are on an invoice (the partial overview leaves them out).
        untreated_only = get.get("untreated", "1") != "0"
        costs = selectors.rebillables(month, untreated_only=untreated_only)
        context.update(rebillables=costs, untreated_only=untreated_only,
                       joinable=selectors.fixed_fees_to_join(month, {item.engagement_id for item in costs}),
                       automatic=schedule.automatic_preparation(now=timezone.now()))
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
    # The deposits set aside for it and the form to set one aside come from prebill.payments' template tags.
    previous, following = selectors.neighbours(document)
    return render(request, "billing/pre_invoice.html", {
        "document": document, "period": Period.of(document.period), "section": "billing",
        "next_month": Period.of(document.period).shift(1),
        "previous": previous, "following": following,
        "issue_date": issue_date_for(document.invoice_date, timezone.localdate())})


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


@role_required(RUN_PRE_BILLING)
@require_POST
def resume_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an interrupted run again; it converges to the drafts an uninterrupted one gives."""
    run = services.resume_pre_billing(get_object_or_404(BillingRun.objects.select_related("job"), pk=pk))
    if request.htmx:
        return render(request, "billing/_run_status.html", {
            "run": run, "period": Period.of(run.period), "step": services.run_progress(run)})
    return redirect("billing:pre_billing", period=str(Period.of(run.period)))


@role_required(SEE_PRE_BILLING)
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(BillingRun.objects.select_related("job"), pk=pk)
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


def _version(request: HttpRequest) -> int | None:
    """The pre-invoice's version the page showed (None: an older page that did not send it)."""
    version = request.POST.get("version", "")
    return int(version) if version.isascii() and version.isdigit() else None


def _move_line(request: HttpRequest, pk: int, by: int) -> HttpResponse:
    """One place up (by=-1) or down (by=1); the first line does not go up, nor the last down."""
    line = get_object_or_404(PreInvoiceLine, pk=pk)
    order = list(PreInvoiceLine.objects.filter(pre_invoice_id=line.pre_invoice_id).order_by("position", "pk")
                 .values_list("pk", flat=True))
    index = order.index(pk)
    if 0 <= index + by < len(order):
        order[index + by], order[index] = order[index], order[index + by]
    services.reorder_lines(pre_invoice_id=line.pre_invoice_id, line_ids=order, user=request.user,
                           expected_version=_version(request))
    return redirect(reverse("billing:pre_invoice", args=[line.pre_invoice_id]) + f"#line-{pk}")


@role_required(SEE_PRE_BILLING)
@require_POST
def move_line(request: HttpRequest, pk: int) -> HttpResponse:
    """One line of the pre-invoice up or down, from the page's one form for every line's arrows (up=<line id> or
    down=<line id>)."""
    for field, by in (("up", -1), ("down", 1)):
        value = request.POST.get(field, "")
        if value.isascii() and value.isdigit():
            line = get_object_or_404(PreInvoiceLine, pk=int(value), pre_invoice_id=pk)
            return _move_line(request, line.pk, by)
    raise Http404("no line to move")


@role_required(SEE_PRE_BILLING)
@require_POST
def reorder_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole order of the lines at once (dragged, or moved with Alt+arrows: web/reorder.js), checked against
    the version the page showed; back to the line that moved."""
    get_object_or_404(PreInvoice, pk=pk)
    ids = [int(value) for value in request.POST.getlist("line") if value.isascii() and value.isdigit()]
    services.reorder_lines(pre_invoice_id=pk, line_ids=ids, user=request.user, expected_version=_version(request))
    moved = request.POST.get("moved", "")
    return redirect(reverse("billing:pre_invoice", args=[pk]) + (f"#line-{moved}" if moved.isdigit() else ""))


# Decisions where the clerk is: on a pre-invoice, one of its lines, or a selection of the month page --------

DONE = {
    "postpone": gettext_lazy("Postponed to %(month)s: %(n)s item(s); the run of that month bills them."),
    "write_off": gettext_lazy("Written off: %(n)s item(s); the reason is kept in the audit trail."),
    "put_on_hold": gettext_lazy("Put on hold: %(n)s item(s); they wait under “Set aside” on the month page."),
}


def _postpone_to(request: HttpRequest) -> date | None:
    """The month typed (YYYY-MM as a month field sends it, or a whole date); a refusal says how to write it."""
    typed = request.POST.get("month", "").strip()
    return Period.parse(typed[:7] if len(typed) == 10 else typed).first_day if typed else None


def _decide(request: HttpRequest, to: str, drafts: list[tuple[int, int | None]], line_id: int | None = None) -> None:
    if to not in decisions.DECIDED:
        raise Http404("no such decision")
    postpone_to = _postpone_to(request) if to == "postpone" else None
    count = decisions.decide_on_pre_invoices(drafts=drafts, to=to, postpone_to=postpone_to,
                                             reason=request.POST.get("reason", ""), line_id=line_id,
                                             user=request.user)
    messages.success(request, DONE[to] % {"n": count, "month": Period.of(postpone_to) if postpone_to else ""})


@role_required(RUN_PRE_BILLING)
@require_POST
def decide(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    """Postpone, write off or put on hold a pre-invoice (or one of its lines: field `line`), as the page showed it."""
    document = get_object_or_404(PreInvoice, pk=pk)
    line = request.POST.get("line", "")
    _decide(request, to, [(pk, _version(request))], line_id=int(line) if line.isdigit() else None)
    if PreInvoice.objects.filter(pk=pk).exists():
        return redirect("billing:pre_invoice", pk=pk)
    return redirect("billing:pre_billing", period=str(Period.of(document.period)))  # nothing left on it


@role_required(RUN_PRE_BILLING)
def line_decisions(request: HttpRequest, pk: int) -> HttpResponse:
    """The forms that decide on one line (postpone, write off, put on hold), loaded when the clerk opens them: a
    page of a thousand lines does not carry three thousand forms."""
    line = get_object_or_404(PreInvoiceLine.objects.select_related("pre_invoice"), pk=pk)
    return render(request, "billing/_line_decisions.html", {
        "line": line, "document": line.pre_invoice, "next_month": Period.of(line.pre_invoice.period).shift(1)})


@role_required(RUN_PRE_BILLING)
@require_POST
def change_quantity(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Bill another quantity of one item of the pre-invoice (typed in the line's sources)."""
    quantity = parse_amount(request.POST.get("quantity"))
    if quantity is None:
        messages.error(request, _("A quantity is a number, e.g. 3,5."))
    else:
        decisions.change_quantity(pre_invoice_id=pk, version=_version(request), item_id=item_id, quantity=quantity,
                                  user=request.user)
        messages.success(request, _("Quantity changed: the pre-invoice is up to date."))
    return redirect("billing:pre_invoice", pk=pk)


@role_required(RUN_PRE_BILLING)
@require_POST
def decide_selection(request: HttpRequest, period: str, to: str) -> HttpResponse:
    """The month page's selection postponed, written off or put on hold in one go (all or nothing)."""
    month = _period(period)
    _decide(request, to, selectors.selected_drafts(month, request.POST))
    return redirect("billing:pre_billing", period=period)


@role_required(RUN_PRE_BILLING)
@require_POST
def bill_again(request: HttpRequest, period: str) -> HttpResponse:
    """Items of the month set aside (postponed, on hold, written off) back to bill now; the drafts follow."""
    _period(period)
    ids = [int(value) for value in request.POST.getlist("item") if value.isascii() and value.isdigit()]
    count = decisions.bill_again(item_ids=ids, user=request.user)
    messages.success(request, _("Back to bill now: %(n)s item(s).") % {"n": count})
    return redirect("billing:pre_billing", period=period)


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


@role_required(RUN_PRE_BILLING)
@require_POST
def group_costs(request, period: str, collaborator_id: int):
    """All the collaborator's untreated costs of the month on one invoice (or back on their own)."""
    try:
        month = Period.parse(period)
    except PeriodError:
        raise Http404("no such period") from None
    services.group_by_collaborator(period=month, collaborator_id=collaborator_id, on=request.POST.get("on") == "1",
                                   user=request.user)
    return redirect("billing:pre_billing", period=period)


@role_required(RUN_PRE_BILLING)
@require_POST
def join_fixed_fee(request, pk: int):
    """A cost on the fixed-fee invoice of its engagement (or back on its own)."""
    item = get_object_or_404(BillableItem, pk=pk)
    fee = request.POST.get("fee", "")
    services.join_fixed_fee(item_id=pk, installment_item_id=int(fee) if fee.isdigit() else None, user=request.user)
    return redirect("billing:pre_billing", period=str(Period.of(item.period)))


# Billing's actions on an engagement's page (mounted under /engagements/, see urls.py) -------------------

def _typed_conditions(request: HttpRequest) -> dict | None:
    """The conditions typed in the form of a client's or an engagement's page (None: date or days missing)."""
    post = request.POST
    applies_from = parse_date(post.get("applies_from", "") or "")
    days = post.get("payment_terms_days", "").strip()
    if applies_from is None or not (days.isascii() and days.isdigit()):
        messages.error(request, _("Give the date the conditions apply from and the payment terms in days."))
        return None
    return {"applies_from": applies_from, "payment_terms_days": int(days),
            "end_of_month": post.get("end_of_month") == "on",
            "vat_regime": post.get("vat_regime", VatRegime.STANDARD),
            "payment_method": post.get("payment_method", PaymentMethod.TRANSFER),
            "line_mode": post.get("line_mode", LineMode.DETAILED),
            "bring_in_step": services.bring_in_step, "user": request.user}


@role_required(EDIT_PORTFOLIO)
@require_POST
def add_engagement_conditions(request: HttpRequest, code: str) -> HttpResponse:
    """A dated row of the engagement's own billing conditions, typed on its page; the drafts follow."""
    engagement = get_object_or_404(Engagement, code=code)
    typed = _typed_conditions(request)
    if typed is not None:
        engagement_services.add_conditions(engagement=engagement, **typed)
        messages.success(request, _("Conditions saved; the drafts of the months they apply to follow them."))
    return redirect("engagements:detail", code=code)


@role_required(EDIT_PORTFOLIO)
@require_POST
def add_client_conditions(request: HttpRequest, code: str) -> HttpResponse:
    """A dated row of the client's billing conditions, typed on its page; the drafts follow."""
    client = get_object_or_404(Client, code=code)
    typed = _typed_conditions(request)
    if typed is not None:
        client_services.add_conditions(client=client, currency=request.POST.get("currency", "EUR").strip(), **typed)
        messages.success(request, _("Conditions saved; the drafts of the months they apply to follow them."))
    return redirect("clients:detail", code=code)


@role_required(EDIT_PORTFOLIO)
@require_POST
def change_installment(request: HttpRequest, pk: int) -> HttpResponse:
    """An installment of the engagement's plan, changed on its page while it is not invoiced."""
    installment = get_object_or_404(Installment.objects.select_related("part__engagement"), pk=pk)
    code = installment.part.engagement.code
    due_date = parse_date(request.POST.get("due_date", "") or "")
    amount = parse_amount(request.POST.get("amount"))
    if due_date is None or amount is None or amount < 0 or amount.as_tuple().exponent < -2:
        messages.error(request, _("Give a date and an amount of at least 0 with at most 2 decimals."))
        return redirect("engagements:detail", code=code)
    engagement_services.change_installment(installment=installment, due_date=due_date, amount=amount,
                                           label=request.POST.get("label", "").strip()[:200],
                                           is_billed=selectors.installment_billed)
    messages.success(request, _("Installment saved; the next run of its month takes it into account."))
    return redirect("engagements:detail", code=code)
