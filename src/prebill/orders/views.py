"""Customer orders and delivery notes: what is ordered and what is left (the form to enter one posts to
prebill.imports, which checks it as an import)."""

from datetime import date

from django.shortcuts import render

from prebill.accounts.roles import SEE_PORTFOLIO, role_required

from .models import CustomerOrder, DeliveryNote


@role_required(SEE_PORTFOLIO)
def order_list(request):
    return render(request, "orders/list.html", {
        "orders": CustomerOrder.objects.select_related("client", "engagement").prefetch_related("lines__article")
        .order_by("-date", "number")[:200],
        "notes": DeliveryNote.objects.select_related("client", "engagement").prefetch_related(
            "lines__article", "lines__manual_element").order_by("-date", "number")[:200],
        "today": date.today(), "section": "orders"})

