from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, SEE_PORTFOLIO, has_role, role_required
from prebill.clients.models import PaymentMethod
from prebill.core.grouping import LineMode
from prebill.core.vat import VatRegime
from prebill.team.models import Collaborator
from prebill.web.forms import parse_amount

from . import selectors, services
from .models import Engagement, Installment


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
    if request.method == "POST":  # a dated row of the engagement's own billing conditions
        return _add_conditions(request, code)
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


def _add_conditions(request, code: str):
    if not has_role(request.user, EDIT_PORTFOLIO):
        raise PermissionDenied("your role does not allow this change")
    engagement = get_object_or_404(Engagement, code=code)
    post = request.POST
    applies_from = parse_date(post.get("applies_from", "") or "")
    days = post.get("payment_terms_days", "").strip()
    if applies_from is None or not (days.isascii() and days.isdigit()):
        messages.error(request, _("Give the date the conditions apply from and the payment terms in days."))
        return redirect("engagements:detail", code=code)
    services.add_conditions(
        engagement=engagement, applies_from=applies_from, payment_terms_days=int(days),
        end_of_month=post.get("end_of_month") == "on",
        vat_regime=post.get("vat_regime", VatRegime.STANDARD),
        payment_method=post.get("payment_method", PaymentMethod.TRANSFER),
        line_mode=post.get("line_mode", LineMode.DETAILED))
    messages.success(request, _("Conditions saved; the next run of a month they apply to bills the "
                                "engagement's items with them."))
    return redirect("engagements:detail", code=code)


@role_required(EDIT_PORTFOLIO)
@require_POST
def change_installment(request, pk: int):
    installment = get_object_or_404(Installment.objects.select_related("part__engagement"), pk=pk)
    code = installment.part.engagement.code
    due_date = parse_date(request.POST.get("due_date", "") or "")
    amount = parse_amount(request.POST.get("amount"))
    if due_date is None or amount is None or amount < 0 or amount.as_tuple().exponent < -2:
        messages.error(request, _("Give a date and an amount of at least 0 with at most 2 decimals."))
        return redirect("engagements:detail", code=code)
    services.change_installment(installment=installment, due_date=due_date, amount=amount,
                                label=request.POST.get("label", "").strip()[:200])
    messages.success(request, _("Installment saved; the next run of its month takes it into account."))
    return redirect("engagements:detail", code=code)
