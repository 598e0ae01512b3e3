"""Validation of pre-invoices into numbered invoices, and credit notes by item and quantity."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from prebill.accounts.roles import acting_user
from prebill.audit.services import record
from prebill.billing.context import PortfolioContext
from prebill.billing.drafts import (
    describe_difference,
    drafts_now,
    in_user_order,
    rebuild_drafts,
    refresh_drafts,
)
from prebill.billing.models import BillableItem, PreInvoice, RemovedDraft
from prebill.billing.selectors import removed_draft
from prebill.bulk import update_rows
from prebill.catalogue.models import Article
from prebill.core.grouping import PaymentTerms, draft_digest, is_disbursement
from prebill.core.ledger import (
    CreditRefused,
    check_credit,
    owed_quantity,
    remainder,
    to_bill_now,
    written_off_by_credit,
)
from prebill.core.legal import (
    FirmWording,
    LegalRefusal,
    check_buyer_identified,
    check_cibs_wording,
    check_payment_terms,
    check_periodic_payment_terms,
    exemption_wording,
    is_periodic,
)
from prebill.core.money import round_money, split_in_proportion
from prebill.core.numbering import (
    NumberingError,
    check_chronology,
    due_date,
    format_number,
    issue_date_for,
    sequence_year,
)
from prebill.core.periods import Period
from prebill.core.receipts import vat_in_euros
from prebill.core.refusals import Refusal
from prebill.core.vat import VatRegime, breakdown_category, totals, vat_breakdown
from prebill.locks import drafts_lock, retrying
from prebill.organisation.models import InvoiceSeries, Organisation
from prebill.organisation.selectors import firm_wordings

from . import signals
from .models import Invoice, InvoiceLine, InvoiceLineItem, InvoiceVat, SeriesCounter
from .snapshot import BUYER_FIELDS, SELLER_FIELDS, buyer_snapshot, seller_snapshot, transaction_category


class ValidationRefused(Refusal):
    """A pre-invoice cannot become an invoice; the message says why."""


def _series(kind: str) -> InvoiceSeries:
    """The document's own series (credit notes may have theirs), else the series shared by both kinds."""
    own = InvoiceSeries.Kind.CREDIT_NOTE if kind == Invoice.Kind.CREDIT_NOTE else InvoiceSeries.Kind.INVOICE
    for wanted in (own, InvoiceSeries.Kind.BOTH):
        series = InvoiceSeries.objects.filter(kind=wanted).order_by("-is_default", "code").first()
        if series is not None:
            return series
    raise ValidationRefused(gettext("No invoice series is configured for this kind of document."))


def _next_number(series: InvoiceSeries, issue_date: date) -> tuple[int, int, str]:
    """Take the next number of the series inside the caller's transaction (the counter row stays locked)."""
    year = sequence_year(series.prefix, issue_date)
    try:
        with transaction.atomic():
            SeriesCounter.objects.get_or_create(series=series, year=year)
    except IntegrityError:
        pass  # another validation created it first
    counter = SeriesCounter.objects.select_for_update().get(series=series, year=year)
    try:
        check_chronology(counter.last_issue_date, issue_date, today=timezone.localdate())
    except NumberingError as error:
        raise ValidationRefused(error.message, where=error.where, **error.params) from None
    counter.last_number += 1
    counter.last_issue_date = issue_date
    counter.save(update_fields=["last_number", "last_issue_date"])
    return counter.last_number, year, format_number(series.prefix, series.digits, issue_date, counter.last_number)


def _exchange_rate(currency: str, day: date) -> Decimal | None:
    """The firm's rate of `day` for an invoice in another currency than the euro (euros for one unit, asked of
    accounting: invoicing.signals.exchange_rate_wanted); None in euros; refused when the firm has none."""
    if currency == "EUR":
        return None
    for _, rate in signals.exchange_rate_wanted.send(sender=Invoice, currency=currency, day=day):
        if rate is not None:
            return rate
    raise ValidationRefused(gettext(
        "No exchange rate of %(currency)s on or before %(date)s: enter the rate of %(currency)s of that day (euros "
        "for 1 %(currency)s) in the exchange rates of accounting, then validate again.")
        % {"currency": currency, "date": day.strftime("%d/%m/%Y")})


