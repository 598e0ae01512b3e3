"""Sending invoices and credit notes by e-mail, their issued PDF attached: one, or a selection as a job.

Each e-mail is a row of the send log, written before it goes (so a page shows it waiting) and given its
Message-ID then: an attempt that failed is tried again a few times after a pause (a server busy for a moment),
then left failed with the server's answer, for a user to try again; every attempt sends the same Message-ID, so
a receiver whose server did take a message we saw fail shows it once. A permanent refusal (a 5xx answer: an
unknown mailbox) is not tried again on its own.

Where the e-invoicing reform requires it, the legal channel is the platform (prebill.einvoicing): an e-mail is
the client's copy.
"""

from __future__ import annotations

import logging
import smtplib
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.db.models import F
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_noop

from prebill.accounts.roles import acting_user
from prebill.core.refusals import Refusal
from prebill.documents.issued import filename, issued
from prebill.invoicing.models import Invoice
from prebill.jobs.models import Job
from prebill.jobs.services import handler, key_of, start_job
from prebill.web.templatetags.prebill import money

from .models import InvoiceEmail

logger = logging.getLogger(__name__)
State = InvoiceEmail.State


class SendingRefused(Refusal, ValueError):
    """Nothing can be sent as asked; the message says why."""


def addresses(text: str) -> list[str]:
    """The e-mail addresses typed (separated by commas, semicolons or spaces), each checked."""
    found = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            raise SendingRefused(gettext_noop("%(address)s is not an e-mail address."), where="to",
                                 address=address) from None
    return found


def _subject(invoice: Invoice) -> str:
    what = gettext("Credit note") if invoice.kind == Invoice.Kind.CREDIT_NOTE else gettext("Invoice")
    return f"{what} {invoice.number} — {invoice.seller_name}"


def _body(invoice: Invoice) -> str:
    values = {"number": invoice.number, "date": formats.date_format(invoice.issue_date, "SHORT_DATE_FORMAT"),
              "total": money(invoice.total_including_vat, invoice.currency), "seller": invoice.seller_name,
              "due": formats.date_format(invoice.due_date, "SHORT_DATE_FORMAT")}
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        values["credited"] = invoice.credited_invoice.number if invoice.credited_invoice else ""
        text = gettext("Hello,\n\nPlease find attached our credit note %(number)s of %(date)s, for %(total)s incl. "
                       "VAT, on invoice %(credited)s.\n\nKind regards,\n%(seller)s\n")
    else:
        text = gettext("Hello,\n\nPlease find attached our invoice %(number)s of %(date)s, for %(total)s incl. "
                       "VAT, to be paid by %(due)s.\n\nKind regards,\n%(seller)s\n")
    return text % values


def queue_emails(*, invoice_ids: list[int], to: str = "", user=None) -> tuple[list[InvoiceEmail], list[dict]]:
    """A waiting e-mail per invoice, to the addresses `to` or else to its client's billing e-mail, and the
    invoices refused (no address) with why. Two queries, whatever the number of invoices."""
    typed = addresses(to) if to.strip() else []
    invoices = {invoice.pk: invoice for invoice in Invoice.objects.filter(pk__in=invoice_ids).select_related("client")}
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None
    emails, refused = [], []
    for pk in invoice_ids:
        invoice = invoices.get(pk)
        if invoice is None:
            refused.append({"invoice": pk, "reason": gettext("no such invoice")})
            continue
        try:
            recipients = typed or addresses(invoice.client.email)
        except SendingRefused as refusal:  # a billing e-mail written wrong: the others are still sent
            refused.append({"number": invoice.number, "reason": refusal.translated(gettext)})
            continue
        if not recipients:
            refused.append({"number": invoice.number, "reason": gettext(
                "client %(client)s has no billing e-mail: add one on its page") % {"client": invoice.client.code}})
            continue
        emails.append(InvoiceEmail(invoice=invoice, recipients=",".join(recipients), subject=_subject(invoice),
                                   message_id=make_msgid(domain=domain), requested_by=acting_user(user)))
    return InvoiceEmail.objects.bulk_create(emails), refused


def start_sending(*, invoice_ids: list[int], to: str = "", user=None, here: bool = False) -> Job:
    """E-mail `invoice_ids` as one job (a list of one from the invoice page). Refused when none can go."""
    emails, refused = queue_emails(invoice_ids=invoice_ids, to=to, user=user)
    if not emails:
        raise SendingRefused(refused[0]["reason"] if len(refused) == 1 else
                             gettext_noop("None of these invoices can be sent: their clients have no billing e-mail."))
    return _start([email.pk for email in emails], refused=refused, user=user, here=here)


