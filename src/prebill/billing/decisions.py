"""Decisions a clerk takes where the drafts are: postpone to a later month, write off, put on hold, bill again.

A decision is stored on the billable items (it survives runs and rebuilds), audited item by item, and the
drafts of their months follow in the same transaction. The review wizard moves its elements with the same
`decide_items`; on the pages a decision acts on whole pre-invoices (one, or a selection of the month page)
or on one line, and is refused when the pre-invoice changed since the clerk saw it (its version).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from prebill.accounts.roles import acting_user
from prebill.audit.models import AuditEvent
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.core.review import Decision
from prebill.locks import drafts_lock, retrying

from .drafts import CHUNK, DraftsResult, refresh_drafts
from .models import BillableItem, PreInvoice, PreInvoiceLine
from .selectors import SET_ASIDE, removed_draft

DECIDED = {"postpone": Decision.BILL_LATER, "write_off": Decision.WRITE_OFF, "put_on_hold": Decision.ON_HOLD}
# Their audit actions ("postpone", "write_off", "put_on_hold", "bill_again") are worded by prebill.audit.sentences.


class DecisionRefused(Refusal):
    """The decision is refused (a month that is not later, no reason, a pre-invoice that changed...)."""


def later_month(current: date, to: date | None) -> date:
    """The first day of the month of `to`, refused unless that month comes after the month of `current`."""
    if to is None or Period.of(to).first_day <= Period.of(current).first_day:
        raise DecisionRefused(gettext("Bill later needs a later month."))
    return Period.of(to).first_day


def changed_since(seen: int, now: int, change: str) -> str:
    """Why an act on a pre-invoice is refused when it is no longer the version the clerk saw."""
    return gettext("This pre-invoice changed since you saw it (version %(seen)s, now %(now)s): %(change)s. "
                   "Look at it again.") % {"seen": seen, "now": now, "change": change or "-"}


def decide_items(items: Iterable[tuple[int, str]], decision: Decision, *, postponed_to: date | None = None,
                 user=None, action: str, note: dict | None = None,
                 note_of: Mapping[int, dict] | None = None) -> DraftsResult:
    """Give these items (id, decision before) the decision, audit each one (`note` joins every record, `note_of`
    an item's own: a review, a pre-invoice, a reason) and bring their drafts in step, in the caller's
    transaction (which locked the items)."""
    items = list(items)
    ids = [pk for pk, _ in items]
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        BillableItem.objects.filter(pk__in=ids[start:start + CHUNK]).update(
            decision=decision, postponed_to=postponed_to, updated_at=now)
    after = {"decision": decision.value, "postponed_to": str(postponed_to or ""), **(note or {})}
    AuditEvent.objects.bulk_create(
        [AuditEvent(user=acting_user(user), action=action, object_type=BillableItem._meta.label_lower,
                    object_id=str(pk), before={"decision": before}, after={**after, **(note_of or {}).get(pk, {})})
         for pk, before in items],
        batch_size=CHUNK)
    return refresh_drafts(ids)  # the drafts show what the items owe now, in this transaction


@retrying
def decide_on_pre_invoices(*, drafts: Sequence[tuple[int, int | None]], to: str, postpone_to: date | None = None,
                           reason: str = "", line_id: int | None = None, user=None) -> int:
    """Postpone (to a later month), write off (with a reason) or put on hold what pre-invoices bill: each given
    as (id, version seen; None: not checked), or one line of a single one. All or nothing: a pre-invoice that
    went or changed since it was seen refuses the whole decision. Returns how many items were decided."""
    if to not in DECIDED:
        raise DecisionRefused(gettext("Unknown decision: %(to)s.") % {"to": to})
    reason = reason.strip()[:500]
    if to == "write_off" and not reason:
        raise DecisionRefused(gettext("Say why it is written off."))
    if not drafts:
        raise DecisionRefused(gettext("Choose the pre-invoices to decide on."))
    seen = dict(drafts)
    ids = sorted(seen)
    # The lock order: the months' drafts locks, then the items, then the drafts.
    periods = _periods_of(ids)
    for first_day in periods:
        drafts_lock(first_day)
    items = BillableItem.objects.select_for_update(of=("self",)).filter(status=BillableItem.Status.PENDING)
    found = []
    for chunk in _chunks(ids):
        rows = items.filter(pre_invoice_line__pre_invoice_id__in=chunk)
        if line_id is not None:
            rows = rows.filter(pre_invoice_line_id=line_id)
        found += list(rows.order_by("pk").values_list("pk", "decision", "pre_invoice_line__pre_invoice_id"))
    stored = _locked_drafts(ids)
    _check(ids, seen, stored, line_id)
    postponed_to = None
    if to == "postpone":
        postponed_to = max(later_month(period, postpone_to) for _, _, period, _ in stored.values())
    if not found:
        raise DecisionRefused(gettext("Nothing left to decide on: these lines bill no item waiting for an invoice."))
    note = {**({"line": line_id} if line_id else {}), **({"reason": reason} if reason else {})}
    decide_items([(pk, decision) for pk, decision, _ in found], DECIDED[to], postponed_to=postponed_to, user=user,
                 action=to, note=note, note_of={pk: {"pre_invoice": pre} for pk, _, pre in found})
    return len(found)


def _locked_drafts(ids: list[int]) -> dict[int, tuple]:
    """The pre-invoices, locked: id -> (version, source, period, last change), what _check reads."""
    stored = {}
    for chunk in _chunks(ids):
        stored.update({pk: (version, source, period, change) for pk, version, source, period, change in
                       PreInvoice.objects.select_for_update().filter(pk__in=chunk).values_list(
                           "pk", "version", "source", "period", "last_change")})
    return stored


def _check(ids: list[int], seen: dict, stored: dict, line_id: int | None) -> None:
    gone = [pk for pk in ids if pk not in stored]
    if gone:
        raise DecisionRefused(removed_draft(gone[0])["detail"] if len(ids) == 1 else gettext(
            "Pre-invoices no longer exist (%(ids)s): nothing was decided; look at the month again.")
            % {"ids": ", ".join(f"#{pk}" for pk in gone)})
    stale = [pk for pk in ids if seen[pk] is not None and seen[pk] != stored[pk][0]]
    if len(ids) == 1 and stale:
        pk = ids[0]
        raise DecisionRefused(changed_since(seen[pk], stored[pk][0], stored[pk][3]))
    if stale:
        raise DecisionRefused(gettext(
            "Pre-invoices changed since the page was shown (%(ids)s): nothing was decided; look at them again.")
            % {"ids": ", ".join(f"#{pk}" for pk in stale)})
    kept = [pk for pk in ids if stored[pk][1] != PreInvoice.Source.RUN]
    if kept:
        raise DecisionRefused(gettext(
            "Pre-invoice #%(pk)s does not follow its items (a copy, a processed pro forma or a confirmed review): "
            "decide on the items where they are.") % {"pk": kept[0]})
    if line_id is not None and not PreInvoiceLine.objects.filter(pk=line_id, pre_invoice_id__in=ids).exists():
        raise DecisionRefused(gettext("This line is no longer on the pre-invoice: look at it again."))


@retrying
def bill_again(*, item_ids: Sequence[int], user=None) -> int:
    """Put items set aside (postponed, on hold, written off) back to bill now; their drafts follow. Refused,
    changing nothing, when one of them is no longer set aside."""
    ids = sorted(set(item_ids))
    if not ids:
        raise DecisionRefused(gettext("Choose the items to bill again."))
    for first_day in sorted({day for chunk in _chunks(ids) for day in BillableItem.objects.filter(
            pk__in=chunk).values_list("period", flat=True).distinct()}):
        drafts_lock(first_day)
    found = []
    for chunk in _chunks(ids):
        found += list(BillableItem.objects.select_for_update(of=("self",)).filter(
            pk__in=chunk, status=BillableItem.Status.PENDING, decision__in=list(SET_ASIDE)).order_by("pk")
            .values_list("pk", "decision"))
    if len(found) != len(ids):
        raise DecisionRefused(gettext("Some of these items are no longer set aside (billed or decided meanwhile): "
                                      "nothing was changed; look at the list again."))
    decide_items(found, Decision.BILL_NOW, user=user, action="bill_again")
    return len(found)


@retrying
def change_quantity(*, pre_invoice_id: int, version: int | None, item_id: int, quantity: Decimal,
                    user=None) -> BillableItem:
    """Bill another quantity of one item of a pre-invoice, in the item's unit (the source itself never changes);
    audited, and the draft follows at once. Refused when the pre-invoice changed since it was seen."""
    if quantity < 0:
        raise DecisionRefused(gettext("A quantity billed is zero or more."))
    periods = _periods_of([pre_invoice_id])
    for first_day in periods:
        drafts_lock(first_day)
    _check([pre_invoice_id], {pre_invoice_id: version}, _locked_drafts([pre_invoice_id]), None)
    item = BillableItem.objects.select_for_update(of=("self",)).filter(
        pk=item_id, status=BillableItem.Status.PENDING, pre_invoice_line__pre_invoice_id=pre_invoice_id).first()
    if item is None:
        raise DecisionRefused(gettext("This item is no longer on the pre-invoice: look at it again."))
    before = item.adjusted_quantity if item.adjusted_quantity is not None else item.quantity
    item.adjusted_quantity = None if quantity == item.quantity else quantity
    item.save(update_fields=["adjusted_quantity", "updated_at"])
    AuditEvent.objects.create(user=acting_user(user), action="change_quantity",
                              object_type=BillableItem._meta.label_lower, object_id=str(item.pk),
                              before={"quantity": str(before)},
                              after={"quantity": str(quantity), "pre_invoice": pre_invoice_id})
    refresh_drafts([item.pk])
    return item


def _periods_of(pre_invoice_ids: list[int]) -> list[date]:
    return sorted({day for chunk in _chunks(pre_invoice_ids) for day in PreInvoice.objects.filter(
        pk__in=chunk).values_list("period", flat=True).distinct()})


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]

