"""Validation of pre-invoices into numbered invoices, and credit notes by item and quantity."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from prebill.accounts.roles import acting_user
from prebill.audit.services import record
from prebill.billing.models import BillableItem, PreInvoice
from prebill.core.ledger import CreditRefused, check_credit, remainder, to_bill_now
from prebill.core.money import round_money
from prebill.core.numbering import check_chronology, due_date, format_number, sequence_year
from prebill.core.periods import Period
from prebill.core.vat import totals, vat_breakdown
from prebill.organisation.models import InvoiceSeries, Organisation

from .models import Invoice, InvoiceLine, InvoiceLineItem, InvoiceVat, SeriesCounter


class ValidationRefused(Exception):
    """A pre-invoice cannot become an invoice; the message says why."""


def _series(kind: str) -> InvoiceSeries:
    """The document's own series (credit notes may have theirs), else the series shared by both kinds."""
    own = InvoiceSeries.Kind.CREDIT_NOTE if kind == Invoice.Kind.CREDIT_NOTE else InvoiceSeries.Kind.INVOICE
    for wanted in (own, InvoiceSeries.Kind.BOTH):
        series = InvoiceSeries.objects.filter(kind=wanted).order_by("-is_default", "code").first()
        if series is not None:
            return series
    raise ValidationRefused("no invoice series is configured for this kind of document")


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
        check_chronology(counter.last_issue_date, issue_date)
    except ValueError as error:
        raise ValidationRefused(str(error)) from None
    counter.last_number += 1
    counter.last_issue_date = issue_date
    counter.save(update_fields=["last_number", "last_issue_date"])
    return counter.last_number, year, format_number(series.prefix, series.digits, issue_date, counter.last_number)


def _address(lines: list[str]) -> str:
    return "\n".join(part for part in lines if part)


@transaction.atomic
def validate_pre_invoice(*, pre_invoice_id: int, user=None, issue_date: date) -> Invoice:
    """Freeze a pre-invoice into a numbered invoice: number, snapshot, ledger of its items, audit."""
    pre = (PreInvoice.objects.select_for_update(of=("self",)).select_related("client", "billing_address")
           .filter(pk=pre_invoice_id).first())
    if pre is None:
        raise ValidationRefused("this pre-invoice no longer exists: the month was run again; open it anew")
    items = {item.pk: item for item in BillableItem.objects.select_for_update()
             .filter(pre_invoice_line__pre_invoice=pre).select_related("article")}
    if not items and not pre.is_copy:
        raise ValidationRefused("this pre-invoice has no line left to bill")
    if any(item.status != BillableItem.Status.PENDING for item in items.values()):
        raise ValidationRefused("some of its items are already on a validated invoice")
    if pre.billing_address is None:
        raise ValidationRefused(f"client {pre.client.code} has no billing address")
    org = Organisation.objects.first()
    if org is None:
        raise ValidationRefused("the firm's identity (organisation) is not set")
    series = _series(Invoice.Kind.INVOICE)
    sequence, year, number = _next_number(series, issue_date)
    client, address = pre.client, pre.billing_address
    invoice = Invoice.objects.create(
        kind=Invoice.Kind.INVOICE, series=series, sequence=sequence, sequence_year=year, number=number,
        issue_date=issue_date, due_date=due_date(issue_date, pre.payment_terms_days, pre.end_of_month),
        client=client, period=pre.period, seller_name=org.legal_name, seller_siren=org.siren,
        seller_vat_number=org.vat_number,
        seller_address=_address([org.address_line1, org.address_line2, f"{org.postcode} {org.city}", org.country]),
        buyer_code=client.code, buyer_name=client.name, buyer_siren=client.siren, buyer_vat_number=client.vat_number,
        buyer_address=_address([address.line1, address.line2, f"{address.postcode} {address.city}", address.country]),
        currency=pre.currency, vat_regime=pre.vat_regime, payment_terms_days=pre.payment_terms_days,
        end_of_month=pre.end_of_month, payment_method=pre.payment_method,
        total_excluding_vat=pre.total_excluding_vat, total_vat=pre.total_vat,
        total_including_vat=pre.total_including_vat, validated_at=timezone.now(),
        validated_by=acting_user(user),
    )
    items_by_line = defaultdict(list)
    for item in items.values():
        items_by_line[item.pre_invoice_line_id].append(item)
    for line in pre.lines.select_related("article").order_by("position"):
        saved = InvoiceLine.objects.create(
            invoice=invoice, position=line.position, kind=line.kind, article_code=str(line.article),
            revenue_account=line.article.revenue_account, designation=line.designation_override or line.designation,
            quantity=line.quantity, unit=line.unit, unit_price=line.unit_price, amount=line.amount,
            vat_rate=line.vat_rate, service_start=line.service_start, service_end=line.service_end,
        )
        shares = []
        for item in items_by_line[line.pk]:
            quantity, amount = to_bill_now(
                item.quantity, item.unit_price, item.amount, billed=item.billed_quantity,
                written_off=item.written_off_quantity, adjusted_quantity=item.adjusted_quantity,
                adjusted_amount=item.adjusted_amount)
            shares.append(InvoiceLineItem(line=saved, item=item, quantity=quantity, amount=amount))
            item.billed_quantity += quantity
            item.status = BillableItem.Status.BILLED
            item.pre_invoice_line = None
        InvoiceLineItem.objects.bulk_create(shares)
    InvoiceVat.objects.bulk_create(
        InvoiceVat(invoice=invoice, rate=v.rate, base=v.base, vat=v.vat) for v in pre.vat_lines.all())
    BillableItem.objects.bulk_update(items.values(), ["billed_quantity", "status", "pre_invoice_line"])
    record(user=user, action="validate", obj=invoice, before={"pre_invoice": pre.pk},
           after={"number": number, "total_including_vat": str(invoice.total_including_vat)})
    pre.delete()
    from prebill.payments.services import settle_reservations  # payments builds on invoicing

    settle_reservations(invoice=invoice, period=pre.period, grouping_key=pre.grouping_key, user=user)
    if org.post_on_validation:
        from prebill.accounting.services import post_invoice  # accounting builds on invoicing

        post_invoice(invoice_id=invoice.pk, user=user)
        invoice.refresh_from_db()
    return invoice


