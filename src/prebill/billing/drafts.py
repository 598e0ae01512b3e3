"""Pre-invoices are derived from their items but keep their identity: (period, client, document key).

A rebuild computes what the items owe now, compares each draft's digest with the stored one, and writes
only what changed: a changed draft keeps its id and gets new lines, totals and version; a new one is
inserted; one left without items is removed, its reason kept (its old id still answers) and its
deposit reservations released. A rebuild that changes nothing writes no row.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from prebill.audit.services import record
from prebill.bulk import insert_into, insert_rows, table, update_rows
from prebill.core.grouping import (
    BillingTerms,
    DraftPreInvoice,
    GroupableItem,
    ItemKind,
    LineMode,
    PaymentTerms,
    draft_digest,
    draft_identity,
    group_items,
    terms_change,
)
from prebill.core.ledger import to_bill_now
from prebill.core.money import ZERO
from prebill.core.periods import Period
from prebill.core.review import BILLED_NOW, Decision
from prebill.core.vat import VatRegime
from prebill.locks import drafts_lock

from .context import PortfolioContext
from .models import (
    OWED_QUANTITY,
    BillableItem,
    BillingRun,
    DepositReservation,
    PreInvoice,
    PreInvoiceLine,
    PreInvoiceVat,
    RemovedDraft,
)


@dataclass
class DraftsResult:
    pre_invoices: int = 0
    lines: int = 0
    items: int = 0
    created: int = 0
    changed: int = 0
    removed: int = 0
    total_excluding_vat: Decimal = ZERO
    total_vat: Decimal = ZERO
    total_including_vat: Decimal = ZERO
    not_billed_now: Counter = field(default_factory=Counter)
    excess_to_credit: int = 0

    def add(self, other: DraftsResult) -> None:
        """Count in another part of the same month (the run goes a few hundred clients at a time)."""
        for name in ("pre_invoices", "lines", "items", "created", "changed", "removed", "total_excluding_vat",
                     "total_vat", "total_including_vat", "excess_to_credit"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.not_billed_now.update(other.not_billed_now)


SCOPED_AT_MOST = 500
CHUNK = 500  # ids per IN list (SQLite's variable limit, PostgreSQL's plan size)

TERM_COLUMNS = ("invoice_date", "billing_address_id", "currency", "vat_regime", "payment_terms_days",
                "end_of_month", "payment_method", "line_mode", "grouping_reason")
TOTAL_COLUMNS = ("total_excluding_vat", "total_vat", "total_including_vat")
LINE_COLUMNS = (
    "pre_invoice_id", "position", "kind", "line_key", "article_id", "designation", "designation_override",
    "quantity", "unit", "unit_price", "amount", "vat_rate", "service_start", "service_end", "manual_position",
)


def rebuild_drafts(period: Period, ctx: PortfolioContext | None = None, run: BillingRun | None = None,
                   clients: Collection[int] | None = None) -> DraftsResult:
    """Bring the period's drafts in step with their items; only those of `clients` when given (an action
    on a few clients' items: a draft's client is its items' engagement's client). Without `ctx`, the
    portfolio context is read for those clients only."""
    if clients is not None and not clients:
        return DraftsResult()
    drafts_lock(period.first_day)
    if clients is not None and len(clients) <= SCOPED_AT_MOST:
        # Drafts of other clients holding these clients' items (an engagement that changed client) too.
        clients = set(clients) | set(PreInvoice.objects.filter(
            period=period.first_day, source=PreInvoice.Source.RUN, lines__items__engagement__client_id__in=clients,
        ).values_list("client_id", flat=True))
    if clients is not None and len(clients) > SCOPED_AT_MOST:
        clients = None  # past a few hundred clients, one pass over the month is cheaper than long IN lists
    scope = _Scope(period, None if clients is None else sorted(clients))
    if ctx is None or not ctx.covers(scope.clients):
        ctx = PortfolioContext.load(scope.clients)  # a context read for fewer clients than the drafts touched
    result = DraftsResult()
    for row in (
        scope.items(BillableItem.objects.filter(period=period.first_day, status=BillableItem.Status.PENDING))
        .exclude(decision__in=list(BILLED_NOW)).values("decision").order_by().annotate(count=Count("id"))
    ):
        result.not_billed_now[row["decision"]] = row["count"]
    wanted = _drafts_owed(scope, ctx)
    _write(scope, wanted, run, result)
    for draft in wanted.values():
        totals = draft.totals
        result.total_excluding_vat += totals.excluding_vat
        result.total_vat += totals.vat
        result.total_including_vat += totals.including_vat
        result.lines += len(draft.lines)
        result.items += sum(len(line.item_ids) for line in draft.lines)
    result.pre_invoices = len(wanted)
    if clients is None:
        # Invoiced beyond what is owed now (time lowered or made not billable after invoicing).
        result.excess_to_credit = excess_to_credit().count()
    return result


def excess_to_credit():
    """Items invoiced beyond what they owe now (time lowered or made not billable, hours lowered in a
    review after invoicing), whatever their status: a credit note corrects them. What was written off
    for good is not owed any more, but never makes an excess by itself."""
    return BillableItem.objects.alias(
        billable=Greatest(OWED_QUANTITY - F("written_off_quantity"), Value(0)),
    ).filter(billed_quantity__gt=F("billable"))


def refresh_drafts(item_ids: Iterable[int], ctx: PortfolioContext | None = None,
                   also_periods: Iterable[date] = ()) -> DraftsResult:
    """After a change to these items (a review edit, a decision, a cost joined...), bring the drafts of
    their clients and months in step, in the caller's transaction; `also_periods`: months the items
    left (their drafts there lose them)."""
    pairs = defaultdict(set)
    ids = list(item_ids)
    clients = set()
    for start in range(0, len(ids), CHUNK):
        for first_day, client_id in BillableItem.objects.filter(pk__in=ids[start:start + CHUNK]).values_list(
                "period", "engagement__client_id").distinct():
            pairs[first_day].add(client_id)
            clients.add(client_id)
    for first_day in also_periods:
        pairs[first_day] |= clients
    result = DraftsResult()
    for first_day, clients in sorted(pairs.items()):
        done = rebuild_drafts(Period.of(first_day), ctx, clients=clients)
        result.changed += done.changed
        result.created += done.created
        result.removed += done.removed
    return result


def drafts_now(period: Period, client_id: int, ctx: PortfolioContext) -> dict[str, DraftPreInvoice]:
    """What one client's items owe now in the period, by document key (read under the caller's locks)."""
    return {key: draft for (client, key), draft in _drafts_owed(_Scope(period, [client_id]), ctx).items()
            if client == client_id}


def _drafts_owed(scope: _Scope, ctx: PortfolioContext) -> dict[tuple, DraftPreInvoice]:
    """The drafts the scope's items give now, by (client, document key)."""
    return {
        (draft.terms.client, draft_identity(draft, period_end=scope.period.last_day,
                                            default_address=ctx.default_address.get(draft.terms.client))): draft
        for draft in group_items(_groupable_items(scope, ctx))
    }