def _vat_in_euros(breakdown, rate: Decimal | None) -> Decimal | None:
    """The VAT in euros of an invoice in a foreign currency (BT-111): each rate's VAT converted, then summed."""
    return None if rate is None else sum(vat_in_euros({v.rate: v.vat for v in breakdown}, rate).values(), Decimal(0))


class DraftOutOfStep(ValidationRefused):
    """The draft differs from what its items owe now (or from the version the user saw)."""


def validate_pre_invoice(*, pre_invoice_id: int, user=None, issue_date: date,
                         expected_version: int | None = None) -> Invoice:
    """Freeze a pre-invoice into a numbered invoice: number, snapshot, ledger of its items, audit.

    Under the locks the lines are recomputed from the items; a draft that differs from them, or from
    `expected_version` (the version the user saw: the page, the API and the CLI send it), is refused
    with what changed, and brought up to date for the next look.
    """
    try:
        return _validate(pre_invoice_id=pre_invoice_id, user=user, issue_date=issue_date,
                         expected_version=expected_version)
    except DraftOutOfStep:
        _bring_in_step(pre_invoice_id)  # the refusal rolled back; what the user opens next is in step
        raise


@retrying
def _bring_in_step(pre_invoice_id: int) -> None:
    pre = PreInvoice.objects.filter(pk=pre_invoice_id).values("period", "client_id").first()
    if pre is not None:
        rebuild_drafts(Period.of(pre["period"]), clients=[pre["client_id"]])


def removed_reason(pre_invoice_id: int) -> str:
    """Why a pre-invoice id answers nothing any more, and where its items went."""
    return removed_draft(pre_invoice_id)["detail"]


