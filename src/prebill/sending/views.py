"""Sending invoices by e-mail from the pages: one from its page, a selection from the invoices list, the job's
progress and summary, and trying failed e-mails again."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from prebill.accounts.roles import SEND_INVOICES, role_required
from prebill.invoicing.models import Invoice
from prebill.invoicing.selectors import selected_invoices
from prebill.jobs.models import Job

from . import services
from .models import InvoiceEmail


@role_required(SEND_INVOICES)
@require_POST
def send_invoice(request, pk: int):
    """E-mail one invoice, to the addresses typed (its client's billing e-mail by default)."""
    invoice = get_object_or_404(Invoice, pk=pk)
    job = services.start_sending(invoice_ids=[invoice.pk], to=request.POST.get("to", ""), user=request.user)
    email = InvoiceEmail.objects.filter(pk__in=job.params["emails"]).first()
    if email.state == InvoiceEmail.State.SENT:
        messages.success(request, _("Invoice %(number)s sent to %(to)s.") % {"number": invoice.number,
                                                                             "to": ", ".join(email.recipient_list)})
    elif email.state == InvoiceEmail.State.FAILED:
        messages.error(request, _("Invoice %(number)s could not be sent: %(why)s") % {"number": invoice.number,
                                                                                    "why": email.last_error})
    else:
        messages.info(request, _("Invoice %(number)s is being sent to %(to)s.") % {
            "number": invoice.number, "to": ", ".join(email.recipient_list)})
    return redirect("invoicing:detail", pk=invoice.pk)


@role_required(SEND_INVOICES)
@require_POST
def send_selection(request):
    """E-mail the invoices ticked on the invoices list, or all that its filters show, as one job."""
    job = services.start_sending(invoice_ids=selected_invoices(request.POST), user=request.user)
    return redirect("sending:sendings", pk=job.pk)


@role_required(SEND_INVOICES)
def sendings(request, pk: int):
    """A bulk sending's progress, then its summary: to whom each invoice went, and each one refused with why."""
    job = get_object_or_404(Job, pk=pk, kind="send_invoices")
    result = job.result or {}
    sent, refused = result.get("sent", []), result.get("refused", [])
    template = "invoicing/_bulk_job.html" if request.htmx else "invoicing/bulk_job.html"
    return render(request, template, {
        "job": job, "title": _("Sending invoices by e-mail"), "step": _(job.step) if job.step else "",
        "done": sent, "refused": refused, "done_label": _("Invoices sent"), "detail_label": _("Recipients"),
        "retry_url": request.path + "retry/" if any("email" in row for row in refused) else "",
        "done_heading": ngettext("%(n)s invoice sent", "%(n)s invoices sent", len(sent)) % {"n": len(sent)},
        "section": "invoices"})


@role_required(SEND_INVOICES)
@require_POST
def retry_sendings(request, pk: int):
    """Try the e-mails of a bulk sending that failed again."""
    job = get_object_or_404(Job, pk=pk, kind="send_invoices")
    return redirect("sending:sendings", pk=services.retry(email_ids=job.params["emails"], user=request.user).pk)


@role_required(SEND_INVOICES)
@require_POST
def retry_email(request, pk: int):
    """Try one failed e-mail of an invoice's send log again."""
    email = get_object_or_404(InvoiceEmail, pk=pk)
    services.retry(email_ids=[email.pk], user=request.user)
    email.refresh_from_db()
    if email.state == InvoiceEmail.State.SENT:
        messages.success(request, _("Sent to %(to)s.") % {"to": ", ".join(email.recipient_list)})
    elif email.state == InvoiceEmail.State.FAILED:
        messages.error(request, _("Still not sent: %(why)s") % {"why": email.last_error})
    return redirect("invoicing:detail", pk=email.invoice_id)