def _start(email_ids: list[int], *, refused: list[dict], user, here: bool = False) -> Job:
    params = {"emails": email_ids, "refused": refused,
              "language": translation.get_language() or settings.LANGUAGE_CODE}
    return start_job(kind="send_invoices", key=key_of(email_ids), params=params, user=user, here=here)


def retry(*, email_ids: list[int], user=None) -> Job:
    """Try the failed e-mails among `email_ids` again (the same messages, the same Message-IDs)."""
    failed = list(InvoiceEmail.objects.filter(pk__in=email_ids, state=State.FAILED).values_list("pk", flat=True))
    if not failed:
        raise SendingRefused(gettext_noop("Nothing to try again: these e-mails were sent, or are being sent."))
    InvoiceEmail.objects.filter(pk__in=failed).update(state=State.WAITING)
    return _start(failed, refused=[], user=user)


@handler("send_invoices")
def _send_invoices(job: Job, progress) -> dict:
    """Send each waiting e-mail of the job through one SMTP connection; one that fails does not stop the others.
    Taken again after its worker stopped, the job does not send twice what it sent already."""
    ids = job.params["emails"]
    emails = {email.pk: email for email in InvoiceEmail.objects.filter(pk__in=ids)
              .select_related("invoice", "invoice__credited_invoice")}
    sent, refused = [], list(job.params.get("refused", []))
    progress(gettext_noop("sending the invoices"), done=0, total=len(ids))
    connection = get_connection()
    with translation.override(job.params.get("language", settings.LANGUAGE_CODE)):
        try:
            for done, pk in enumerate(ids, start=1):
                email = emails[pk]
                if email.state == State.WAITING:
                    deliver(email, connection)
                if email.state == State.SENT:
                    sent.append({"number": email.invoice.number, "detail": ", ".join(email.recipient_list)})
                else:
                    refused.append({"number": email.invoice.number, "email": pk, "reason": email.last_error})
                progress(done=done)
        finally:
            connection.close()
    return {"sent": sent, "refused": refused}


def _message(email: InvoiceEmail, connection) -> EmailMessage:
    invoice = email.invoice
    document = issued(invoice, "pdf")
    email.document_sha256 = document.sha256
    message = EmailMessage(subject=email.subject, body=_body(invoice), to=email.recipient_list,
                           connection=connection, headers={"Message-ID": email.message_id})
    message.attach(filename(invoice, "pdf"), document.content, "application/pdf")
    return message


def _permanent(error: Exception) -> bool:
    """A refusal the server will give again (5xx): an unknown mailbox, a message it will not take."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _error_text(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                         for address, (code, text) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}"


def deliver(email: InvoiceEmail, connection=None) -> InvoiceEmail:
    """Send one e-mail of the log, trying again after a pause while the server's refusal is a passing one; its
    row says how it went (sent, or failed with the server's last answer)."""
    connection = connection or get_connection()
    attempts = max(1, settings.PREBILL_EMAIL_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            _message(email, connection).send()
        except (smtplib.SMTPException, OSError) as error:
            connection.close()  # the next attempt, or the next e-mail, opens a new session
            email.last_error = _error_text(error)[:2000]
            logger.warning("e-mail %s of invoice %s not sent (attempt %s): %s", email.pk, email.invoice.number,
                           attempt, email.last_error)
            InvoiceEmail.objects.filter(pk=email.pk).update(attempts=F("attempts") + 1, last_error=email.last_error)
            if attempt == attempts or _permanent(error):
                email.state = State.FAILED
                break
            time.sleep(settings.PREBILL_EMAIL_RETRY.total_seconds() * attempt)
        else:
            email.state, email.sent_at, email.last_error = State.SENT, timezone.now(), ""
            InvoiceEmail.objects.filter(pk=email.pk).update(
                state=State.SENT, sent_at=email.sent_at, attempts=F("attempts") + 1, last_error="",
                document_sha256=email.document_sha256)
            return email
    InvoiceEmail.objects.filter(pk=email.pk).update(state=State.FAILED)
    return email


def emails_of(invoice: Invoice) -> list[InvoiceEmail]:
    """The invoice's send log, newest first."""
    return list(InvoiceEmail.objects.filter(invoice=invoice).select_related("requested_by"))