@retrying
def _validate(*, pre_invoice_id: int, user, issue_date: date, expected_version: int | None) -> Invoice:
    head = PreInvoice.objects.filter(pk=pre_invoice_id).values("period", "client_id").first()
    if head is None:
        raise ValidationRefused(removed_reason(pre_invoice_id))
    period = Period.of(head["period"])
    # The lock order: the month's drafts lock, then the items, then the draft, then the series counter.
    drafts_lock(period.first_day)
    locked = list(BillableItem.objects.select_for_update(of=("self",)).filter(
        Q(pre_invoice_line__pre_invoice_id=pre_invoice_id)
        | Q(engagement__client_id=head["client_id"], period=period.first_day, status=BillableItem.Status.PENDING),
    ).order_by("pk").values_list("pk", flat=True))
    pre = (PreInvoice.objects.select_for_update(of=("self",)).select_related("client", "billing_address")
           .filter(pk=pre_invoice_id).first())
    if pre is None:
        raise ValidationRefused(removed_reason(pre_invoice_id))
    if expected_version is not None and expected_version != pre.version:
        raise DraftOutOfStep(gettext(
            "This pre-invoice changed since you saw it (version %(seen)s, now %(now)s): %(change)s. "
            "Look at it again before validating.") % {
            "seen": expected_version, "now": pre.version, "change": pre.last_change or "-"})
    items = {item.pk: item for item in BillableItem.objects.filter(pk__in=locked, pre_invoice_line__pre_invoice=pre)
             .select_related("article")} if locked else {}
    if pre.billing_address is None:
        raise ValidationRefused(gettext("Client %(code)s has no billing address.") % {"code": pre.client.code})
    stored = list(pre.lines.select_related("article").order_by("position"))
    run_draft = pre.source == PreInvoice.Source.RUN
    lines = _recomputed_lines(pre, stored) if run_draft else _kept_lines(pre, stored, items)
    if not lines:
        raise ValidationRefused(gettext("This pre-invoice has no line left to bill."))
    if any(item.status != BillableItem.Status.PENDING for item in items.values()):
        raise ValidationRefused(gettext("Some of its items are already on a validated invoice."))
    regime = VatRegime(pre.vat_regime)
    breakdown = vat_breakdown((line.vat_rate, line.amount, breakdown_category(is_disbursement(line.kind), regime))
                              for line in lines)
    total = totals(breakdown)
    org = Organisation.objects.first()
    if org is None:
        raise ValidationRefused(gettext("The firm's identity (organisation) is not set."))
    wordings = firm_wordings()
    # Periodic (CGI art. 289 I-3): the invoice groups deliveries of more than one day (prebill.core.legal.is_periodic).
    _check_legal(pre, org, issue_date=issue_date, wordings=wordings,
                 periodic=is_periodic(item.service_date for item in items.values()))
    exchange_rate = _exchange_rate(pre.currency, issue_date)
    series = _series(Invoice.Kind.INVOICE)
    sequence, year, number = _next_number(series, issue_date)
    client, address = pre.client, pre.billing_address
    invoice = Invoice.objects.create(
        kind=Invoice.Kind.INVOICE, series=series, sequence=sequence, sequence_year=year, number=number,
        issue_date=issue_date, due_date=due_date(issue_date, pre.payment_terms_days, pre.end_of_month),
        client=client, period=pre.period, **seller_snapshot(org),
        **buyer_snapshot(client, address, vat_regime=pre.vat_regime),
        currency=pre.currency, vat_regime=pre.vat_regime, payment_terms_days=pre.payment_terms_days,
        end_of_month=pre.end_of_month, payment_method=pre.payment_method,
        exemption_wording=exemption_wording(VatRegime(pre.vat_regime), issue_date, wordings),
        exchange_rate=exchange_rate, total_vat_eur=_vat_in_euros(breakdown, exchange_rate),
        total_excluding_vat=total.excluding_vat, total_vat=total.vat,
        total_including_vat=total.including_vat, validated_at=timezone.now(),
        validated_by=acting_user(user),
    )
    saved_lines = InvoiceLine.objects.bulk_create([InvoiceLine(
        invoice=invoice, position=position, kind=line.kind, article_code=line.article_code,
        revenue_account=line.revenue_account, designation=line.designation, quantity=line.quantity,
        unit=line.unit, unit_price=line.unit_price, amount=line.amount, vat_rate=line.vat_rate,
        service_start=line.service_start, service_end=line.service_end,
    ) for position, line in enumerate(lines, start=1)])  # their ids come back (RETURNING) for the shares
    shares = []
    for position, (line, saved) in enumerate(zip(lines, saved_lines, strict=True), start=1):
        # The invariant the ledger rests on: a line bills exactly the sum of its items' shares.
        if line.shares and sum(amount for _, _, amount in line.shares) != line.amount:
            raise AssertionError(f"line {position} of {number}: {line.amount} is not the sum of its item shares")
        for item_id, quantity, amount in line.shares:
            item = items[item_id]
            shares.append(InvoiceLineItem(line=saved, item=item, quantity=quantity, amount=amount))
            item.billed_quantity += quantity
            item.status = BillableItem.Status.BILLED
            item.pre_invoice_line = None
    InvoiceLineItem.objects.bulk_create(shares)
    InvoiceVat.objects.bulk_create(InvoiceVat(invoice=invoice, rate=v.rate, base=v.base, vat=v.vat,
                                              category=v.category) for v in breakdown)
    update_rows(BillableItem, ("billed_quantity", "status", "pre_invoice_line_id"),
                [(item.billed_quantity, item.status, item.pre_invoice_line_id, item.pk) for item in items.values()])
    record(user=user, action="validate", obj=invoice, before={"pre_invoice": pre.pk, "version": pre.version},
           after={"number": number, "total_including_vat": str(invoice.total_including_vat)})
    signals.draft_invoiced.send(sender=Invoice, invoice=invoice, pre_invoice_id=pre.pk, user=user)
    RemovedDraft.objects.create(pre_invoice_id=pre.pk, period=pre.period, client=pre.client,
                                document_key=pre.document_key, why=RemovedDraft.Why.VALIDATED,
                                invoice_number=number, removed_at=timezone.now())
    pre.delete()
    signals.invoice_issued.send(sender=Invoice, invoice=invoice, user=user)
    invoice.refresh_from_db()
    return invoice


