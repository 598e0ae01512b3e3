"""Posting invoices to the sales journal, and the FEC export of what was posted."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from prebill.accounts.roles import acting_user
from prebill.audit.services import record
from prebill.core.journal import FEC_COLUMNS, fec_amount, fec_date, fec_filename, fec_text, invoice_entry
from prebill.core.lifecycle import InvoiceState, TransitionRefused, check_transition, posted_state
from prebill.invoicing.models import Invoice
from prebill.jobs.models import Job
from prebill.jobs.services import handler, key_of, start_job
from prebill.locks import journal_lock
from prebill.organisation.models import Organisation
from prebill.payments.services import amounts_due

from .models import JournalCounter, JournalEntry, JournalLine


def _next_entry_number(journal: str) -> int:
    """The journal's next number, from its counter row held until the end of the transaction: continuous, never
    a max() + 1 (the journal lock is held already: the first posting of a journal creates its row alone)."""
    counter = JournalCounter.objects.select_for_update().filter(journal=journal).first()
    if counter is None:
        counter = JournalCounter.objects.create(journal=journal)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def post_invoice(*, invoice_id: int, user=None) -> JournalEntry:
    """Write the balanced sales-journal entry of an invoice or credit note and mark it posted.

    Lock order (prebill.locks): the journal's named lock, the invoice, then the journal's counter row."""
    journal_lock()
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    check_transition(InvoiceState(invoice.state), InvoiceState.POSTED)
    org = Organisation.objects.first()
    revenue, vat = defaultdict(Decimal), {}
    for line in invoice.lines.all():
        revenue[line.revenue_account] += line.amount
    for row in invoice.vat_lines.all():
        vat[row.rate] = row.vat
    lines = invoice_entry(
        credit_note=invoice.kind == Invoice.Kind.CREDIT_NOTE, customer_account=org.customer_account,
        vat_account=org.vat_account, client_code=invoice.buyer_code, client_name=invoice.buyer_name,
        total_including_vat=invoice.total_including_vat, revenue_by_account=revenue, vat_by_rate=vat,
    )
    entry = JournalEntry.objects.create(
        journal=org.sales_journal, number=_next_entry_number(org.sales_journal), date=invoice.issue_date,
        invoice=invoice,
        label=f"{invoice.number} {invoice.buyer_name}"[:250], posted_at=timezone.now(),
        posted_by=acting_user(user))
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=line.account, account_label=line.label, aux_code=line.aux_code,
                    aux_label=line.aux_label, debit=line.debit, credit=line.credit) for line in lines)
    state = posted_state(paid=invoice.allocations.exists(), due=amounts_due([invoice.pk])[invoice.pk])
    Invoice.objects.filter(pk=invoice.pk).update(state=state)
    record(user=user, action="post", obj=invoice, before={"state": invoice.state}, after={"state": state.value,
                                                                                           "entry": str(entry)})
    return entry


def invoices_named(numbers: list[str]) -> tuple[list[int], list[str]]:
    """The ids of the invoices `numbers` names, in that order, and the numbers that name none."""
    found = dict(Invoice.objects.filter(number__in=numbers).values_list("number", "pk"))
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


def start_posting(*, invoice_ids: list[int], user=None, here: bool = False) -> Job:
    """Post `invoice_ids` (in this order) as one job; the same request twice while the first runs gives it."""
    params = {"invoices": [int(pk) for pk in invoice_ids],
              "language": translation.get_language() or settings.LANGUAGE_CODE}
    return start_job(kind="post_invoices", key=key_of(params["invoices"]), params=params, user=user, here=here)


@handler("post_invoices")
def _post_invoices(job: Job, progress) -> dict:
    """Each invoice in its own transaction; one refused does not stop the others. Taken again after its worker
    stopped, the job reports the entries it had written instead of refusing those invoices as posted already."""
    ids = job.params["invoices"]
    numbers = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "number"))
    earlier = {entry.invoice_id: str(entry) for entry in JournalEntry.objects.filter(
        invoice_id__in=ids, posted_at__gte=job.created_at)}
    posted, refused = [], []
    progress(gettext_noop("posting the invoices"), done=0, total=len(ids))
    with translation.override(job.params.get("language", settings.LANGUAGE_CODE)):
        for done, pk in enumerate(ids, start=1):
            if pk not in numbers:
                refused.append({"invoice": pk, "reason": gettext("no such invoice")})
            elif pk in earlier:
                posted.append({"number": numbers[pk], "entry": earlier[pk]})
            else:
                try:
                    entry = post_invoice(invoice_id=pk, user=job.created_by)
                except TransitionRefused as refusal:
                    refused.append({"number": numbers[pk], "reason": refusal.translated(gettext)})
                else:
                    posted.append({"number": numbers[pk], "entry": str(entry)})
            progress(done=done)
    return {"posted": posted, "refused": refused}


def fec_file(*, closing_date: date, opening_date: date) -> tuple[str, bytes]:
    """The FEC of a fiscal year: file name and content (ISO-8859-15, '|' separated, CRLF)."""
    org = Organisation.objects.get()
    out = io.StringIO()
    writer = csv.writer(out, delimiter="|", lineterminator="\r\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    writer.writerow(FEC_COLUMNS)
    journal_label = {"VE": "Ventes"}
    for line in (JournalLine.objects.filter(entry__date__range=(opening_date, closing_date))
                 .select_related("entry__invoice").order_by("entry__posted_at", "entry__number", "id")):
        entry, invoice = line.entry, line.entry.invoice
        writer.writerow([
            entry.journal, journal_label.get(entry.journal, entry.journal), f"{entry.journal}{entry.number:06d}",
            fec_date(entry.date), line.account, fec_text(line.account_label), line.aux_code, fec_text(line.aux_label),
            invoice.number, fec_date(invoice.issue_date), fec_text(entry.label), fec_amount(line.debit),
            fec_amount(line.credit), "", "", fec_date(entry.posted_at.date()),
            "" if invoice.currency == "EUR" else fec_amount(line.debit or line.credit),
            "" if invoice.currency == "EUR" else invoice.currency,
        ])
    return fec_filename(org.siren, closing_date), out.getvalue().encode("iso-8859-15", errors="replace")


def journal_csv(*, opening_date: date, closing_date: date) -> bytes:
    """The posted entries as a spreadsheet-friendly CSV (UTF-8, one row per entry line)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["journal", "entry", "date", "account", "label", "client", "document", "debit", "credit"])
    for line in (JournalLine.objects.filter(entry__date__range=(opening_date, closing_date))
                 .select_related("entry__invoice").order_by("entry__number", "id")):
        entry = line.entry
        writer.writerow([entry.journal, f"{entry.journal}{entry.number:06d}", entry.date.isoformat(), line.account,
                         line.account_label, line.aux_code, entry.invoice.number, fec_amount(line.debit),
                         fec_amount(line.credit)])
    return out.getvalue().encode("utf-8")