@dataclass(frozen=True)
class _Scope:
    """The period's drafts, or only some clients' of it."""

    period: Period
    clients: list[int] | None

    def items(self, rows):
        return rows if self.clients is None else rows.filter(engagement__client_id__in=self.clients)

    def documents(self, rows, via: str = ""):
        rows = rows.filter(**{f"{via}period": self.period.first_day, f"{via}source": PreInvoice.Source.RUN})
        return rows if self.clients is None else rows.filter(**{f"{via}client_id__in": self.clients})


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
        "adjusted_quantity", "adjusted_amount", "billed_quantity", "written_off_quantity", "joins_installment_id",
        "grouped_by_collaborator", "training_option", "training_charge__sponsor_id", "vat_exempt",
        "installment__period_start",
    ).order_by("id")
    terms_cache: dict = {}
    for (item_id, kind, engagement_id, part_id, installment_id, collaborator_id, article_id, quantity, unit,
         unit_price, amount, vat_rate, designation, service_date, invoice_date, decision, adj_quantity,
         adj_amount, billed, written_off, joins, by_collaborator, training_option, sponsor,
         exempt, period_start) in rows.iterator(chunk_size=10000):
        terms = terms_cache.get((engagement_id, invoice_date, exempt))
        if terms is None:
            terms = ctx.terms(engagement_id, invoice_date)
            if exempt:  # exempt training goes on a document of its own VAT regime
                terms = dataclasses.replace(terms, vat_regime=VatRegime.EXEMPT)
            terms_cache[(engagement_id, invoice_date, exempt)] = terms
        if adj_quantity is not None or adj_amount is not None or billed or written_off:
            quantity, amount = to_bill_now(quantity, unit_price, amount, billed=billed, written_off=written_off,
                                           adjusted_quantity=adj_quantity, adjusted_amount=adj_amount)
        if quantity <= 0:
            continue  # nothing (more) is owed; an excess is corrected by a credit note
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
            joins_installment=joins, by_collaborator=by_collaborator, training_option=training_option,
            training_sponsor=sponsor, service_start=period_start if period_start and period_start <= service_date
            else None,
        )


