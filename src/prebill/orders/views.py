"""Customer orders and delivery notes: what is ordered, what is left, and a form to enter one."""

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, SEE_PORTFOLIO, role_required

from .models import CustomerOrder, DeliveryNote
from .services import enter_document


@role_required(SEE_PORTFOLIO)
def order_list(request):
    return render(request, "orders/list.html", {
        "orders": CustomerOrder.objects.select_related("client", "engagement").prefetch_related("lines__article")
        .order_by("-date", "number")[:200],
        "notes": DeliveryNote.objects.select_related("client", "engagement").prefetch_related(
            "lines__article", "lines__manual_element").order_by("-date", "number")[:200],
        "today": date.today(), "section": "orders"})


@role_required(EDIT_PORTFOLIO)
@require_POST
def enter(request):
    post = request.POST
    delivery = post.get("kind") == "delivery"
    row = {"client": post.get("client", "").strip(), "engagement": post.get("engagement", "").strip(),
           "number": post.get("number", "").strip()[:50], "date": post.get("date", ""),
           "lines": [{"article": post.get("article", "").strip(), "designation": post.get("designation", ""),
                      "quantity": post.get("quantity", "").replace(",", ".").strip(),
                      "unit_price": post.get("unit_price", "").replace(",", ".").strip()}]}
    if not row["number"]:
        messages.error(request, _("A document has a number."))
        return redirect("orders:list")
    problems = enter_document(row, delivery=delivery)
    for problem in problems:
        messages.error(request, f"{problem.where.removeprefix('form.')}: {problem.why}")
    if not problems:
        messages.success(request, _("%(number)s saved.") % {"number": row["number"]})
    return redirect("orders:list")
