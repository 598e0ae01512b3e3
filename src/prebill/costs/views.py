"""Rebillable costs: declare them with their proofs (the preparation page, where their invoice is chosen, is
prebill.billing's)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import RUN_PRE_BILLING, SEE_PORTFOLIO, role_required
from prebill.clients.models import Client
from prebill.core.periods import Period, PeriodError
from prebill.engagements.models import Engagement
from prebill.team.models import Collaborator
from prebill.web.forms import parse_amount

from . import services
from .models import Expense, Overtime, Purchase
from .selectors import activity_reports


@role_required(SEE_PORTFOLIO)
def cost_list(request):
    month = Period.of(parse_date(request.GET.get("month", "") or "") or date.today())
    reports = activity_reports(month)
    return render(request, "costs/list.html", {
        "expenses": Expense.objects.select_related("collaborator", "client", "engagement", "receipt")
        .order_by("-date", "-pk")[:100],
        "purchases": Purchase.objects.select_related("client", "proof").order_by("-date", "-pk")[:100],
        "overtime": Overtime.objects.select_related("collaborator", "engagement", "billable_item")
        .order_by("-date", "-pk")[:100],
        "reports": reports, "month": month, "today": date.today(), "section": "costs"})


def _client_and_engagement(post) -> tuple[Client, Engagement | None]:
    client = Client.objects.filter(code=post.get("client", "").strip()).first()
    if client is None:
        raise services.CostRefused(_("No client has this code."))
    code = post.get("engagement", "").strip()
    engagement = Engagement.objects.filter(code=code).first() if code else None
    if code and engagement is None:
        raise services.CostRefused(_("No engagement has this code."))
    return client, engagement


def _numbers(post, *names) -> list[Decimal]:
    values = [parse_amount(post.get(name)) for name in names]
    if any(v is None for v in values):
        raise services.CostRefused(_("Amounts and rates are numbers."))
    return values


def _done(request, action, success: str):
    action()
    messages.success(request, success)
    return redirect("costs:list")


@role_required(RUN_PRE_BILLING)
@require_POST
def declare_expense(request):
    post = request.POST

    def declare():
        client, engagement = _client_and_engagement(post)
        collaborator = Collaborator.objects.filter(code=post.get("collaborator", "").strip()).first()
        if collaborator is None:
            raise services.CostRefused(_("No collaborator has this code."))
        excluding, including, rate = _numbers(post, "amount_excluding_vat", "amount_including_vat", "vat_rate")
        services.declare_expense(
            collaborator_id=collaborator.pk, client_id=client.pk, engagement_id=engagement.pk if engagement else None,
            day=parse_date(post.get("date", "") or "") or date.today(), nature=post.get("nature", ""),
            amount_excluding_vat=excluding, amount_including_vat=including, vat_rate=rate,
            rebillable=post.get("rebillable") == "1", receipt=request.FILES.get("receipt"), user=request.user,
            disbursement=post.get("disbursement") == "1")

    return _done(request, declare, _("Expense declared."))


@role_required(RUN_PRE_BILLING)
@require_POST
def record_purchase(request):
    post = request.POST

    def record():
        client, engagement = _client_and_engagement(post)
        (cost, rate) = _numbers(post, "amount_excluding_vat", "vat_rate")
        services.record_purchase(
            client_id=client.pk, engagement_id=engagement.pk if engagement else None,
            day=parse_date(post.get("date", "") or "") or date.today(), supplier=post.get("supplier", ""),
            reference=post.get("reference", ""), amount_excluding_vat=cost, vat_rate=rate,
            rebillable=post.get("rebillable") == "1", markup_percent=parse_amount(post.get("markup_percent")),
            resale_price=parse_amount(post.get("resale_price")), proof=request.FILES.get("proof"), user=request.user,
            disbursement=post.get("disbursement") == "1")

    return _done(request, record, _("Purchase recorded."))


@role_required(RUN_PRE_BILLING)
@require_POST
def declare_overtime(request):
    post = request.POST

    def declare():
        _, engagement = _client_and_engagement(post)
        collaborator = Collaborator.objects.filter(code=post.get("collaborator", "").strip()).first()
        start, end = parse_time(post.get("start", "") or ""), parse_time(post.get("end", "") or "")
        if engagement is None or collaborator is None or start is None or end is None:
            raise services.CostRefused(_("Overtime needs a collaborator, an engagement, a start and an end."))
        services.declare_overtime(collaborator_id=collaborator.pk, engagement_id=engagement.pk,
                                  day=parse_date(post.get("date", "") or "") or date.today(), start=start, end=end,
                                  comment=post.get("comment", ""), user=request.user)

    return _done(request, declare, _("Overtime declared."))


@role_required(RUN_PRE_BILLING)
@require_POST
def enter_units(request):
    post = request.POST

    def enter():
        quantity = parse_amount(post.get("quantity"))
        month = Period.parse(post.get("month", ""))
        if quantity is None:
            raise services.CostRefused(_("Amounts and rates are numbers."))
        services.enter_units(engagement_code=post.get("engagement", "").strip(), part_code=post.get("part", "").strip(),
                             month=month, quantity=quantity, user=request.user)

    return _done(request, enter, _("Units saved; the month's run bills them."))


@role_required(RUN_PRE_BILLING)
@require_POST
def sign_report(request, collaborator_id: int, engagement_id: int, month: str):
    try:
        first_day = Period.parse(month).first_day
    except PeriodError:
        raise Http404("no such month") from None
    upload = request.FILES.get("signed")
    if upload is None:
        messages.error(request, _("Choose the signed report's file."))
        return redirect("costs:list")
    return _done(request, lambda: services.attach_signed_report(
        collaborator_id=collaborator_id, engagement_id=engagement_id, month=first_day, upload=upload,
        user=request.user), _("Signed report kept."))