def _write(scope: _Scope, wanted: dict[tuple, DraftPreInvoice], run: BillingRun | None,
           result: DraftsResult) -> None:
    """Write the difference between the stored drafts and `wanted`, keyed by (client, document key)."""
    stored = {
        (client_id, key): (pk, digest) for pk, client_id, key, digest in scope.documents(PreInvoice.objects)
        .values_list("id", "client_id", "document_key", "content_hash").iterator()
    }
    digests = {key: draft_digest(draft) for key, draft in wanted.items()}
    changed = {key: stored[key][0] for key in wanted if key in stored and stored[key][1] != digests[key]}
    created = [key for key in wanted if key not in stored]
    vanished = {key: stored[key][0] for key in stored if key not in wanted}
    result.created, result.changed, result.removed = len(created), len(changed), len(vanished)
    if not (changed or created or vanished):
        return
    now = timezone.now()
    rewritten = list(changed.values())
    before = _before(rewritten)
    edits = _presentation_edits(rewritten)
    held = _held_items(list(vanished.values()))
    _unlink([*rewritten, *vanished.values()])
    _delete_content([*rewritten, *vanished.values()])
    update_rows(PreInvoice, (*TERM_COLUMNS, *TOTAL_COLUMNS, "content_hash", "last_change", "run_id", "updated_at"), (
        (*_terms_row(wanted[key]), *_totals_row(wanted[key]), digests[key],
         _what_changed(before[pk], wanted[key])[:500], run.pk if run else None, now, pk)
        for key, pk in changed.items()))
    _bump_versions(rewritten)
    _trim_reservations({pk: wanted[key].totals.including_vat for key, pk in changed.items()})
    insert_rows(PreInvoice, ("period", "client_id", "document_key", *TERM_COLUMNS, *TOTAL_COLUMNS, "content_hash",
                             "run_id", "created_at", "updated_at"), (
        (scope.period.first_day, key[0], key[1], *_terms_row(wanted[key]), *_totals_row(wanted[key]), digests[key],
         run.pk if run else None, now, now) for key in created))
    ids = {key: pk for key, (pk, _) in stored.items() if key in wanted}
    ids.update(_ids_of(scope, created))
    _write_content({ids[key]: wanted[key] for key in (*changed, *created)}, edits)
    _remove(vanished, held, wanted, ids, scope.period)


def _terms_row(draft: DraftPreInvoice) -> tuple:
    t = draft.terms
    return (t.invoice_date, t.address, t.currency, t.vat_regime.value, t.payment_terms.days,
            t.payment_terms.end_of_month, t.payment_method, t.line_mode.value, draft.reason[:300])


def _totals_row(draft: DraftPreInvoice) -> tuple:
    totals = draft.totals
    return totals.excluding_vat, totals.vat, totals.including_vat


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _ids_of(scope: _Scope, keys: list[tuple]) -> dict[tuple, int]:
    if not keys:
        return {}
    wanted = set(keys)
    clients = sorted({client for client, _ in keys})
    found = {}
    rows = PreInvoice.objects.filter(period=scope.period.first_day, source=PreInvoice.Source.RUN)
    chunks = [None] if scope.clients is None and len(clients) > CHUNK else list(_chunks(clients))
    for chunk in chunks:
        part = rows if chunk is None else rows.filter(client_id__in=chunk)
        for pk, client_id, key in part.values_list("id", "client_id", "document_key").iterator():
            if (client_id, key) in wanted:
                found[(client_id, key)] = pk
    return found


@dataclass
class _Before:
    terms: tuple
    total: Decimal
    lines: dict[str, tuple[str, Decimal, Decimal]]


def _before(pks: list[int]) -> dict[int, _Before]:
    """What the drafts about to change showed, to say what changed."""
    before = {}
    for chunk in _chunks(pks):
        for pk, *values in PreInvoice.objects.filter(pk__in=chunk).values_list("id", *TERM_COLUMNS[:-1],
                                                                               "total_excluding_vat"):
            before[pk] = _Before(tuple(values[:-1]), values[-1], {})
        for pre_id, key, designation, override, quantity, amount in PreInvoiceLine.objects.filter(
                pre_invoice_id__in=chunk).values_list("pre_invoice_id", "line_key", "designation",
                                                      "designation_override", "quantity", "amount"):
            before[pre_id].lines[key] = (override or designation, quantity, amount)
    return before


