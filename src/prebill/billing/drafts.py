"""Pre-invoices are derived: rebuilt from the period's items, keeping what people typed on lines."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from prebill.bulk import insert_into, insert_rows, table
from prebill.core.grouping import (
    BillingTerms,
    DraftPreInvoice,
    GroupableItem,
    ItemKind,
    LineMode,
    group_items,
    terms_change,
)
from prebill.core.ledger import to_bill_now
from prebill.core.money import ZERO
from prebill.core.periods import Period
from prebill.core.review import BILLED_NOW, Decision
from prebill.core.vat import VatRegime
from prebill.organisation.models import Organisation

from .context import PortfolioContext
from .models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine, PreInvoiceVat


@dataclass
class DraftsResult:
    pre_invoices: int = 0
    lines: int = 0
    items: int = 0
    total_excluding_vat: Decimal = ZERO
    total_vat: Decimal = ZERO
    total_including_vat: Decimal = ZERO
    not_billed_now: Counter = field(default_factory=Counter)
    excess_to_credit: int = 0


SCOPED_AT_MOST = 500

DOCUMENT_COLUMNS = (
    "period", "client_id", "invoice_date", "billing_address_id", "currency", "vat_regime", "payment_terms_days",
    "end_of_month", "payment_method", "line_mode", "grouping_key", "grouping_reason", "total_excluding_vat",
    "total_vat", "total_including_vat", "run_id", "created_at", "replaced_reason",
)
LINE_COLUMNS = (
    "pre_invoice_id", "position", "kind", "line_key", "article_id", "designation", "designation_override",
    "quantity", "unit", "unit_price", "amount", "vat_rate", "service_start", "service_end", "manual_position",
)


def rebuild_drafts(period: Period, ctx: PortfolioContext, run: BillingRun | None = None,
                   clients: Collection[int] | None = None) -> DraftsResult:
    """Replace the period's pre-invoices by those its items give now; only those of `clients` when given
    (an action on a few clients' items: a draft's client is its items' engagement's client).

    Rows are written with plain executemany and their ids read back by their natural keys
    (client and grouping key, document and line key): a run writes hundreds of thousands of lines.
    """
    if clients is not None and not clients:
        return DraftsResult()
    if connection.in_atomic_block:
        # One rebuild at a time, as runs: two writers of one client's drafts would clash on their keys.
        Organisation.objects.select_for_update().first()
    if clients is not None and len(clients) <= SCOPED_AT_MOST:
        # Drafts of other clients holding these clients' items (an engagement that changed client) go too.
        clients = set(clients) | set(PreInvoice.objects.filter(
            period=period.first_day, source=PreInvoice.Source.RUN, lines__items__engagement__client_id__in=clients,
        ).values_list("client_id", flat=True))
    if clients is not None and len(clients) > SCOPED_AT_MOST:
        clients = None  # past a few hundred clients, one pass over the month is cheaper than long IN lists
    scope = _Scope(period, None if clients is None else sorted(clients))
    overrides = _presentation_edits(scope)
    previous_terms = _previous_terms(scope)
    _delete_drafts(scope)
    result = DraftsResult()
    for row in (
        scope.items(BillableItem.objects.filter(period=period.first_day, status=BillableItem.Status.PENDING))
        .exclude(decision__in=list(BILLED_NOW)).values("decision").order_by().annotate(count=Count("id"))
    ):
        result.not_billed_now[row["decision"]] = row["count"]
    drafts = group_items(_groupable_items(scope, ctx))
    now = timezone.now()
    keys = [(draft.terms.client, grouping_key(draft)) for draft in drafts]
    insert_rows(PreInvoice, DOCUMENT_COLUMNS, (
        (*_document_row(draft, key, period, run, now),
         terms_change(previous_terms[(draft.terms.client, draft.key)], draft.terms)[:300]
         if (draft.terms.client, draft.key) in previous_terms else "")
        for draft, (_, key) in zip(drafts, keys, strict=True)))
    document_ids = {
        (client_id, key): pk for pk, client_id, key in
        scope.documents(PreInvoice.objects.filter(period=period.first_day, source="run"))
        .values_list("id", "client_id", "grouping_key").iterator()
    }
    insert_rows(PreInvoiceLine, LINE_COLUMNS, _line_rows(drafts, keys, document_ids, overrides))
    line_ids = {
        (document_id, key): pk for pk, document_id, key in scope.documents(PreInvoiceLine.objects.filter(
            pre_invoice__period=period.first_day, pre_invoice__source="run",
        ), "pre_invoice__").values_list("id", "pre_invoice_id", "line_key").iterator(10000)
    }
    links = [
        (item_id, line_ids[(document_ids[doc_key], line.key)])
        for draft, doc_key in zip(drafts, keys, strict=True) for line in draft.lines for item_id in line.item_ids
    ]
    _link_items(links)
    vat_rows = []
    for draft, doc_key in zip(drafts, keys, strict=True):
        vat_rows.extend((document_ids[doc_key], v.rate, v.base, v.vat) for v in draft.vat)
        totals = draft.totals
        result.total_excluding_vat += totals.excluding_vat
        result.total_vat += totals.vat
        result.total_including_vat += totals.including_vat
    insert_rows(PreInvoiceVat, ("pre_invoice_id", "rate", "base", "vat"), vat_rows)
    result.pre_invoices, result.lines, result.items = len(document_ids), len(line_ids), len(links)
    if clients is not None:
        return result  # an action on a few clients: the portfolio-wide figure below is the run's
    # Invoiced beyond what is owed now (time reduced after invoicing): a credit note corrects it.
    result.excess_to_credit = BillableItem.objects.filter(status=BillableItem.Status.BILLED).alias(
        left=F("quantity") - F("billed_quantity") - F("written_off_quantity")).filter(left__lt=0).count()
    return result


@dataclass(frozen=True)
class _Scope:
    """The period's drafts, or only some clients' of it."""

    period: Period
    clients: list[int] | None

    def items(self, rows):
        return rows if self.clients is None else rows.filter(engagement__client_id__in=self.clients)

    def documents(self, rows, via: str = ""):
        return rows if self.clients is None else rows.filter(**{f"{via}client_id__in": self.clients})

    def sql(self) -> tuple[str, list]:
        """The documents' WHERE clause and its parameters."""
        if self.clients is None:
            return "period = %s AND source = 'run'", [self.period.first_day]
        marks = ", ".join(["%s"] * len(self.clients))
        return f"period = %s AND source = 'run' AND client_id IN ({marks})", [self.period.first_day, *self.clients]