def _check_legal(pre: PreInvoice, org: Organisation, *, issue_date: date, wordings: list[FirmWording],
                 periodic: bool) -> None:
    """What the law refuses on the invoice this draft would become: a French business client without a SIREN,
    payment terms beyond the legal cap (45 days from its date for a periodic invoice) unless the firm's sector
    agreement allows them, and from 2028 an exemption wording that still cites only the CGI."""
    terms = PaymentTerms(pre.payment_terms_days, pre.end_of_month)
    agreement = {"agreement": org.payment_terms_agreement, "agreement_days": org.payment_terms_agreement_days}
    try:
        check_buyer_identified(category=transaction_category(pre.client, pre.billing_address, pre.vat_regime),
                               siren=pre.client.siren, client=f"{pre.client.code} {pre.client.name}")
        check_payment_terms(terms, **agreement)
        if periodic:
            check_periodic_payment_terms(terms, issued=issue_date, **agreement)
        check_cibs_wording(VatRegime(pre.vat_regime), issue_date, wordings)
    except LegalRefusal as refused:
        raise ValidationRefused(refused.message, where=refused.where, **refused.params) from None


@dataclass
class _Line:
    kind: str
    article_code: str
    revenue_account: str
    designation: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    service_start: date | None
    service_end: date | None
    shares: list[tuple[int, Decimal, Decimal]]  # (item, quantity, amount)


def _recomputed_lines(pre: PreInvoice, stored: list) -> list[_Line]:
    """The draft's lines as its locked items give them now, through the core; refused if they differ."""
    ctx = PortfolioContext.load([pre.client_id])
    period = Period.of(pre.period)
    draft = drafts_now(period, pre.client_id, ctx).get(pre.document_key)
    if draft is None or draft_digest(draft) != pre.content_hash:
        change = describe_difference(pre.pk, draft) if draft is not None else gettext("nothing is owed on it now")
        raise DraftOutOfStep(gettext("This pre-invoice is not what its items owe now (%(change)s): it has been "
                                     "brought up to date; look at it again before validating.") % {"change": change})
    edits = {line.line_key: line for line in stored}
    articles = {a.pk: a for a in Article.objects.filter(pk__in={line.article for line in draft.lines})}
    lines = []
    for line in in_user_order(draft.lines, pre.pk, {
            (pre.pk, key): (s.designation_override, s.manual_position) for key, s in edits.items()}):
        kept = edits.get(line.key)
        article = articles[line.article]
        lines.append(_Line(
            kind=line.kind.value, article_code=str(article), revenue_account=article.revenue_account,
            designation=(kept.designation_override if kept else "") or line.designation[:500],
            quantity=line.quantity, unit=line.unit, unit_price=line.unit_price, amount=line.amount,
            vat_rate=line.vat_rate, service_start=line.service_start, service_end=line.service_end,
            shares=line.shares))
    return lines


