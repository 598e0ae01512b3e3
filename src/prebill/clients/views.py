from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from prebill.accounts.roles import EDIT_PORTFOLIO, SEE_PORTFOLIO, role_required
from prebill.core.labels import LINE_MODE_CHOICES, VAT_REGIME_CHOICES

from . import selectors, services
from .forms import ClientEntry
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
        "vat_regimes": VAT_REGIME_CHOICES, "payment_methods": PaymentMethod.choices,
        "line_modes": LINE_MODE_CHOICES})


# Mounted by prebill.billing.urls (client_actions), which gives the drafts' `bring_in_step`: a client's changes
# reach the drafts of the months already run.

@role_required(EDIT_PORTFOLIO)
def client_create(request, bring_in_step: Callable[..., object]):
    return _client_form(request, None, bring_in_step)


@role_required(EDIT_PORTFOLIO)
def client_edit(request, code: str, bring_in_step: Callable[..., object]):
    return _client_form(request, get_object_or_404(Client, code=code), bring_in_step)


def _client_form(request, client: Client | None, bring_in_step: Callable[..., object]):
    entry = ClientEntry(request.POST if request.method == "POST" else None, client=client)
    if request.method == "POST" and entry.is_valid():
        try:
            saved = services.save_client(
                client=client, values=entry.values(), addresses=entry.address_rows(), bring_in_step=bring_in_step,
                conditions=entry.conditions.conditions() if entry.conditions else None, user=request.user)
        except services.ClientRefused as refused:  # changed meanwhile: told next to its field
            entry.add_problems(refused.problems)
        else:
            messages.success(request, _("Client saved.") if client else _("Client created."))
            return redirect("clients:detail", code=saved.code)
    return render(request, "clients/form.html", {"entry": entry, "client": client, "section": "clients"},
                  status=400 if request.method == "POST" else 200)
