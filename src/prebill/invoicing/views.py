"""Invoice pages: validate a pre-invoice, read an invoice, credit it.

The invoice page's payments part (amount due, payment and deposit forms, payments received) is
prebill.payments' (its template tags and views); its "post" button is prebill.accounting's view."""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import SEE_INVOICES, VALIDATE_INVOICES, role_required
from prebill.audit.models import AuditEvent
from prebill.billing import selectors as billing_selectors
from prebill.billing.models import PreInvoice
from prebill.core.periods import Period, PeriodError
from prebill.jobs.models import Job
from prebill.web.forms import parse_amount, parse_date
from prebill.web.refusals import after_refusal

from . import selectors, services
from .models import Invoice, InvoiceLineItem
from .validations import start_validations


@role_required(SEE_INVOICES)
def invoice_list(request):
    filters = selectors.InvoiceFilters.from_query(request.GET)
    invoices = selectors.invoices_listed(filters)
    page = Paginator(invoices.select_related("transmission"), 50).get_page(request.GET.get("page", 1))
    for invoice in page:
        invoice.shown_state = selectors.shown_state(invoice)
        invoice.shown_state_label = _(selectors.SHOWN_STATES[invoice.shown_state])
    totals = invoices.aggregate(count=Count("pk"), total=Sum("total_including_vat"))
    return render(request, "invoicing/list.html", {
        "page": page, "filters": filters, "carried": filters.as_query(), "states": selectors.SHOWN_STATES,
        "count": totals["count"], "total": totals["total"], "section": "invoices"})


@role_required(SEE_INVOICES)
def invoice_detail(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("credited_invoice"), pk=pk)
    return render(request, "invoicing/detail.html", {
        "invoice": invoice,
        "lines": invoice.lines.all(), "vat_lines": invoice.vat_lines.all(),
        "credit_notes": invoice.credit_notes.all(),
        "history": AuditEvent.objects.filter(object_type="invoicing.invoice", object_id=str(invoice.pk))
        .select_related("user"),
        "shares": InvoiceLineItem.objects.filter(line__invoice=invoice).select_related("line", "item")
        .order_by("line__position", "item_id") if invoice.kind == Invoice.Kind.INVOICE else [],
        "today": date.today(), "section": "invoices",
    })


@role_required(SEE_INVOICES)
def by_number(request, number: str):
    return redirect("invoicing:detail", pk=get_object_or_404(Invoice, number=number).pk)


def _validation_refused(request, pre_invoice_id: int) -> str:
    """Back to the draft, brought up to date, or to the month's page when a run replaced it."""
    if PreInvoice.objects.filter(pk=pre_invoice_id).exists():
        return reverse("billing:pre_invoice", kwargs={"pk": pre_invoice_id})
    return reverse("billing:pre_billing_current")


@after_refusal(_validation_refused)
@role_required(VALIDATE_INVOICES)
@require_POST
def validate(request, pre_invoice_id: int):
    version = request.POST.get("version", "")
    typed = request.POST.get("issue_date", "")
    issue_date = parse_date(typed) if typed else services.proposed_issue_date(pre_invoice_id)
    if issue_date is None:
        messages.error(request, _("The invoice date %(typed)s is not a date (DD/MM/YYYY).") % {"typed": typed})
        return redirect(_validation_refused(request, pre_invoice_id=pre_invoice_id))
    invoice = services.validate_pre_invoice(pre_invoice_id=pre_invoice_id, user=request.user, issue_date=issue_date,
                                            expected_version=int(version) if version.isdigit() else None)
    messages.success(request, _("Invoice %(number)s validated.") % {"number": invoice.number})
    return redirect("invoicing:detail", pk=invoice.pk)


@after_refusal(lambda request, period: reverse("billing:pre_billing", kwargs={"period": period}))
@role_required(VALIDATE_INVOICES)
@require_POST
def validate_selection(request, period: str):
    """Validate the pre-invoices ticked on the month page, or all that its filters show, as one job."""
    back = reverse("billing:pre_billing", kwargs={"period": period})
    try:
        month = Period.parse(period)
    except PeriodError:
        raise Http404(period) from None
    typed = request.POST.get("issue_date", "")
    issue_date = parse_date(typed) if typed else None
    if typed and issue_date is None:
        messages.error(request, _("The invoice date %(typed)s is not a date (DD/MM/YYYY).") % {"typed": typed})
        return redirect(back)
    drafts = billing_selectors.selected_drafts(month, request.POST)
    if not drafts:
        messages.error(request, _("Tick the pre-invoices to validate, or choose all that the filters show."))
        return redirect(back)
    job = start_validations(drafts=drafts, issue_date=issue_date, user=request.user)
    return redirect("invoicing:validations", pk=job.pk)


@role_required(VALIDATE_INVOICES)
def validations(request, pk: int):
    """A bulk validation's progress, then its summary: the invoices made and each refusal with why."""
    job = get_object_or_404(Job, pk=pk, kind="validate_drafts")
    result = job.result or {}
    context = {"job": job, "validated": result.get("validated", []), "refused": result.get("refused", []),
               "step": _(job.step) if job.step else "", "section": "billing"}
    template = "invoicing/_validations.html" if request.htmx else "invoicing/validations.html"
    return render(request, template, context)


def bulk_job_page(request, job: Job, *, title: str, done: list[dict], done_label: str, detail_label: str,
                  done_heading: str, retry_url: str = ""):
    """The page of a bulk action on invoices (prebill.accounting's posting, prebill.sending's e-mails): its progress,
    then what was done ({number, detail} rows) and each refusal with why; the htmx poll gets the part alone."""
    template = "invoicing/_bulk_job.html" if request.htmx else "invoicing/bulk_job.html"
    return render(request, template, {
        "job": job, "title": title, "step": _(job.step) if job.step else "", "done": done,
        "refused": (job.result or {}).get("refused", []), "done_label": done_label, "detail_label": detail_label,
        "done_heading": done_heading, "retry_url": retry_url, "section": "invoices"})


@role_required(VALIDATE_INVOICES)
@require_POST
def credit(request, pk: int):
    """Credit in full, or the quantities typed per billable item (fields item-<id>)."""
    quantities = {}
    for name, value in request.POST.items():
        if name.startswith("item-") and value.strip():
            quantity = parse_amount(value)
            if quantity is None or not name[5:].isdigit():
                messages.error(request, _("Quantities to credit are numbers."))
                return redirect("invoicing:detail", pk=pk)
            if quantity:
                quantities[int(name[5:])] = quantity
    note = services.issue_credit_note(invoice_id=pk, quantities=quantities or None,
                                      rebill=request.POST.get("rebill") == "1", user=request.user,
                                      issue_date=date.today())
    return redirect("invoicing:detail", pk=note.pk)