def _what_changed(before: _Before, draft: DraftPreInvoice) -> str:
    """The change in the clerk's words: terms, lines added, removed or changed, total."""
    invoice_date, address, currency, regime, days, eom, method, mode = before.terms
    old_terms = BillingTerms(client=draft.terms.client, invoice_date=invoice_date, address=address, currency=currency,
                             vat_regime=VatRegime(regime), payment_terms=PaymentTerms(days, eom),
                             payment_method=method, line_mode=LineMode(mode), conditions_of=draft.terms.conditions_of)
    changes = [terms_change(old_terms, draft.terms)] if old_terms != draft.terms else []
    new_lines = {line.key: line for line in draft.lines}
    for key, (designation, quantity, amount) in before.lines.items():
        line = new_lines.get(key)
        if line is None:
            changes.append(f"ligne retirée : {designation[:60]} ({amount})")
        elif (line.quantity, line.amount) != (quantity, amount):
            changes.append(f"{designation[:60]} : {_plain(quantity)} → {_plain(line.quantity)}, {amount} → {line.amount}")
    for key, line in new_lines.items():
        if key not in before.lines:
            changes.append(f"ligne ajoutée : {line.designation[:60]} ({line.amount})")
    total = draft.totals.excluding_vat
    if total != before.total:
        changes.append(f"total HT {before.total} → {total}")
    return "; ".join(change for change in changes if change) or "lignes refaites à l'identique"


def describe_difference(pre_invoice_id: int, draft: DraftPreInvoice) -> str:
    """What a stored draft shows that `draft` (what its items owe now) does not, in the clerk's words."""
    return _what_changed(_before([pre_invoice_id])[pre_invoice_id], draft)


def _plain(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def _presentation_edits(pks: list[int]) -> dict[tuple[int, str], tuple[str, int | None]]:
    """What people typed or reordered on the lines of drafts about to be rewritten, by draft and line key."""
    edits = {}
    for chunk in _chunks(pks):
        for pre_id, line_key, text, position in PreInvoiceLine.objects.filter(pre_invoice_id__in=chunk).filter(
                ~Q(designation_override="") | Q(manual_position__isnull=False)).values_list(
                "pre_invoice_id", "line_key", "designation_override", "manual_position"):
            edits[(pre_id, line_key)] = (text, position)
    return edits


def _unlink(pks: list[int]) -> None:
    """Items of these drafts' lines point nowhere (until linked to the new lines)."""
    with connection.cursor() as cursor:
        for chunk in _chunks(pks):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {table(BillableItem)} SET pre_invoice_line_id = NULL WHERE pre_invoice_line_id IN "
                f"(SELECT id FROM {table(PreInvoiceLine)} WHERE pre_invoice_id IN ({marks}))", chunk)


def _delete_content(pks: list[int]) -> None:
    with connection.cursor() as cursor:
        for chunk in _chunks(pks):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table(PreInvoiceVat)} WHERE pre_invoice_id IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM {table(PreInvoiceLine)} WHERE pre_invoice_id IN ({marks})", chunk)


def _bump_versions(pks: list[int]) -> None:
    for chunk in _chunks(pks):
        PreInvoice.objects.filter(pk__in=chunk).update(version=F("version") + 1)


def _write_content(drafts: dict[int, DraftPreInvoice], edits: dict) -> None:
    """Lines, item links and VAT rows of drafts whose content is (re)written."""
    if not drafts:
        return
    insert_rows(PreInvoiceLine, LINE_COLUMNS, _line_rows(drafts, edits))
    line_ids = {}
    for chunk in _chunks(sorted(drafts)):
        line_ids.update({(pre_id, key): pk for pk, pre_id, key in PreInvoiceLine.objects.filter(
            pre_invoice_id__in=chunk).values_list("id", "pre_invoice_id", "line_key").iterator(10000)})
    _link_items([(item_id, line_ids[(pk, line.key)])
                 for pk, draft in drafts.items() for line in draft.lines for item_id in line.item_ids])
    insert_rows(PreInvoiceVat, ("pre_invoice_id", "rate", "base", "vat"), (
        (pk, v.rate, v.base, v.vat) for pk, draft in drafts.items() for v in draft.vat))


def _line_rows(drafts: dict[int, DraftPreInvoice], edits: dict):
    for pk, draft in drafts.items():
        for position, line in enumerate(in_user_order(draft.lines, pk, edits), start=1):
            text, manual_position = edits.get((pk, line.key), ("", None))
            yield (pk, position, line.kind.value, line.key, line.article, line.designation[:500], text, line.quantity,
                   line.unit, line.unit_price, line.amount, line.vat_rate, line.service_start, line.service_end,
                   manual_position)


def in_user_order(lines: list, pk: int, edits: dict) -> list:
    """Lines a user placed come first in the order given; the others follow in the rulebook's order."""
    def place(indexed):
        index, line = indexed
        position = edits.get((pk, line.key), ("", None))[1]
        return (0, position, index) if position is not None else (1, 0, index)

    return [line for _, line in sorted(enumerate(lines), key=place)]


