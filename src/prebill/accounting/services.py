"""Posting invoices to the sales journal, and the FEC export of what was posted."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from prebill.accounts.roles import acting_user
from prebill.audit.services import record
from prebill.core.grouping import is_disbursement
from prebill.core.journal import (
    DISBURSEMENT_ACCOUNT,
    FEC_COLUMNS,
    EntryLine,
    check_balanced,
    fec_amount,
    fec_date,
    fec_filename,
    fec_text,
    invoice_entry,
)
from prebill.core.lifecycle import InvoiceState, TransitionRefused, check_transition, posted_state
from prebill.core.receipts import entry_in_euros, vat_move_entry, vat_to_move
from prebill.core.refusals import Refusal
from prebill.invoicing.models import Invoice
from prebill.jobs.models import Job
from prebill.jobs.services import handler, key_of, start_job
from prebill.locks import journal_lock
from prebill.organisation.models import Organisation
from prebill.payments.models import Allocation, Payment
from prebill.payments.services import amounts_due

from .models import (
    BANK_ACCOUNT,
    BANK_JOURNAL,
    JOURNAL_LABELS,
    PENDING_VAT_ACCOUNT,
    VAT_JOURNAL,
    ExchangeRate,
    JournalCounter,
    JournalEntry,
    JournalLine,
)


class PostingRefused(Refusal):
    """An entry cannot be written; the message says why."""


def _next_entry_number(journal: str) -> int:
    """The journal's next number, from its counter row held until the end of the transaction: continuous, never
    a max() + 1. The first entry of a journal creates its row (two at once: one creates it, the other waits for it
    and takes the next number), so entries written under an invoice's lock (a payment's VAT) need no named lock."""
    counter = JournalCounter.objects.select_for_update().filter(journal=journal).first()
    if counter is None:
        try:
            with transaction.atomic():
                JournalCounter.objects.create(journal=journal)
        except IntegrityError:
            pass  # another posting created it first
        counter = JournalCounter.objects.select_for_update().get(journal=journal)
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
    revenue, vat, disbursements = defaultdict(Decimal), defaultdict(Decimal), Decimal(0)
    for line in invoice.lines.all():
        if is_disbursement(line.kind):  # débours: the transit account, not revenue
            disbursements += line.amount
        else:
            revenue[line.revenue_account] += line.amount
    for row in invoice.vat_lines.all():
        vat[row.rate] += row.vat  # débours' group: 0 VAT, nothing posted nor pending
    # VAT on receipts (the default for services): the VAT waits in the pending account until the invoice is paid;
    # on debits (the firm's option, frozen on the invoice) it is due at once.
    on_receipts = not invoice.seller_vat_on_debits
    lines = invoice_entry(
        credit_note=invoice.kind == Invoice.Kind.CREDIT_NOTE, customer_account=org.customer_account,
        vat_account=PENDING_VAT_ACCOUNT if on_receipts else org.vat_account,
        vat_label="TVA collectée en attente" if on_receipts else "TVA collectée",
        client_code=invoice.buyer_code, client_name=invoice.buyer_name,
        total_including_vat=invoice.total_including_vat, revenue_by_account=revenue, vat_by_rate=dict(vat),
        disbursements=disbursements,
        disbursement_account=getattr(settings, "PREBILL_DISBURSEMENT_ACCOUNT", DISBURSEMENT_ACCOUNT),
    )
    entry = _write_entry(
        journal=org.sales_journal, day=invoice.issue_date, label=f"{invoice.number} {invoice.buyer_name}",
        lines=entry_in_euros(lines, _rate_of(invoice)), user=user, invoice=invoice, piece_ref=invoice.number,
        piece_date=invoice.issue_date, currency=invoice.currency)
    if on_receipts and invoice.kind == Invoice.Kind.INVOICE:
        # Money allocated before the posting (a deposit set aside for the draft): its VAT moves now.
        for allocation in (Allocation.objects.filter(invoice=invoice, journal_entry__isnull=True)
                           .select_related("payment").order_by("pk")):
            _move_vat(allocation=allocation, invoice=invoice, user=user)
    state = posted_state(paid=invoice.allocations.exists(), due=amounts_due([invoice.pk])[invoice.pk])
    Invoice.objects.filter(pk=invoice.pk).update(state=state)
    record(user=user, action="post", obj=invoice, before={"state": invoice.state}, after={"state": state.value,
                                                                                           "entry": str(entry)})
    return entry


def _rate_of(invoice: Invoice) -> Decimal | None:
    """The invoice's exchange rate (euros per unit), None in euros; an invoice in a foreign currency of before
    the rates were stored cannot be posted in euros."""
    if invoice.currency == "EUR":
        return None
    if invoice.exchange_rate is None:
        raise PostingRefused(gettext("%(number)s is in %(currency)s without an exchange rate: it cannot be posted in "
                                     "euros.") % {"number": invoice.number, "currency": invoice.currency})
    return invoice.exchange_rate


def _write_entry(*, journal: str, day: date, label: str, lines: list[tuple[EntryLine, Decimal | None]], user,
                 piece_ref: str, piece_date: date, currency: str, **link) -> JournalEntry:
    """Number and write one balanced entry (`link`: its invoice, payment or allocation)."""
    check_balanced(line for line, _ in lines)
    entry = JournalEntry.objects.create(
        journal=journal, number=_next_entry_number(journal), date=day, label=label[:250], posted_at=timezone.now(),
        posted_by=acting_user(user), piece_ref=piece_ref[:100], piece_date=piece_date,
        currency="" if currency == "EUR" else currency, **link)
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=line.account, account_label=line.label, aux_code=line.aux_code,
                    aux_label=line.aux_label, debit=line.debit, credit=line.credit, vat_rate=line.rate,
                    currency_amount=None if currency == "EUR" else foreign) for line, foreign in lines)
    return entry


def _pending_vat(invoice: Invoice) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    """What of the invoice's VAT still waits in the pending account, per rate: in euros and in its currency
    (its sales entry, less its credit notes' and the VAT moved by its payments, as posted)."""
    euros, foreign = defaultdict(Decimal), defaultdict(Decimal)
    for line in JournalLine.objects.filter(
            Q(entry__invoice=invoice) | Q(entry__invoice__credited_invoice=invoice)
            | Q(entry__allocation__invoice=invoice) | Q(entry__reverses__allocation__invoice=invoice),
            account=PENDING_VAT_ACCOUNT, vat_rate__isnull=False):
        sign = 1 if line.credit else -1
        euros[line.vat_rate] += sign * (line.credit or line.debit)
        foreign[line.vat_rate] += sign * (line.currency_amount if line.currency_amount is not None
                                          else line.credit or line.debit)
    return dict(euros), dict(foreign)


def _move_vat(*, allocation: Allocation, invoice: Invoice, user=None) -> JournalEntry | None:
    """VAT on receipts: the VAT of the part `allocation` pays moves from pending to collected, per rate, pro rata
    of what is still pending and still due (prebill.core.receipts); nothing to move writes nothing."""
    org = Organisation.objects.first()
    unmoved = sum((a.amount for a in Allocation.objects.filter(invoice=invoice, journal_entry__isnull=True)
                   .exclude(pk=allocation.pk)), Decimal(0))
    # What was due before this allocation (and those not yet moved after it: moved in their order at posting).
    due = amounts_due([invoice.pk])[invoice.pk] + unmoved + allocation.amount
    euros, foreign = _pending_vat(invoice)
    moved_euros = vat_to_move(euros, allocation.amount, due)
    if not moved_euros:
        return None
    rate = _rate_of(invoice)
    moved = vat_to_move(foreign, allocation.amount, due) if rate is not None else moved_euros
    lines = vat_move_entry(moved=moved, pending_account=PENDING_VAT_ACCOUNT, collected_account=org.vat_account,
                           moved_in_euros=moved_euros if rate is not None else None)
    payment = allocation.payment
    return _write_entry(
        journal=VAT_JOURNAL, day=max(payment.date, invoice.issue_date),
        label=f"TVA encaissée {invoice.number} {invoice.buyer_name}", lines=lines, user=user,
        allocation=allocation, piece_ref=invoice.number, piece_date=payment.date, currency=invoice.currency)


@transaction.atomic
def vat_of_allocation(*, allocation: Allocation, user=None) -> JournalEntry | None:
    """Money allocated to an invoice (payments.signals.invoice_settled): on receipts, the VAT of the part paid
    becomes due. An invoice not posted yet has its VAT moved when it is posted; on debits nothing moves."""
    invoice = allocation.invoice
    if invoice.seller_vat_on_debits or not JournalEntry.objects.filter(invoice=invoice).exists():
        return None
    if JournalEntry.objects.filter(allocation=allocation).exists():
        return None
    return _move_vat(allocation=allocation, invoice=invoice, user=user)


def _payment_rate(payment: Payment) -> tuple[str, Decimal | None]:
    """The currency of a client's money (that of its last invoice, euros without one) and the rate of the day."""
    currency = (Invoice.objects.filter(client_id=payment.client_id).order_by("-pk")
                .values_list("currency", flat=True).first()) or "EUR"
    if currency == "EUR":
        return currency, None
    rate = rate_on(currency, payment.date)
    if rate is None:
        raise PostingRefused(gettext(
            "No exchange rate of %(currency)s on or before %(date)s: enter the rate of that day (euros for 1 "
            "%(currency)s) in the exchange rates, then record the payment again.")
            % {"currency": currency, "date": payment.date.strftime("%d/%m/%Y")})
    return currency, rate


@transaction.atomic
def post_payment(*, payment: Payment, user=None) -> JournalEntry:
    """The bank entry of money received (a payment, a deposit): bank debited, the client credited."""
    org = Organisation.objects.first()
    client = payment.client
    currency, rate = _payment_rate(payment)
    lines = [EntryLine(org.customer_account, "Clients", Decimal("0.00"), payment.amount, client.code, client.name),
             EntryLine(BANK_ACCOUNT, "Banque", payment.amount, Decimal("0.00"))]
    return _write_entry(
        journal=BANK_JOURNAL, day=payment.date, label=f"Règlement {client.code} {payment.reference}".strip(),
        lines=entry_in_euros(lines, rate), user=user, payment=payment,
        piece_ref=payment.reference or f"REG-{payment.pk}", piece_date=payment.date, currency=currency)


def _reverse(entry: JournalEntry, *, label: str, user=None) -> JournalEntry:
    """The counter-entry of `entry` (which never changes): the same accounts, rates and amounts (in euros and in
    currency), debit and credit swapped, in the same journal, dated the day of the undoing (never before the entry
    it reverses: a payment recorded with a later date)."""
    lines = [(EntryLine(line.account, line.account_label, line.credit, line.debit, line.aux_code, line.aux_label,
                        line.vat_rate), line.currency_amount) for line in entry.lines.all()]
    return _write_entry(journal=entry.journal, day=max(timezone.localdate(), entry.date), label=label, lines=lines,
                        user=user, piece_ref=entry.piece_ref, piece_date=entry.piece_date or entry.date,
                        currency=entry.currency or "EUR", reverses=entry)


@transaction.atomic
def reverse_vat_of_allocation(*, allocation: Allocation, user=None) -> JournalEntry | None:
    """An allocation removed (payments.signals.allocation_removed): the VAT its payment had moved from pending to
    collected goes back to pending, per rate ("Annulation TVA encaissée"). No VAT moved (on debits, not posted
    yet): nothing to write."""
    entry = JournalEntry.objects.filter(allocation_id=allocation.pk, reversal__isnull=True).first()
    if entry is None:
        return None
    invoice = allocation.invoice
    return _reverse(entry, label=f"Annulation TVA encaissée {invoice.number} {invoice.buyer_name}", user=user)


@transaction.atomic
def reverse_payment(*, payment: Payment, user=None) -> JournalEntry | None:
    """A payment cancelled (payments.signals.payment_cancelled): the counter-entry of its bank entry, the client
    debited again and the bank credited."""
    entry = JournalEntry.objects.filter(payment_id=payment.pk, reversal__isnull=True).first()
    if entry is None:
        return None
    return _reverse(entry, label=f"Annulation règlement {payment.client.code} {payment.reference}".strip(),
                    user=user)


def rate_on(currency: str, day: date) -> Decimal | None:
    """The firm's latest rate of `currency` on or before `day` (euros for one unit), None without one."""
    return (ExchangeRate.objects.filter(currency=currency.upper(), day__lte=day).order_by("-day")
            .values_list("rate", flat=True).first())


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
                except (TransitionRefused, PostingRefused) as refusal:
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
    journal_label = {org.sales_journal: "Ventes", **JOURNAL_LABELS}
    for line in (JournalLine.objects.filter(entry__date__range=(opening_date, closing_date))
                 .select_related("entry__invoice").order_by("entry__posted_at", "entry__number", "id")):
        entry, invoice = line.entry, line.entry.invoice
        # Euros in Debit and Credit; an entry in another currency gives each line's amount in it (Montantdevise,
        # Idevise). Entries of before the piece columns take their invoice's.
        piece_ref = entry.piece_ref or (invoice.number if invoice else "-")
        piece_date = entry.piece_date or (invoice.issue_date if invoice else entry.date)
        foreign = entry.currency and line.currency_amount is not None
        writer.writerow([
            entry.journal, journal_label.get(entry.journal, entry.journal), f"{entry.journal}{entry.number:06d}",
            fec_date(entry.date), line.account, fec_text(line.account_label), line.aux_code, fec_text(line.aux_label),
            fec_text(piece_ref), fec_date(piece_date), fec_text(entry.label), fec_amount(line.debit),
            fec_amount(line.credit), "", "", fec_date(entry.posted_at.date()),
            fec_amount(line.currency_amount) if foreign else "", entry.currency if foreign else "",
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
                         line.account_label, line.aux_code,
                         entry.piece_ref or (entry.invoice.number if entry.invoice else ""), fec_amount(line.debit),
                         fec_amount(line.credit)])
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class VatMonth:
    """One month and rate of the VAT, as posted: what was invoiced (net of credit notes), what is due on debits
    (at invoicing), what became due on receipts (moved by the payments), and what still waits at the month's end."""

    month: date
    rate: Decimal
    invoiced: Decimal
    due_on_debits: Decimal
    collected_on_receipts: Decimal
    pending: Decimal

    @property
    def due(self) -> Decimal:
        """The VAT of the month's return at this rate (collected VAT, line 08 to 9B of the CA3)."""
        return self.due_on_debits + self.collected_on_receipts


def vat_summary(*, opening_date: date, closing_date: date) -> list[VatMonth]:
    """The VAT per month and rate from the journal (one aggregate query), for the accountant to tie to the VAT
    return: the pending balance at each month's end counts everything posted before it."""
    org = Organisation.objects.get()
    rows = (JournalLine.objects.filter(entry__date__lte=closing_date, vat_rate__isnull=False,
                                       account__in=[org.vat_account, PENDING_VAT_ACCOUNT])
            .annotate(month=TruncMonth("entry__date")).values("month", "vat_rate", "account", "entry__journal")
            .annotate(debit=Sum("debit"), credit=Sum("credit")).order_by("month"))
    zero = Decimal("0.00")
    months: dict[tuple[date, Decimal], dict[str, Decimal]] = {}
    pending: dict[Decimal, Decimal] = defaultdict(lambda: zero)
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        amount, rate = row["credit"] - row["debit"], row["vat_rate"]
        values = months.setdefault((month, rate), defaultdict(lambda: zero))
        sale = row["entry__journal"] == org.sales_journal
        if sale:
            values["invoiced"] += amount
        if row["account"] == PENDING_VAT_ACCOUNT:
            values["pending_change"] += amount
        elif sale:
            values["due_on_debits"] += amount
        else:
            values["collected_on_receipts"] += amount
    result = []
    first_month = opening_date.replace(day=1)
    for (month, rate), values in sorted(months.items()):
        pending[rate] += values["pending_change"]
        if month < first_month:
            continue
        result.append(VatMonth(month=month, rate=rate, invoiced=values["invoiced"],
                               due_on_debits=values["due_on_debits"],
                               collected_on_receipts=values["collected_on_receipts"], pending=pending[rate]))
    return result