@transaction.atomic
def issue_credit_note(*, invoice_id: int, quantities: dict[int, Decimal] | None = None, rebill: bool,
                      user=None, issue_date: date) -> Invoice:
    """Credit items of an invoice by quantity (all of them when `quantities` is None).

    rebill=True makes the credited quantities billable again (they come back on the next run of the
    credit note's month); otherwise they are written off for good.
    """
    invoice = Invoice.objects.select_related("client").get(pk=invoice_id)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise CreditRefused("only an invoice can be credited")
    billed = defaultdict(lambda: Decimal(0))
    shares = list(InvoiceLineItem.objects.filter(line__invoice=invoice).select_related("line"))
    for share in shares:
        billed[share.item_id] += share.quantity
    credited = defaultdict(lambda: Decimal(0), {
        row["item_id"]: row["credited"] for row in InvoiceLineItem.objects.filter(
            line__invoice__credited_invoice=invoice).values("item_id").annotate(credited=Sum("quantity"))
    })
    wanted = quantities if quantities is not None else {
        item_id: quantity - credited[item_id] for item_id, quantity in billed.items() if quantity > credited[item_id]}
    if not wanted:
        raise CreditRefused(f"invoice {invoice.number} has nothing left to credit")
    for item_id, quantity in wanted.items():
        if item_id not in billed:
            raise CreditRefused(f"item {item_id} is not on invoice {invoice.number}")
        check_credit(item_id, quantity, billed[item_id], credited[item_id])
    items = {item.pk: item for item in BillableItem.objects.select_for_update().filter(pk__in=list(wanted))}
    share_of = {share.item_id: share for share in shares}
    lines = []
    for position, (item_id, quantity) in enumerate(sorted(wanted.items()), start=1):
        share, item = share_of[item_id], items[item_id]
        whole = quantity == billed[item_id] and not credited[item_id]
        amount = share.amount if whole else round_money(quantity * share.line.unit_price)
        lines.append((position, share.line, item, quantity, amount))
    breakdown = vat_breakdown((line.vat_rate, amount) for _, line, _, _, amount in lines)
    total = totals(breakdown)
    series = _series(Invoice.Kind.CREDIT_NOTE)
    sequence, year, number = _next_number(series, issue_date)
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE, series=series, sequence=sequence, sequence_year=year, number=number,
        issue_date=issue_date, due_date=issue_date, client=invoice.client, credited_invoice=invoice,
        period=Period.of(issue_date).first_day,
        **{field: getattr(invoice, field) for field in (
            "seller_name", "seller_siren", "seller_vat_number", "seller_address", "buyer_code", "buyer_name",
            "buyer_siren", "buyer_vat_number", "buyer_address", "currency", "vat_regime", "payment_terms_days",
            "end_of_month", "payment_method")},
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
        item.billed_quantity -= quantity
        if rebill:
            item.period = Period.of(issue_date).first_day
            item.invoice_date = Period.of(issue_date).last_day
        else:
            item.written_off_quantity += quantity
        left = remainder(item.quantity, item.billed_quantity, item.written_off_quantity)
        item.status = BillableItem.Status.PENDING if left > 0 else BillableItem.Status.BILLED
    InvoiceVat.objects.bulk_create(InvoiceVat(invoice=note, rate=v.rate, base=v.base, vat=v.vat) for v in breakdown)
    BillableItem.objects.bulk_update(
        items.values(), ["billed_quantity", "written_off_quantity", "status", "period", "invoice_date"])
    record(user=user, action="credit", obj=note, before={"invoice": invoice.number},
           after={"number": number, "items": {str(k): str(v) for k, v in wanted.items()}, "rebill": rebill})
    return note