def _kept_lines(pre: PreInvoice, stored: list, items: dict[int, BillableItem]) -> list[_Line]:
    """Lines of drafts runs leave alone (copies, processed pro formas, confirmed reviews), with the shares
    of their items; a line whose amount was typed (a pro forma) shares it out exactly over its items."""
    by_line = defaultdict(list)
    for item in items.values():
        by_line[item.pre_invoice_line_id].append(item)
    lines = []
    for line in stored:
        owed = []
        for item in sorted(by_line[line.pk], key=lambda i: i.pk):
            quantity, amount = to_bill_now(
                item.quantity, item.unit_price, item.amount, billed=item.billed_quantity,
                written_off=item.written_off_quantity, adjusted_quantity=item.adjusted_quantity,
                adjusted_amount=item.adjusted_amount)
            owed.append((item.pk, quantity, amount))
        if owed and sum(amount for _, _, amount in owed) != line.amount:
            amounts = split_in_proportion(line.amount, [amount for _, _, amount in owed])
            owed = [(pk, quantity, amount) for (pk, quantity, _), amount in zip(owed, amounts, strict=True)]
        lines.append(_Line(
            kind=line.kind, article_code=str(line.article), revenue_account=line.article.revenue_account,
            designation=line.designation_override or line.designation, quantity=line.quantity, unit=line.unit,
            unit_price=line.unit_price, amount=line.amount, vat_rate=line.vat_rate,
            service_start=line.service_start, service_end=line.service_end, shares=owed))
    return lines


