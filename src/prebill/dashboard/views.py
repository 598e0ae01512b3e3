"""The home page: the dashboard of the firm's billing, or, for a user without a role, how to get one."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.dates import MONTHS, MONTHS_AP
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from prebill.accounts.roles import SEE_AGED_BALANCE, SEE_INVOICES, SEE_PRE_BILLING, has_role
from prebill.core.periods import Period
from prebill.payments.services import BUCKETS
from prebill.web.templatetags.prebill import money

from . import selectors
from .charts import Bar, bar_chart

BUCKET_LABELS = {"not_due": gettext_noop("Not due"), "1_30": gettext_noop("1–30 days"),
                 "31_60": gettext_noop("31–60 days"), "61_90": gettext_noop("61–90 days"),
                 "over_90": gettext_noop("Over 90 days")}
AXIS_LABELS = {"1_30": "1–30", "31_60": "31–60", "61_90": "61–90", "over_90": "> 90"}


def _invoices(**filters: str) -> str:
    return reverse("invoicing:list") + "?" + urlencode(filters)


def _billed(today: date) -> dict:
    months = selectors.billed_per_month(today.year)
    rows = [{"name": MONTHS[m.month], "short": MONTHS_AP[m.month], "this_year": m.this_year, "last_year": m.last_year,
             "this_href": _invoices(month=str(Period(today.year, m.month))),
             "last_href": _invoices(month=str(Period(today.year - 1, m.month)))} for m in months]
    groups = [(str(MONTHS_AP[m.month]), [
        Bar(m.last_year, f"{MONTHS[m.month]} {today.year - 1} : {money(m.last_year)}", row["last_href"], "last"),
        Bar(m.this_year, f"{MONTHS[m.month]} {today.year} : {money(m.this_year)}", row["this_href"], "this"),
    ]) for m, row in zip(months, rows, strict=True)]
    this_total, last_total = sum(m.this_year for m in months), sum(m.last_year for m in months)
    chart = bar_chart(
        chart_id="billed", groups=groups, width=1280,
        title=_("Billed per month before VAT, %(year)s and %(last)s") % {"year": today.year, "last": today.year - 1},
        desc=_("Invoices less credit notes, by issue date: %(this)s in %(year)s, %(prior)s in %(last)s.")
        % {"this": money(this_total), "year": today.year, "prior": money(last_total), "last": today.year - 1})
    return {"rows": rows, "chart": chart, "this_total": this_total, "last_total": last_total}


def _aged(today: date) -> dict:
    due = selectors.amounts_due_by_age(today)
    href = reverse("payments:aged_balance") + "?" + urlencode({"on": today.isoformat()})
    rows = [{"label": _(BUCKET_LABELS[bucket]), "amount": due[bucket], "bucket": bucket} for bucket in BUCKETS]
    axis = {"not_due": _("Not due"), **AXIS_LABELS}  # the days past due, short enough for the axis
    chart = bar_chart(
        chart_id="aged", groups=[(axis[row["bucket"]], [Bar(row["amount"], f"{row['label']} : {money(row['amount'])}",
                                                      href, f"age-{row['bucket']}")]) for row in rows],
        title=_("Amounts due by age on %(day)s") % {"day": today.strftime("%d/%m/%Y")},
        desc=_("Incl. VAT, less credit notes and payments: %(total)s due in all, %(late)s of it past its due date.")
        % {"total": money(due["total"]), "late": money(due["total"] - due["not_due"])})
    return {"rows": rows, "total": due["total"], "chart": chart, "href": href}


def home(request: HttpRequest) -> HttpResponse:
    """Every role sees the billing figures; what clients owe needs a role of the aged balance page."""
    if not has_role(request.user, SEE_INVOICES) or not has_role(request.user, SEE_PRE_BILLING):
        return render(request, "web/home.html")
    today = parse_date(request.GET.get("on", "") or "") or date.today()
    period = Period.of(today)
    drafts = selectors.unbilled()
    progress = selectors.month_progress(period, drafts)
    month = str(period)
    return render(request, "dashboard/home.html", {
        "today": today, "period": period, "billed": _billed(today), "drafts": drafts, "progress": progress,
        "aged": _aged(today) if has_role(request.user, SEE_AGED_BALANCE) else None,
        "links": {"month": reverse("billing:pre_billing", kwargs={"period": month}),
                  "validated": _invoices(period=month)},
        "transmissions": [{"state": state.value, "label": state.label, "count": count,
                           "href": _invoices(period=month, transmission=state.value)}
                          for state, count in progress.transmissions.items()],
        "section": "dashboard",
    })
