"""The wizard's pages: thin, they parse the form, call the review services and render the step."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import RUN_PRE_BILLING, SEE_PRE_BILLING, role_required
from prebill.billing.models import PreInvoice
from prebill.core.labels import LINE_MODE_CHOICES
from prebill.core.periods import Period
from prebill.engagements.models import Task
from prebill.organisation.models import Organisation
from prebill.web.forms import parse_amount

from . import services
from .models import ReviewSession
from .scope import DEFAULT_TASK_STATUSES, Scope

STEPS = {1: "scope", 2: "review", 3: "matching", 4: "confirmation"}


@role_required(SEE_PRE_BILLING)
def session_list(request):
    month = Period.of(date.today())
    return render(request, "review/list.html", {
        "sessions": ReviewSession.objects.select_related("created_by").order_by("state", "-updated_at")[:100],
        "start": month.first_day, "end": month.last_day, "statuses": Task.Status.choices,
        "default_statuses": DEFAULT_TASK_STATUSES, "line_modes": LINE_MODE_CHOICES, "section": "review"})


@role_required(RUN_PRE_BILLING)
@require_POST
def start(request):
    post = request.POST
    start_day, end_day = parse_date(post.get("start", "") or ""), parse_date(post.get("end", "") or "")
    if start_day is None or end_day is None:
        messages.error(request, _("Give the period's first and last days."))
        return redirect("review:list")
    task = post.get("task", "").strip()
    scope = Scope(
        start=start_day, end=end_day, **{name: post.get(name, "").strip()[:30] for name in (
            "engagement_from", "engagement_to", "engagement_class", "client_from", "client_to", "salesperson",
            "manager", "collaborator", "collaborator_group")},
        task=int(task) if task.isdigit() else None,
        task_statuses=frozenset(post.getlist("task_status")) & set(Task.Status.values) or DEFAULT_TASK_STATUSES)
    options = {name: post[name] for name in ("line_mode", "invoice_date") if post.get(name)}
    session = services.start(scope=scope, options=options, label=post.get("label", ""), user=request.user)
    return redirect("review:step", pk=session.pk, step=2)


@role_required(SEE_PRE_BILLING)
def resume(request, pk: int):
    session = get_object_or_404(ReviewSession, pk=pk)
    return redirect("review:step", pk=pk, step=session.step if session.state == "open" else 4)


@role_required(SEE_PRE_BILLING)
def step(request, pk: int, step: int):
    session = get_object_or_404(ReviewSession.objects.select_related("confirmed_by"), pk=pk)
    if step not in (2, 3, 4):
        return redirect("review:step", pk=pk, step=2)
    if session.state == "open" and session.step != step:
        services.save_step(session_id=pk, step=step, user=request.user)
    context = {"session": session, "step": step, "steps": STEPS, "section": "review",
               "scope": services.scope_from_json(session.scope)}
    if step == 2:
        org = Organisation.objects.first()
        tab = request.GET.get("tab", "time")
        items = services.elements(session).select_related(
            "time_entry__task", "collaborator", "article", "engagement", "review_task", "review_article")
        context.update(tab=tab, time_edits=bool(org and org.review_time_edits),
                       delivery_notes=bool(org and org.delivery_notes),
                       items=items.filter(kind="time").order_by("engagement__code", "service_date", "pk")[:500],
                       manual=items.filter(kind="manual").select_related("manual_element__delivery_note_line__note")
                       .order_by("pk"),
                       deliveries=services.delivery_lines(session) if org and org.delivery_notes else [])
    elif step == 3:
        context.update(matches=services.matches(session), moves=services.MOVES, summary=services.summary(session))
    else:
        context.update(summary=services.summary(session) if session.state == "open" else None,
                       created=PreInvoice.objects.filter(pk__in=session.pre_invoices).select_related("client"))
    return render(request, f"review/step{step}.html", context)


def _act(request, pk: int, step: int, action, **kwargs):
    action(session_id=pk, user=request.user, **kwargs)
    tab = request.POST.get("tab")
    response = redirect("review:step", pk=pk, step=step)
    if tab:
        response["Location"] += f"?tab={tab}"
    return response


@role_required(RUN_PRE_BILLING)
@require_POST
def edit_time(request, pk: int, item_id: int):
    hours = request.POST.get("hours", "").strip()
    parsed = parse_amount(hours) if hours else None
    if hours and parsed is None:
        messages.error(request, _("Billable hours are a number."))
        return redirect("review:step", pk=pk, step=2)
    post = request.POST
    return _act(request, pk, 2, services.edit_time, item_id=item_id, billable=post.get("billable") or None,
                hours=parsed, task=post.get("task", "").strip() or None, activity=post.get("activity"),
                domain=post.get("domain"), article=post.get("article", "").strip() or None)


@role_required(RUN_PRE_BILLING)
@require_POST
def add_element(request, pk: int):
    post = request.POST
    quantity, price = parse_amount(post.get("quantity")), parse_amount(post.get("unit_price"))
    day = parse_date(post.get("date", "") or "")
    if quantity is None or price is None or day is None:
        messages.error(request, _("Date, quantity and unit price are needed."))
        return redirect("review:step", pk=pk, step=2)
    return _act(request, pk, 2, services.add_element, engagement_code=post.get("engagement", "").strip(), day=day,
                article_code=post.get("article", "").strip(), designation=post.get("designation", ""),
                quantity=quantity, unit_price=price)


@role_required(RUN_PRE_BILLING)
@require_POST
def bill_delivery(request, pk: int, line_id: int):
    return _act(request, pk, 2, services.bill_delivery_note_line, line_id=line_id)


@role_required(RUN_PRE_BILLING)
@require_POST
def move(request, pk: int, item_id: int):
    return _act(request, pk, 3, services.move, item_id=item_id, to=request.POST.get("to", ""),
                postpone_to=parse_date(request.POST.get("postpone_to", "") or ""))


@role_required(RUN_PRE_BILLING)
@require_POST
def allocate(request, pk: int, item_id: int):
    quantity, line = parse_amount(request.POST.get("quantity")), request.POST.get("order_line", "")
    if quantity is None or not line.isdigit():
        messages.error(request, _("Choose an order line and a quantity."))
        return redirect("review:step", pk=pk, step=3)
    return _act(request, pk, 3, services.allocate, item_id=item_id, order_line_id=int(line), quantity=quantity)


@role_required(RUN_PRE_BILLING)
@require_POST
def confirm(request, pk: int):
    created = services.confirm(session_id=pk, user=request.user)
    messages.success(request, _("%(n)s pre-invoice(s) created.") % {"n": len(created)})
    return redirect("review:step", pk=pk, step=4)


@role_required(RUN_PRE_BILLING)
@require_POST
def cancel(request, pk: int):
    services.cancel(session_id=pk, user=request.user)
    return redirect("review:list")
