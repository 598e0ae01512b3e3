from datetime import date

from django.shortcuts import render
from django.utils.dateparse import parse_date

from prebill.accounts.roles import ACCOUNTANT, ADMINISTRATOR, COLLECTIONS, role_required

from . import services


@role_required((COLLECTIONS, ACCOUNTANT, ADMINISTRATOR))
def aged_balance(request):
    today = parse_date(request.GET.get("on", "") or "") or date.today()
    rows = services.aged_balance(today)
    totals = {bucket: sum((row[bucket] for row in rows), services.ZERO) for bucket in (*services.BUCKETS, "total")}
    return render(request, "payments/aged_balance.html", {"rows": rows, "totals": totals, "on": today,
                                                          "section": "payments"})
