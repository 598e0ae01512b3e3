"""Rebillable costs pages."""

from django.shortcuts import render

from prebill.accounts.roles import SEE_PORTFOLIO, role_required


@role_required(SEE_PORTFOLIO)
def cost_list(request):
    return render(request, "costs/list.html", {"section": "costs"})
