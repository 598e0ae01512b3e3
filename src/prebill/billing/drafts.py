"""Pre-invoices are derived: rebuilt from the period's items, keeping what people typed on lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count

from prebill.core.grouping import DraftPreInvoice, GroupableItem, ItemKind, group_items
from prebill.core.money import ZERO
from prebill.core.periods import Period
from prebill.core.review import BILLED_NOW, Decision, billed_quantity_and_amount

from .context import PortfolioContext
from .models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine, PreInvoiceVat
from .rows import insert_into, table


@dataclass
class DraftsResult:
    pre_invoices: int = 0
    lines: int = 0
    items: int = 0
    total_excluding_vat: Decimal = ZERO
    total_vat: Decimal = ZERO
    total_including_vat: Decimal = ZERO
    not_billed_now: Counter = field(default_factory=Counter)


def rebuild_drafts(period: Period, ctx: PortfolioContext, run: BillingRun | None = None) -> DraftsResult:
    """Replace the period's pre-invoices by those its items give now."""
    overrides = _designation_overrides(period)
    _delete_drafts(period)
    result = DraftsResult()
    for row in (
        BillableItem.objects.filter(period=period.first_day, status=BillableItem.Status.PENDING)
        .exclude(decision__in=list(BILLED_NOW)).values("decision").order_by().annotate(count=Count("id"))
    ):
        result.not_billed_now[row["decision"]] = row["count"]
    drafts = group_items(_groupable_items(period, ctx))
    documents = [_pre_invoice(draft, period, run) for draft in drafts]
    PreInvoice.objects.bulk_create(documents, batch_size=1000)
    lines, links = [], []
    for document, draft in zip(documents, drafts, strict=True):
        for position, line in enumerate(draft.lines, start=1):
            lines.append(PreInvoiceLine(
                pre_invoice_id=document.pk, position=position, kind=line.kind.value, line_key=line.key,
                article_id=line.article, designation=line.designation[:500],
                designation_override=overrides.get((document.client_id, document.grouping_key, line.key), ""),
                quantity=line.quantity, unit=line.unit, unit_price=line.unit_price, amount=line.amount,
                vat_rate=line.vat_rate, service_start=line.service_start, service_end=line.service_end,
            ))
    PreInvoiceLine.objects.bulk_create(lines, batch_size=1000)
    position = 0
    for draft in drafts:
        for line in draft.lines:
            links.extend((item_id, lines[position].pk) for item_id in line.item_ids)
            position += 1
    _link_items(links)
    vat_rows = []
    for document, draft in zip(documents, drafts, strict=True):
        vat_rows.extend(PreInvoiceVat(pre_invoice_id=document.pk, rate=v.rate, base=v.base, vat=v.vat) for v in draft.vat)
        result.total_excluding_vat += document.total_excluding_vat
        result.total_vat += document.total_vat
        result.total_including_vat += document.total_including_vat
    PreInvoiceVat.objects.bulk_create(vat_rows, batch_size=1000)
    result.pre_invoices, result.lines, result.items = len(documents), len(lines), len(links)
    return result


