from collections.abc import Callable

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, SEE_PORTFOLIO, role_required
from prebill.clients.models import Client, PaymentMethod
from prebill.core.labels import LINE_MODE_CHOICES, VAT_REGIME_CHOICES
from prebill.team.models import Collaborator

from . import selectors, services
from .forms import EngagementEntry, RateForm
from .models import Engagement, EngagementPart, PartRate


@role_required(SEE_PORTFOLIO)
def engagement_list(request):
    get = request.GET
    page = selectors.engagements_page(search=get.get("q", "").strip(), client=get.get("client", "").strip(),
                                      engagement_class=get.get("class", ""), manager=get.get("manager", ""),
                                      page=get.get("page", 1))
    return render(request, "engagements/list.html", {
        "page": page, "section": "engagements",
        "classes": Engagement.objects.order_by().values_list("engagement_class", flat=True).distinct(),
        "managers": Collaborator.objects.filter(managed_engagements__isnull=False).distinct().order_by("name"),
    })


@role_required(SEE_PORTFOLIO)
def engagement_detail(request, code: str):
    try:
        context = selectors.engagement_detail(code)
    except Engagement.DoesNotExist:
        raise Http404("no such engagement") from None
    conditions = list(context["engagement"].billing_conditions.all())
    today = timezone.localdate()
    return render(request, "engagements/detail.html", {
        **context, "section": "engagements", "conditions": conditions,
        "in_force": next((c for c in reversed(conditions) if c.applies_from <= today), None),
        "vat_regimes": VAT_REGIME_CHOICES, "payment_methods": PaymentMethod.choices,
        "line_modes": LINE_MODE_CHOICES,
        "collaborators": Collaborator.objects.filter(active=True).order_by("name"),
    })



# Mounted by prebill.billing.urls (engagement_actions), which gives the drafts' `bring_in_step`: an engagement's
# changes reach the drafts of the months already run.

@role_required(EDIT_PORTFOLIO)
def engagement_create(request, client_code: str, bring_in_step: Callable[..., object]):
    return _engagement_form(request, get_object_or_404(Client, code=client_code), None, bring_in_step)


@role_required(EDIT_PORTFOLIO)
def engagement_edit(request, code: str, bring_in_step: Callable[..., object]):
    engagement = get_object_or_404(Engagement.objects.select_related("client"), code=code)
    return _engagement_form(request, engagement.client, engagement, bring_in_step)


def _engagement_form(request, client: Client, engagement: Engagement | None, bring_in_step: Callable[..., object]):
    entry = EngagementEntry(request.POST if request.method == "POST" else None, client=client, engagement=engagement)
    if request.method == "POST" and entry.is_valid():
        try:
            saved = services.save_engagement(client=client, engagement=engagement, values=entry.values(),
                                             parts=entry.part_rows(), bring_in_step=bring_in_step,
                                             user=request.user)
        except services.EngagementRefused as refused:  # changed meanwhile: told next to its field
            entry.add_problems(refused.problems)
        else:
            messages.success(request, _("Engagement saved.") if engagement else _("Engagement created."))
            return redirect("engagements:detail", code=saved.code)
    return render(request, "engagements/form.html", {
        "entry": entry, "client": client, "engagement": engagement, "section": "engagements"},
        status=400 if request.method == "POST" else 200)


@role_required(EDIT_PORTFOLIO)
@require_POST
def rate_set(request, pk: int, bring_in_step: Callable[..., object]):
    """A T&M part's rate for a collaborator or a grade, typed on the engagement's page."""
    part = get_object_or_404(EngagementPart.objects.select_related("engagement"), pk=pk)
    form = RateForm(request.POST, part=part)
    if form.is_valid():
        data = form.cleaned_data
        services.set_rate(part=part, collaborator=data["collaborator"], grade=data["grade"].strip(),
                          hourly_rate=data["hourly_rate"], daily_rate=data["daily_rate"],
                          bring_in_step=bring_in_step, user=request.user)
        messages.success(request, _("Rate saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("engagements:detail", code=part.engagement.code)


@role_required(EDIT_PORTFOLIO)
@require_POST
def rate_remove(request, pk: int, bring_in_step: Callable[..., object]):
    rate = get_object_or_404(PartRate.objects.select_related("part__engagement"), pk=pk)
    code = rate.part.engagement.code
    services.remove_rate(rate=rate, bring_in_step=bring_in_step, user=request.user)
    messages.success(request, _("Rate removed."))
    return redirect("engagements:detail", code=code)
