"""Sending invoices by e-mail from the pages: one from its page, a selection from the invoices list, the job's
progress and summary, and trying failed e-mails again."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from prebill.accounts.roles import SEND_INVOICES, role_required
from prebill.invoicing.models import Invoice
from prebill.invoicing.selectors import selected_invoices
from prebill.invoicing.views import bulk_job_page
from prebill.jobs.models import Job

from . import services
from .models import InvoiceEmail


def _say_how_it_went(request, email: InvoiceEmail) -> None:
    """Sent, failed with the server's answer, or waiting for a worker."""
    values = {"number": email.invoice.number, "to": ", ".join(email.recipient_list), "why": email.last_error}
    if email.state == InvoiceEmail.State.SENT:
        messages.success(request, _("Invoice %(number)s sent to %(to)s.") % values)
    elif email.state == InvoiceEmail.State.FAILED:
        messages.error(request, _("Invoice %(number)s could not be sent: %(why)s") % values)
    else:
        messages.info(request, _("Invoice %(number)s is being sent to %(to)s.") % values)


@role_required(SEND_INVOICES)
@require_POST
def send_invoice(request, pk: int):
    """E-mail one invoice, to the addresses typed (its client's billing e-mail by default)."""
    invoice = get_object_or_404(Invoice, pk=pk)
    job = services.start_sending(invoice_ids=[invoice.pk], to=request.POST.get("to", ""), user=request.user)
    _say_how_it_went(request, InvoiceEmail.objects.get(pk=job.params["emails"][0]))
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
    sent, refused = (job.result or {}).get("sent", []), (job.result or {}).get("refused", [])
    return bulk_job_page(
        request, job, title=_("Sending invoices by e-mail"), done=sent, done_label=_("Invoices sent"),
        detail_label=_("Recipients"),
        done_heading=ngettext("%(n)s invoice sent", "%(n)s invoices sent", len(sent)) % {"n": len(sent)},
        retry_url=request.path + "retry/" if any("email" in row for row in refused) else "")


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
    _say_how_it_went(request, email)
    return redirect("invoicing:detail", pk=email.invoice_id)