def _groupable_items(scope: _Scope, ctx: PortfolioContext):
    # Items on a pro forma wait for it to be processed; those of a processed one are on its pre-invoice.
    return groupable_items(scope.items(BillableItem.objects.filter(
        Q(pre_invoice_line__isnull=True) | Q(pre_invoice_line__pre_invoice__source=PreInvoice.Source.RUN),
        period=scope.period.first_day, status=BillableItem.Status.PENDING, decision__in=list(BILLED_NOW),
        pro_forma_item__isnull=True,
    )), ctx)


def groupable_items(items, ctx: PortfolioContext):
    """The core's view of billable items (what is still owed of each), with their billing terms."""
    rows = items.values_list(
        "id", "kind", "engagement_id", "part_id", "installment_id", "collaborator_id", "article_id", "quantity", "unit",
        "unit_price", "amount", "vat_rate", "designation", "service_date", "invoice_date", "decision",
        "adjusted_quantity", "adjusted_amount", "billed_quantity", "written_off_quantity", "grouping_hint",
    ).order_by("id")
    terms_cache: dict = {}
    for (item_id, kind, engagement_id, part_id, installment_id, collaborator_id, article_id, quantity, unit,
         unit_price, amount, vat_rate, designation, service_date, invoice_date, decision, adj_quantity,
         adj_amount, billed, written_off, hint) in rows.iterator(chunk_size=10000):
        terms = terms_cache.get((engagement_id, invoice_date))
        if terms is None:
            terms = terms_cache[(engagement_id, invoice_date)] = ctx.terms(engagement_id, invoice_date)
        if hint.endswith(";exempt"):  # exempt training goes on a document of its own VAT regime
            terms = dataclasses.replace(terms, vat_regime=VatRegime.EXEMPT)
        if adj_quantity is not None or adj_amount is not None or billed or written_off:
            quantity, amount = to_bill_now(quantity, unit_price, amount, billed=billed, written_off=written_off,
                                           adjusted_quantity=adj_quantity, adjusted_amount=adj_amount)
            if quantity <= 0:
                continue  # nothing more is owed (an excess is corrected by a credit note)
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
            hint=hint,
        )


def _document_row(draft: DraftPreInvoice, key: str, period: Period, run: BillingRun | None, now) -> tuple:
    terms, totals = draft.terms, draft.totals
    days, _, eom = terms.payment_terms.partition(" ")
    return (
        period.first_day, terms.client, terms.invoice_date, terms.address, terms.currency, terms.vat_regime.value,
        int(days), bool(eom), terms.payment_method, terms.line_mode.value, key, draft.reason[:300],
        totals.excluding_vat, totals.vat, totals.including_vat, run.pk if run else None, now,
    )


def grouping_key(draft: DraftPreInvoice) -> str:
    t = draft.terms
    return "|".join(str(part) for part in (
        t.invoice_date, t.address, t.currency, t.vat_regime.value, t.payment_terms, t.payment_method,
        t.line_mode.value, draft.key,
    ))


