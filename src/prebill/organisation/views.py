"""The firm settings page: its dated legal wordings (what prints when) and its sector agreement on payment terms."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from prebill.accounts.roles import EDIT_FIRM_SETTINGS, role_required

from . import selectors, services
from .forms import LegalWordingForm, PaymentTermsAgreementForm
from .models import Organisation


@role_required(EDIT_FIRM_SETTINGS)
@require_http_methods(["GET", "POST"])
def firm_settings(request: HttpRequest) -> HttpResponse:
    org = Organisation.objects.first()
    agreement = PaymentTermsAgreementForm(instance=org)
    wording = LegalWordingForm()
    if request.method == "POST" and request.POST.get("form") == "agreement":
        agreement = PaymentTermsAgreementForm(request.POST, instance=org)
        if agreement.is_valid():
            services.set_payment_terms_agreement(agreement=agreement.cleaned_data["payment_terms_agreement"],
                                                 agreement_days=agreement.cleaned_data["payment_terms_agreement_days"])
            messages.success(request, _("The sector agreement on payment terms is saved."))
            return redirect("organisation:settings")
    elif request.method == "POST" and request.POST.get("form") == "wording":
        wording = LegalWordingForm(request.POST)
        if wording.is_valid():
            services.save_legal_wording(**wording.cleaned_data)
            messages.success(request, _("The wording is saved: it prints on the invoices issued from %(date)s.")
                             % {"date": wording.cleaned_data["valid_from"].strftime("%d/%m/%Y")})
            return redirect("organisation:settings")
    today = timezone.localdate()
    return render(request, "organisation/settings.html", {
        "org": org, "agreement_form": agreement, "wording_form": wording, "today": today,
        "wordings": selectors.wordings_table(today), "warning": selectors.cgi_wording_warning(today),
        "section": "settings"}, status=400 if request.method == "POST" else 200)


@role_required(EDIT_FIRM_SETTINGS)
@require_POST
def delete_wording(request: HttpRequest, pk: int) -> HttpResponse:
    services.delete_legal_wording(pk=pk)
    messages.success(request, _("The wording is removed: the invoices still to issue print the one before it."))
    return redirect("organisation:settings")