def _groupable_items(period: Period, ctx: PortfolioContext):
    rows = BillableItem.objects.filter(
        period=period.first_day, status=BillableItem.Status.PENDING, decision__in=list(BILLED_NOW)
    ).values_list(
        "id", "kind", "engagement_id", "part_id", "installment_id", "collaborator_id", "article_id", "quantity", "unit",
        "unit_price", "amount", "vat_rate", "designation", "service_date", "invoice_date", "decision",
        "adjusted_quantity", "adjusted_amount",
    ).order_by("id")
    terms_cache: dict = {}
    for (item_id, kind, engagement_id, part_id, installment_id, collaborator_id, article_id, quantity, unit,
         unit_price, amount, vat_rate, designation, service_date, invoice_date, decision, adj_quantity,
         adj_amount) in rows.iterator(chunk_size=10000):
        terms = terms_cache.get((engagement_id, invoice_date))
        if terms is None:
            terms = terms_cache[(engagement_id, invoice_date)] = ctx.terms(engagement_id, invoice_date)
        if adj_quantity is not None or adj_amount is not None:
            quantity, amount = billed_quantity_and_amount(
                quantity, unit_price, amount, adjusted_quantity=adj_quantity, adjusted_amount=adj_amount)
        part = ctx.parts.get(part_id)
        engagement = ctx.engagements[engagement_id]
        collaborator = ctx.collaborators.get(collaborator_id)
        yield GroupableItem(
            id=item_id, kind=ItemKind(kind), terms=terms, engagement=engagement_id, part=part_id,
            article=article_id, article_label=ctx.articles[article_id].label, quantity=quantity, unit=unit,
            unit_price=unit_price, amount=amount, vat_rate=vat_rate, designation=designation,
            service_date=service_date, installment=installment_id, collaborator=collaborator_id,
            collaborator_name=collaborator.name if collaborator else "", engagement_code=engagement.code,
            part_code=part.code if part else "", engagement_on_one_invoice=engagement.on_one_invoice,
            part_on_own_invoice=bool(part and part.on_own_invoice), standalone=decision == Decision.STANDALONE,
        )


def _pre_invoice(draft: DraftPreInvoice, period: Period, run: BillingRun | None) -> PreInvoice:
    terms, totals = draft.terms, draft.totals
    days, _, eom = terms.payment_terms.partition(" ")
    return PreInvoice(
        period=period.first_day, client_id=terms.client, invoice_date=terms.invoice_date,
        billing_address_id=terms.address, currency=terms.currency, vat_regime=terms.vat_regime.value,
        payment_terms_days=int(days), end_of_month=bool(eom), payment_method=terms.payment_method,
        line_mode=terms.line_mode.value, grouping_key=grouping_key(draft), grouping_reason=draft.reason[:300],
        total_excluding_vat=totals.excluding_vat, total_vat=totals.vat, total_including_vat=totals.including_vat,
        run=run,
    )


def grouping_key(draft: DraftPreInvoice) -> str:
    t = draft.terms
    return "|".join(str(part) for part in (
        t.invoice_date, t.address, t.currency, t.vat_regime.value, t.payment_terms, t.payment_method,
        t.line_mode.value, draft.key,
    ))


def _designation_overrides(period: Period) -> dict[tuple, str]:
    return {
        (client_id, key, line_key): text
        for client_id, key, line_key, text in PreInvoiceLine.objects.filter(
            pre_invoice__period=period.first_day).exclude(designation_override="").values_list(
            "pre_invoice__client_id", "pre_invoice__grouping_key", "line_key", "designation_override")
    }


def _delete_drafts(period: Period) -> None:
    """Delete the period's drafts in three statements (the ORM's cascade would load every item)."""
    with connection.cursor() as cursor:
        docs = f"SELECT id FROM {table(PreInvoice)} WHERE period = %s"
        lines = f"SELECT id FROM {table(PreInvoiceLine)} WHERE pre_invoice_id IN ({docs})"
        cursor.execute(
            f"UPDATE {table(BillableItem)} SET pre_invoice_line_id = NULL WHERE pre_invoice_line_id IN ({lines})",
            [period.first_day],
        )
        cursor.execute(f"DELETE FROM {table(PreInvoiceVat)} WHERE pre_invoice_id IN ({docs})", [period.first_day])
        cursor.execute(f"DELETE FROM {table(PreInvoiceLine)} WHERE pre_invoice_id IN ({docs})", [period.first_day])
        cursor.execute(f"DELETE FROM {table(PreInvoice)} WHERE period = %s", [period.first_day])


def _link_items(links: list[tuple[int, int]]) -> None:
    """Point each item at its line: one bulk insert into a scratch table and one UPDATE."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS prebill_item_line (item_id bigint PRIMARY KEY, line_id bigint)")
        cursor.execute("DELETE FROM prebill_item_line")
    insert_into("prebill_item_line", ("item_id", "line_id"), links)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(BillableItem)} SET pre_invoice_line_id = l.line_id FROM prebill_item_line l "
            f"WHERE {table(BillableItem)}.id = l.item_id"
        )
        cursor.execute("DELETE FROM prebill_item_line")