@retrying
def issue_credit_note(*, invoice_id: int, quantities: dict[int, Decimal] | None = None, rebill: bool,
                      user=None, issue_date: date) -> Invoice:
    """Credit items of an invoice by quantity (all of them when `quantities` is None).

    rebill=True makes the credited quantities billable again (they come back on the next run of the
    credit note's month); otherwise they are written off for good.
    """
    # The lock order: the drafts of the credit's month (credited items may come back there), then the
    # invoice, and only then what was credited already: two credit notes of one invoice queue here.
    drafts_lock(Period.of(issue_date).first_day)
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is None:
        raise CreditRefused(gettext("This invoice does not exist."))
    if invoice.kind != Invoice.Kind.INVOICE:
        raise CreditRefused(gettext("Only an invoice can be credited."))
    billed, billed_amount = defaultdict(lambda: Decimal(0)), defaultdict(lambda: Decimal(0))
    shares = list(InvoiceLineItem.objects.filter(line__invoice=invoice).select_related("line"))
    for share in shares:
        billed[share.item_id] += share.quantity
        billed_amount[share.item_id] += share.amount
    credited, credited_amount = defaultdict(lambda: Decimal(0)), defaultdict(lambda: Decimal(0))
    for row in InvoiceLineItem.objects.filter(line__invoice__credited_invoice=invoice).values("item_id").annotate(
            quantity=Sum("quantity"), amount=Sum("amount")):
        credited[row["item_id"]], credited_amount[row["item_id"]] = row["quantity"], row["amount"]
    wanted = quantities if quantities is not None else {
        item_id: quantity - credited[item_id] for item_id, quantity in billed.items() if quantity > credited[item_id]}
    if not wanted:
        raise CreditRefused(gettext("Invoice %(number)s has nothing left to credit.") % {"number": invoice.number})
    for item_id, quantity in wanted.items():
        if item_id not in billed:
            raise CreditRefused(gettext("Item %(item)s is not on invoice %(number)s.")
                                % {"item": item_id, "number": invoice.number})

        check_credit(item_id, quantity, billed[item_id], credited[item_id])
    items = {item.pk: item for item in BillableItem.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")}
    share_of = {share.item_id: share for share in shares}
    left_periods = {item.period for item in items.values()}
    lines = []
    for position, (item_id, quantity) in enumerate(sorted(wanted.items()), start=1):
        share, item = share_of[item_id], items[item_id]
        # Credits of one item add up to what the invoice billed of it, exactly: each part is what the
        # credited quantity so far is worth less what was credited already (the rounding never piles up).
        so_far = credited[item_id] + quantity
        worth = billed_amount[item_id] if so_far == billed[item_id] else round_money(
            billed_amount[item_id] * so_far / billed[item_id])
        lines.append((position, share.line, item, quantity, worth - credited_amount[item_id]))
    regime = VatRegime(invoice.vat_regime)
    breakdown = vat_breakdown((line.vat_rate, amount, breakdown_category(is_disbursement(line.kind), regime))
                              for _, line, _, _, amount in lines)
    total = totals(breakdown)
    wordings, regime = firm_wordings(), VatRegime(invoice.vat_regime)
    try:  # a credit note is an invoice (CGI 289 I-5): from 2028 its wording must cite the CIBS too
        check_cibs_wording(regime, issue_date, wordings)
    except LegalRefusal as refused:
        raise CreditRefused(refused.message, where=refused.where, **refused.params) from None
    series = _series(Invoice.Kind.CREDIT_NOTE)
    sequence, year, number = _next_number(series, issue_date)
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE, series=series, sequence=sequence, sequence_year=year, number=number,
        issue_date=issue_date, due_date=issue_date, client=invoice.client, credited_invoice=invoice,
        period=Period.of(issue_date).first_day,
        **{field: getattr(invoice, field) for field in (
            *SELLER_FIELDS, *BUYER_FIELDS, "currency", "exchange_rate", "vat_regime", "payment_terms_days",
            "end_of_month", "payment_method")},
        total_vat_eur=_vat_in_euros(breakdown, invoice.exchange_rate),  # at the credited invoice's rate
        exemption_wording=exemption_wording(regime, issue_date, wordings),  # the one in force on its own date
        total_excluding_vat=total.excluding_vat, total_vat=total.vat, total_including_vat=total.including_vat,
        validated_at=timezone.now(), validated_by=acting_user(user),
    )
    for position, line, item, quantity, amount in lines:
        saved = InvoiceLine.objects.create(
            invoice=note, position=position, kind=line.kind, article_code=line.article_code,
            revenue_account=line.revenue_account, designation=line.designation, quantity=quantity, unit=line.unit,
            unit_price=line.unit_price, amount=amount, vat_rate=line.vat_rate, service_start=line.service_start,
            service_end=line.service_end)
        InvoiceLineItem.objects.create(line=saved, item=item, quantity=quantity, amount=amount)
        owed = owed_quantity(item.quantity, item.adjusted_quantity)
        if not rebill:
            item.written_off_quantity += written_off_by_credit(
                quantity, owed=owed, billed=item.billed_quantity, written_off=item.written_off_quantity)
        item.billed_quantity -= quantity
        if rebill:
            item.period = Period.of(issue_date).first_day
            item.invoice_date = Period.of(issue_date).last_day
        left = remainder(owed, item.billed_quantity, item.written_off_quantity)
        item.status = BillableItem.Status.PENDING if left > 0 else BillableItem.Status.BILLED
    InvoiceVat.objects.bulk_create(InvoiceVat(invoice=note, rate=v.rate, base=v.base, vat=v.vat,
                                              category=v.category) for v in breakdown)
    BillableItem.objects.bulk_update(
        items.values(), ["billed_quantity", "written_off_quantity", "status", "period", "invoice_date"])
    record(user=user, action="credit", obj=note, before={"invoice": invoice.number},
           after={"number": number, "items": {str(k): str(v) for k, v in wanted.items()}, "rebill": rebill})
    # Credited quantities billable again are on this month's drafts at once, and leave the drafts of
    # the month they waited in.
    refresh_drafts(list(items), also_periods=left_periods)
    signals.invoice_issued.send(sender=Invoice, invoice=note, user=user)
    note.refresh_from_db()
    return note


def proposed_issue_date(pre_invoice_id: int, today: date | None = None) -> date:
    """The invoice date a validation proposes for a draft: its own date, or today while that day has not come."""
    draft_date = PreInvoice.objects.filter(pk=pre_invoice_id).values_list("invoice_date", flat=True).first()
    today = today or timezone.localdate()
    return issue_date_for(draft_date, today) if draft_date else today
