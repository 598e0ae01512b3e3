from datetime import date

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from prebill.accounts.roles import POST_INVOICES, role_required
from prebill.invoicing.selectors import selected_invoices
from prebill.invoicing.views import bulk_job_page
from prebill.jobs.models import Job

from . import services


def _year(request) -> int:
    try:
        return int(request.GET.get("year", date.today().year))
    except ValueError:
        return date.today().year


@role_required(POST_INVOICES)
def fec(request):
    """The FEC of a fiscal year (January to December), as the tax authority asks for it."""
    year = _year(request)
    name, content = services.fec_file(opening_date=date(year, 1, 1), closing_date=date(year, 12, 31))
    response = HttpResponse(content, content_type="text/plain; charset=iso-8859-15")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required(POST_INVOICES)
def journal(request):
    year = _year(request)
    response = HttpResponse(services.journal_csv(opening_date=date(year, 1, 1), closing_date=date(year, 12, 31)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-{year}.csv"'
    return response


@role_required(POST_INVOICES)
@require_POST
def post_invoice(request, pk: int):
    services.post_invoice(invoice_id=pk, user=request.user)
    return redirect("invoicing:detail", pk=pk)


@role_required(POST_INVOICES)
@require_POST
def post_selection(request):
    """Post the invoices ticked on the invoices list, or all that its filters show, as one job."""
    job = services.start_posting(invoice_ids=selected_invoices(request.POST), user=request.user)
    return redirect("accounting:postings", pk=job.pk)


@role_required(POST_INVOICES)
def postings(request, pk: int):
    """A bulk posting's progress, then its summary: the entries written and each refusal with why."""
    job = get_object_or_404(Job, pk=pk, kind="post_invoices")
    posted = [{"number": row["number"], "detail": row["entry"]} for row in (job.result or {}).get("posted", [])]
    return bulk_job_page(request, job, title=_("Posting invoices"), done=posted, done_label=_("Entries written"),
                         detail_label=_("Entry"), done_heading=ngettext(
                             "%(n)s invoice posted", "%(n)s invoices posted", len(posted)) % {"n": len(posted)})


@role_required(POST_INVOICES)
def vat(request):
    """The VAT per month and rate of a year: invoiced, due on debits, collected on receipts, still pending."""
    year = _year(request)
    rows = services.vat_summary(opening_date=date(year, 1, 1), closing_date=date(year, 12, 31))
    return render(request, "accounting/vat_summary.html", {"rows": rows, "year": year, "section": "accounting"})