def _previous_terms(scope: _Scope) -> dict[tuple, BillingTerms]:
    """The terms of the period's drafts before the rebuild, by client and document (whatever the terms)."""
    previous = {}
    for row in scope.documents(PreInvoice.objects.filter(period=scope.period.first_day, source="run")).values(
        "client_id", "grouping_key", "invoice_date", "billing_address_id", "currency", "vat_regime",
        "payment_terms_days", "end_of_month", "payment_method", "line_mode",
    ).iterator():
        document = row["grouping_key"].rsplit("|", 1)[-1]
        previous[(row["client_id"], document)] = BillingTerms(
            client=row["client_id"], invoice_date=row["invoice_date"], address=row["billing_address_id"],
            currency=row["currency"], vat_regime=VatRegime(row["vat_regime"]),
            payment_terms=f"{row['payment_terms_days']}{' EOM' if row['end_of_month'] else ''}",
            payment_method=row["payment_method"], line_mode=LineMode(row["line_mode"]))
    return previous


def _presentation_edits(scope: _Scope) -> dict[tuple, tuple[str, int | None]]:
    """What people typed or reordered on the period's lines, by document and line key."""
    return {
        (client_id, key, line_key): (text, position)
        for client_id, key, line_key, text, position in scope.documents(PreInvoiceLine.objects.filter(
            pre_invoice__period=scope.period.first_day, pre_invoice__source="run"), "pre_invoice__")
        .filter(~Q(designation_override="") | Q(manual_position__isnull=False))
        .values_list("pre_invoice__client_id", "pre_invoice__grouping_key", "line_key", "designation_override",
                     "manual_position")
    }


def _line_rows(drafts, keys, document_ids, edits):
    for draft, doc_key in zip(drafts, keys, strict=True):
        for position, line in enumerate(_in_user_order(draft.lines, doc_key, edits), start=1):
            text, manual_position = edits.get((*doc_key, line.key), ("", None))
            yield (document_ids[doc_key], position, line.kind.value, line.key, line.article, line.designation[:500],
                   text, line.quantity, line.unit, line.unit_price, line.amount, line.vat_rate, line.service_start,
                   line.service_end, manual_position)


def _in_user_order(lines: list, doc_key: tuple, edits: dict) -> list:
    """Lines a user placed come first in the order given; the others follow in the rulebook's order."""
    def place(indexed):
        index, line = indexed
        position = edits.get((*doc_key, line.key), ("", None))[1]
        return (0, position, index) if position is not None else (1, 0, index)

    return [line for _, line in sorted(enumerate(lines), key=place)]


def _delete_drafts(scope: _Scope) -> None:
    """Delete the drafts in four statements (the ORM's cascade would load every item).

    Copies and processed pro formas are not derived from the period's items: runs leave them alone."""
    where, params = scope.sql()
    with connection.cursor() as cursor:
        docs = f"SELECT id FROM {table(PreInvoice)} WHERE {where}"
        lines = f"SELECT id FROM {table(PreInvoiceLine)} WHERE pre_invoice_id IN ({docs})"
        cursor.execute(
            f"UPDATE {table(BillableItem)} SET pre_invoice_line_id = NULL WHERE pre_invoice_line_id IN ({lines})", params)
        cursor.execute(f"DELETE FROM {table(PreInvoiceVat)} WHERE pre_invoice_id IN ({docs})", params)
        cursor.execute(f"DELETE FROM {table(PreInvoiceLine)} WHERE pre_invoice_id IN ({docs})", params)
        cursor.execute(f"DELETE FROM {table(PreInvoice)} WHERE {where}", params)


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



def save_kept_drafts(drafts: list[DraftPreInvoice], *, period: Period, source: str, origin: str) -> list[PreInvoice]:
    """Write drafts that runs leave alone (a confirmed review), linking their items; a few at a time, so
    plain ORM writes."""
    saved = []
    now = timezone.now()
    for draft in drafts:
        row = dict(zip(DOCUMENT_COLUMNS[:-1], _document_row(draft, "", period, None, now), strict=True))
        row.update(grouping_key=f"{origin}|{grouping_key(draft)}"[:300], source=source, copied_from=origin)
        document = PreInvoice.objects.create(**row)
        for position, line in enumerate(draft.lines, start=1):
            saved_line = PreInvoiceLine.objects.create(
                pre_invoice=document, position=position, kind=line.kind.value, line_key=line.key,
                article_id=line.article, designation=line.designation[:500], quantity=line.quantity, unit=line.unit,
                unit_price=line.unit_price, amount=line.amount, vat_rate=line.vat_rate,
                service_start=line.service_start, service_end=line.service_end)
            BillableItem.objects.filter(pk__in=line.item_ids).update(pre_invoice_line=saved_line)
        PreInvoiceVat.objects.bulk_create(
            PreInvoiceVat(pre_invoice=document, rate=v.rate, base=v.base, vat=v.vat) for v in draft.vat)
        saved.append(document)
    return saved
