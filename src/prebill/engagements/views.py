from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, SEE_PORTFOLIO, role_required
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
    try:
        context = selectors.engagement_detail(code)
    except Engagement.DoesNotExist:
        raise Http404("no such engagement") from None
    return render(request, "engagements/detail.html", {**context, "section": "engagements"})


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
    try:
        services.change_installment(installment=installment, due_date=due_date, amount=amount,
                                    label=request.POST.get("label", "").strip()[:200])
    except services.InstallmentBilled as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Installment saved; the next run of its month takes it into account."))
    return redirect("engagements:detail", code=code)
