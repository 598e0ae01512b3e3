from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import ACCOUNTANT, ADMINISTRATOR, COLLECTIONS, RECORD_PAYMENTS, role_required
from prebill.clients.models import Client
from prebill.web.forms import parse_amount

from . import services


@role_required((COLLECTIONS, ACCOUNTANT, ADMINISTRATOR))
def aged_balance(request):
    today = parse_date(request.GET.get("on", "") or "") or date.today()
    rows = services.aged_balance(today)
    totals = {bucket: sum((row[bucket] for row in rows), services.ZERO) for bucket in (*services.BUCKETS, "total")}
    return render(request, "payments/aged_balance.html", {"rows": rows, "totals": totals, "on": today,
                                                          "section": "payments"})


@role_required(RECORD_PAYMENTS)
@require_POST
def deposit(request, code: str):
    client = get_object_or_404(Client, code=code)
    amount = parse_amount(request.POST.get("amount")) or Decimal(0)
    try:
        services.record_payment(client_id=client.pk, day=parse_date(request.POST.get("date", "")) or date.today(),
                                method="transfer", amount=amount, reference=request.POST.get("reference", "")[:100],
                                user=request.user)
    except services.PaymentRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Deposit recorded."))
    return redirect("clients:detail", code=code)
