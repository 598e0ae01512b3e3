"""Pro forma pages: list and generate, review lines (amount, transfer, withdraw), process."""

from datetime import date

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import RUN_PRE_BILLING, SEE_PRE_BILLING, role_required
from prebill.clients.models import Client
from prebill.web.forms import parse_amount

from . import services
from .models import ProForma, ProFormaLine


@role_required(SEE_PRE_BILLING)
def pro_forma_list(request):
    pro_formas = ProForma.objects.select_related("client", "pre_invoice").order_by("state", "-opened_at")[:200]
    return render(request, "proforma/list.html", {"pro_formas": pro_formas, "today": date.today(),
                                                  "section": "pro_forma"})


@role_required(SEE_PRE_BILLING)
def pro_forma_detail(request, pk: int):
    pro_forma = get_object_or_404(ProForma.objects.select_related("client", "pre_invoice"), pk=pk)
    lines = pro_forma.lines.select_related("article", "engagement").order_by("position")
    return render(request, "proforma/detail.html", {
        "pro_forma": pro_forma, "lines": lines, "section": "pro_forma",
        "to_bill": sum((line.amount for line in lines if line.status == ProFormaLine.Status.OPEN), 0)})


@role_required(RUN_PRE_BILLING)
@require_POST
def generate(request):
    client = Client.objects.filter(code=request.POST.get("client", "").strip()).first()
    if client is None:
        messages.error(request, _("No client has this code."))
        return redirect("proforma:list")
    until = parse_date(request.POST.get("until", "") or "") or date.today()
    pro_forma, added = services.generate(client_id=client.pk, until=until, user=request.user)
    messages.success(request, _("%(n)s line(s) added to the pro forma.") % {"n": added})
    return redirect("proforma:detail", pk=pro_forma.pk)


def _line_action(request, pk: int, action, **kwargs):
    line = get_object_or_404(ProFormaLine, pk=pk)
    action(line_id=pk, user=request.user, **kwargs)
    return redirect("proforma:detail", pk=line.pro_forma_id)


@role_required(RUN_PRE_BILLING)
@require_POST
def change_amount(request, pk: int):
    amount = parse_amount(request.POST.get("amount"))
    if amount is None:
        messages.error(request, _("An amount is a number."))
        return redirect("proforma:detail", pk=get_object_or_404(ProFormaLine, pk=pk).pro_forma_id)
    return _line_action(request, pk, services.change_amount, amount=amount)


@role_required(RUN_PRE_BILLING)
@require_POST
def set_status(request, pk: int, status: str):
    return _line_action(request, pk, services.set_status, status=status)


@role_required(RUN_PRE_BILLING)
@require_POST
def process(request, pk: int):
    pre = services.process(pro_forma_id=pk, user=request.user)
    messages.success(request, _("Pro forma processed: this pre-invoice is ready to validate."))
    return redirect("billing:pre_invoice", pk=pre.pk)
