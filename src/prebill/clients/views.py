from datetime import date

from django.http import Http404
from django.shortcuts import render

from prebill.accounts.roles import SEE_PORTFOLIO, role_required
from prebill.core.grouping import LineMode
from prebill.core.vat import VatRegime

from . import selectors
from .models import Client, PaymentMethod


@role_required(SEE_PORTFOLIO)
def client_list(request):
    search = request.GET.get("q", "").strip()
    return render(request, "clients/list.html", {
        "page": selectors.clients_page(search, request.GET.get("page", 1)), "search": search, "section": "clients"})


@role_required(SEE_PORTFOLIO)
def client_detail(request, code: str):
    try:
        client, conditions, in_force = selectors.client_detail(code, date.today())
    except Client.DoesNotExist:
        raise Http404("no such client") from None
    return render(request, "clients/detail.html", {
        "client": client, "conditions": conditions, "in_force": in_force, "section": "clients",
        "vat_regimes": [r.value for r in VatRegime], "payment_methods": PaymentMethod.choices,
        "line_modes": [m.value for m in LineMode]})
