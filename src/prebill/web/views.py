from django.shortcuts import redirect, render

from prebill.accounts.roles import SEE_PRE_BILLING, has_role


def home(request):
    """Send each user to the page of their work."""
    if has_role(request.user, SEE_PRE_BILLING):
        return redirect("billing:pre_billing_current")
    return render(request, "web/home.html")
