from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from prebill.accounts.roles import SEE_PORTFOLIO, role_required
from prebill.clients.models import PaymentMethod
from prebill.core.grouping import LineMode
from prebill.core.vat import VatRegime
from prebill.team.models import Collaborator

from . import selectors
from .models import Engagement


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
        "vat_regimes": [r.value for r in VatRegime], "payment_methods": PaymentMethod.choices,
        "line_modes": [m.value for m in LineMode],
    })

