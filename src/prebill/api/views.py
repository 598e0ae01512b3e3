"""The page where a user creates and revokes their API tokens."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from prebill.accounts.roles import SEE_PORTFOLIO, role_required

from .models import ApiToken


@role_required(SEE_PORTFOLIO)
def tokens(request: HttpRequest) -> HttpResponse:
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            get_object_or_404(ApiToken, pk=request.POST["revoke"], user=request.user).revoke()
            messages.success(request, _("The token is revoked."))
            return redirect("api_tokens")
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            messages.error(request, _("Give the token a name, e.g. the tool that will use it."))
            return redirect("api_tokens")
        _token, new_key = ApiToken.issue(user=request.user, name=name)
    return render(request, "api/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user), "new_key": new_key, "section": "api"})