def _link_items(links: list[tuple[int, int]]) -> None:
    """Point each item at its line: one bulk insert into a scratch table and one UPDATE."""
    if not links:
        return
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


def _held_items(pks: list[int]) -> dict[int, list[int]]:
    held = defaultdict(list)
    for chunk in _chunks(pks):
        for item_id, pre_id in BillableItem.objects.filter(pre_invoice_line__pre_invoice_id__in=chunk).values_list(
                "id", "pre_invoice_line__pre_invoice_id"):
            held[pre_id].append(item_id)
    return held


def _remove(vanished: dict[tuple, int], held: dict[int, list[int]], wanted: dict[tuple, DraftPreInvoice],
            ids: dict[tuple, int], period: Period) -> None:
    """Drafts left without items: their reason is kept, their deposit reservations released."""
    if not vanished:
        return
    successor_of_item = {item_id: ids[key] for key, draft in wanted.items()
                         for line in draft.lines for item_id in line.item_ids}
    now = timezone.now()
    removed = []
    for (client_id, key), pk in vanished.items():
        successors = Counter(successor_of_item[i] for i in held[pk] if i in successor_of_item)
        successor = successors.most_common(1)[0][0] if successors else None
        removed.append(RemovedDraft(
            pre_invoice_id=pk, period=period.first_day, client_id=client_id, document_key=key,
            why=RemovedDraft.Why.MOVED if successor else RemovedDraft.Why.NO_ITEMS, successor_id=successor,
            removed_at=now))
    released = _release_reservations(list(vanished.values()))
    for entry in removed:
        entry.released_deposits = released.get(entry.pre_invoice_id, ZERO)
    RemovedDraft.objects.bulk_create(removed)
    with connection.cursor() as cursor:
        for chunk in _chunks(list(vanished.values())):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table(PreInvoice)} WHERE id IN ({marks})", chunk)


def _trim_reservations(totals: dict[int, Decimal]) -> None:
    """A draft that shrank keeps no more set aside than it owes: the latest reservations give the
    difference back to their deposits, audited."""
    reserved = defaultdict(list)
    for chunk in _chunks(list(totals)):
        for reservation in DepositReservation.objects.select_for_update().filter(
                pre_invoice_id__in=chunk).order_by("pk"):
            reserved[reservation.pre_invoice_id].append(reservation)
    for pre_id, reservations in reserved.items():
        over = sum((r.amount for r in reservations), ZERO) - max(totals[pre_id], ZERO)
        for reservation in reversed(reservations):
            if over <= 0:
                break
            back = min(over, reservation.amount)
            record(user=None, action="release_deposit", obj=reservation.payment,
                   before={"pre_invoice": pre_id, "amount": str(reservation.amount)},
                   after={"amount": str(reservation.amount - back), "reason": "the pre-invoice owes less"})
            if back == reservation.amount:
                reservation.delete()
            else:
                DepositReservation.objects.filter(pk=reservation.pk).update(amount=reservation.amount - back)
            over -= back


def _release_reservations(pre_invoice_ids: list[int]) -> dict[int, Decimal]:
    """Drafts that disappear give their reservations back to the deposits, audited; what each released."""
    released: dict[int, Decimal] = {}
    for reservation in DepositReservation.objects.select_for_update().filter(
            pre_invoice_id__in=pre_invoice_ids).order_by("pk"):
        record(user=None, action="release_deposit", obj=reservation.payment,
               before={"pre_invoice": reservation.pre_invoice_id, "amount": str(reservation.amount)},
               after={"reason": "the pre-invoice no longer exists"})
        released[reservation.pre_invoice_id] = released.get(reservation.pre_invoice_id, ZERO) + reservation.amount
        reservation.delete()
    return released


def save_kept_drafts(drafts: list[DraftPreInvoice], *, period: Period, source: str, origin: str) -> list[PreInvoice]:
    """Write drafts that runs leave alone (a confirmed review), linking their items; a few at a time, so
    plain ORM writes."""
    saved = []
    now = timezone.now()
    for number, draft in enumerate(drafts, start=1):
        document = PreInvoice.objects.create(
            period=period.first_day, client_id=draft.terms.client, document_key=f"{origin}|{number}"[:300],
            **dict(zip(TERM_COLUMNS, _terms_row(draft), strict=True)),
            **dict(zip(TOTAL_COLUMNS, _totals_row(draft), strict=True)),
            content_hash=draft_digest(draft), source=source, copied_from=origin, created_at=now, updated_at=now)
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

