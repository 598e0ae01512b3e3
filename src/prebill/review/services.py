"""The periodic billing wizard: scope (1), review (2), matching with customer orders (3), confirmation (4).

Every decision is stored on the billable items (they survive runs and rebuilds) and audited; the
time entries themselves are never altered. Confirmation writes the pre-invoices of the scope's
"bill now" elements; an element already confirmed by someone else is never billed twice.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from prebill.accounts.roles import acting_user
from prebill.activity.models import ManualElement
from prebill.audit.services import record
from prebill.billing.context import PortfolioContext
from prebill.billing.decisions import DecisionRefused, decide_items, later_month
from prebill.billing.drafts import groupable_items, rebuild_drafts, refresh_drafts, save_kept_drafts
from prebill.billing.models import BillableItem, PreInvoice
from prebill.catalogue.models import Article
from prebill.core.grouping import ItemKind, LineMode, group_items
from prebill.core.money import round_money
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.core.review import BILLED_NOW, Decision
from prebill.core.valuation import line_amount
from prebill.engagements.models import Engagement, Task
from prebill.locks import retrying
from prebill.orders.models import CustomerOrder, DeliveryNoteLine, OrderAllocation, OrderLine
from prebill.organisation.models import Organisation

from .models import ReviewSession
from .scope import Scope, items_in_scope

BILLABLE = {"yes": Decision.BILL_NOW, "no": Decision.WRITE_OFF, "undecided": Decision.ON_HOLD}
MOVES = {
    "bill_now": Decision.BILL_NOW, "accrued": Decision.ACCRUED, "bill_later": Decision.BILL_LATER,
    "extra": Decision.ON_HOLD, "not_billed": Decision.WRITE_OFF, "standalone": Decision.STANDALONE,
}


class ReviewRefused(Refusal):

    """The wizard refuses the step; the message says why."""


def _plain(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"



def scope_to_json(scope: Scope) -> dict:
    data = dataclasses.asdict(scope)
    data.update(start=scope.start.isoformat(), end=scope.end.isoformat(), task_statuses=sorted(scope.task_statuses))
    return data


def scope_from_json(data: dict) -> Scope:
    return Scope(**{**data, "start": date.fromisoformat(data["start"]), "end": date.fromisoformat(data["end"]),
                    "task_statuses": frozenset(data["task_statuses"])})


def start(*, scope: Scope, options: dict | None = None, label: str = "", user=None) -> ReviewSession:
    """Step 1: a review of what the scope selects; the session keeps its state until confirmed."""
    if scope.end < scope.start:
        raise ReviewRefused(gettext("The period ends before it starts."))
    session = ReviewSession.objects.create(label=label[:200], scope=scope_to_json(scope), options=options or {},
                                           step=2, created_by=acting_user(user))
    record(user=user, action="start_review", obj=session, before={}, after={"scope": session.scope})
    return session


def _open(session_id: int, *, lock: bool = False) -> ReviewSession:
    sessions = ReviewSession.objects.select_for_update() if lock else ReviewSession.objects
    session = sessions.filter(pk=session_id).first()
    if session is None:
        raise ReviewRefused(gettext("This review no longer exists."))
    if session.state != ReviewSession.State.OPEN:
        who = session.confirmed_by or gettext("someone")
        raise ReviewRefused(gettext("This review is %(state)s (by %(who)s): start a new one.")
                            % {"state": session.get_state_display(), "who": who})
    return session


def elements(session: ReviewSession) -> QuerySet[BillableItem]:
    """The scope's pending elements still free: not on a pro forma nor on a pre-invoice kept by runs."""
    return items_in_scope(scope_from_json(session.scope)).filter(
        Q(pre_invoice_line__isnull=True) | Q(pre_invoice_line__pre_invoice__source=PreInvoice.Source.RUN),
        pro_forma_item__isnull=True)


def _element(session: ReviewSession, item_id: int) -> BillableItem:
    item = elements(session).select_for_update(of=("self",)).filter(pk=item_id).first()
    if item is None:
        raise ReviewRefused(gettext("Element %(pk)s is not in this review (or no longer free).") % {"pk": item_id})
    return item


def save_step(*, session_id: int, step: int, user=None) -> ReviewSession:
    """Remember where the user is, so that leaving and coming back resumes there."""
    session = _open(session_id)
    session.step = min(max(step, 1), 4)
    session.save(update_fields=["step", "updated_at"])
    return session


# Step 2: review -----------------------------------------------------------------------------------

@retrying
def edit_time(*, session_id: int, item_id: int, billable: str | None = None, hours: Decimal | None = None,
              task: str | None = None, activity: str | None = None, domain: str | None = None,
              article: str | None = None, user=None) -> BillableItem:
    """Change how a time entry is billed: billable yes/no/undecided, billable hours, task, activity, domain,
    article and sub-code. The entry itself never changes; each edit is audited (who, when, before, after).
    The article applies at once; task, activity and domain also steer the article rules and the
    designation from the next run of the month."""
    org = Organisation.objects.first()
    if org is not None and not org.review_time_edits:
        raise ReviewRefused(gettext("This firm does not allow editing time in a review."))
    session = _open(session_id)
    item = _element(session, item_id)
    if item.kind != ItemKind.TIME:
        raise ReviewRefused(gettext("Only time is edited in the time tab."))
    fields = ("decision", "adjusted_quantity", "review_task_id", "review_activity", "review_domain",
              "review_article_id", "article_id")
    before = {name: str(getattr(item, name) or "") for name in fields}
    if billable is not None:
        if billable not in BILLABLE:
            raise ReviewRefused(gettext("Billable is yes, no or undecided."))
        item.decision = BILLABLE[billable]
    if hours is not None:
        if hours < 0 or hours > 24:
            raise ReviewRefused(gettext("Billable hours are between 0 and 24."))
        per_day = org.hours_per_day if org else Decimal(7)
        item.adjusted_quantity = (hours / per_day).quantize(Decimal("0.0001")) if item.unit == "day" else hours
    if task:
        found = Task.objects.filter(engagement_id=item.engagement_id, code=task).first()
        if found is None:
            raise ReviewRefused(gettext("The engagement has no task %(code)s.") % {"code": task})
        item.review_task = found
    if activity is not None:
        item.review_activity = activity.strip()[:50]
    if domain is not None:
        item.review_domain = domain.strip()[:50]
    if article:
        code, _, sub_code = article.partition("/")
        found = Article.objects.filter(code=code, sub_code=sub_code).first()
        if found is None:
            raise ReviewRefused(gettext("Unknown article %(code)s.") % {"code": article})
        item.review_article = item.article = found
        item.vat_rate = found.vat_rate
    item.save(update_fields=[*fields[:2], "review_task", "review_activity", "review_domain", "review_article",
                             "article", "vat_rate", "updated_at"])
    record(user=user, action="review_time", obj=item, before=before,
           after={**{name: str(getattr(item, name) or "") for name in fields}, "review": session.pk})
    refresh_drafts([item.pk])  # the drafts show what the items owe now, in this transaction
    return item


@retrying
def add_element(*, session_id: int, engagement_code: str, day: date, article_code: str, designation: str,
                quantity: Decimal, unit_price: Decimal, user=None) -> BillableItem:
    """A billable element entered by hand, billed like any other item."""
    session = _open(session_id)
    engagement = Engagement.objects.filter(code=engagement_code).first()
    code, _, sub_code = article_code.partition("/")
    article = Article.objects.filter(code=code, sub_code=sub_code).first()
    if engagement is None or article is None:
        raise ReviewRefused(gettext("Unknown engagement or article."))
    return _new_element(session, engagement=engagement, day=day, article=article, designation=designation,
                        quantity=quantity, unit_price=unit_price, user=user)


def delivery_lines(session: ReviewSession) -> QuerySet[DeliveryNoteLine]:
    """The delivery note lines of the scope (clients, engagements, dates) not billed yet."""
    scope = scope_from_json(session.scope)
    lines = DeliveryNoteLine.objects.filter(
        manual_element__isnull=True, note__date__range=(scope.start, scope.end)).select_related(
        "note__engagement", "note__client", "article")
    for prefix, low, high in (("note__client__code", scope.client_from, scope.client_to),
                              ("note__engagement__code", scope.engagement_from, scope.engagement_to)):
        if low:
            lines = lines.filter(**{f"{prefix}__gte": low})
        if high:
            lines = lines.filter(**{f"{prefix}__lte": high})
    return lines.order_by("note__date", "note__number", "position")


@retrying
def bill_delivery_note_line(*, session_id: int, line_id: int, user=None) -> BillableItem:
    """A delivered line becomes a billable element of the review (once)."""
    session = _open(session_id)
    line = delivery_lines(session).select_for_update(of=("self",)).filter(pk=line_id).first()
    if line is None:
        raise ReviewRefused(gettext("This delivery note line is not in the review, or is billed already."))
    return _new_element(session, engagement=line.note.engagement, day=line.note.date, article=line.article,
                        designation=f"{line.designation} (BL {line.note.number})", quantity=line.quantity,
                        unit_price=line.unit_price, delivery_note_line=line, user=user)


def _new_element(session: ReviewSession, *, engagement: Engagement, day: date, article: Article, designation: str,
                 quantity: Decimal, unit_price: Decimal, delivery_note_line=None, user=None) -> BillableItem:
    scope = scope_from_json(session.scope)
    if not scope.start <= day <= scope.end:
        raise ReviewRefused(gettext("The element's date is outside the review's period."))
    if quantity <= 0 or unit_price < 0 or not designation.strip():
        raise ReviewRefused(gettext("An element has a designation, a positive quantity and a price of zero or more."))
    element = ManualElement.objects.create(
        engagement=engagement, date=day, article=article, designation=designation.strip()[:500], quantity=quantity,
        unit_price=unit_price, delivery_note_line=delivery_note_line, created_by=acting_user(user))
    period = Period.of(day)
    item = BillableItem.objects.create(
        kind=ItemKind.MANUAL, client_id=engagement.client_id, engagement=engagement, manual_element=element,
        article=article, period=period.first_day, service_date=day, invoice_date=period.last_day,
        quantity=quantity, unit=article.unit, unit_price=unit_price, amount=line_amount(quantity, unit_price),
        vat_rate=article.vat_rate, designation=element.designation)
    record(user=user, action="add_element", obj=item, before={},
           after={"designation": item.designation, "amount": str(item.amount), "review": session.pk})
    refresh_drafts([item.pk])  # the drafts show what the items owe now, in this transaction
    return item


# Step 3: matching with customer orders ------------------------------------------------------------

def open_order_lines(item: BillableItem) -> list[OrderLine]:
    """The client's order lines this element may be billed against: same article, same engagement or none."""
    return list(OrderLine.objects.filter(
        Q(order__engagement__isnull=True) | Q(order__engagement_id=item.engagement_id),
        order__client_id=item.client_id, article_id=item.article_id, remaining_quantity__gt=0,
    ).select_related("order").order_by("order__date", "order__number", "position"))


def matches(session: ReviewSession) -> list[tuple[BillableItem, list[OrderLine], Decimal]]:
    """Each element with the open order lines it matches and the quantity already allocated."""
    items = list(elements(session).select_related("engagement", "article", "client").order_by(
        "client__code", "engagement__code", "service_date", "pk"))
    allocated = dict(OrderAllocation.objects.filter(item__in=items).values("item_id").annotate(
        total=Sum("quantity")).values_list("item_id", "total"))
    lines = list(OrderLine.objects.filter(
        order__client_id__in={item.client_id for item in items}, remaining_quantity__gt=0).select_related("order"))
    return [(item, [line for line in lines if line.order.client_id == item.client_id
                    and line.article_id == item.article_id
                    and line.order.engagement_id in (None, item.engagement_id)],
             allocated.get(item.pk) or Decimal(0)) for item in items]


@retrying
def move(*, session_id: int, item_id: int, to: str, postpone_to: date | None = None, user=None) -> BillableItem:
    """Bill now, to be invoiced (accrued), bill later, extra (on hold), not billed, or standalone line."""
    session = _open(session_id)
    item = _element(session, item_id)
    if to not in MOVES:
        raise ReviewRefused(gettext("Unknown move: %(to)s.") % {"to": to})
    try:
        postponed_to = later_month(item.period, postpone_to) if to == "bill_later" else None
    except DecisionRefused as refused:
        raise ReviewRefused(refused.message) from refused
    # Stored, audited and the drafts brought in step as the pre-billing pages' decisions are (billing.decisions).
    decide_items([(item.pk, item.decision)], MOVES[to], postponed_to=postponed_to, user=user, action="review_move",
                 note={"review": session.pk})
    item.refresh_from_db()
    if to == "standalone":
        _standalone_order_line(session, item, user)
    return item


def _standalone_order_line(session: ReviewSession, item: BillableItem, user) -> OrderLine:
    """An element billed apart gets an order line of its own, fully used by it."""
    order, _ = CustomerOrder.objects.get_or_create(
        client_id=item.client_id, number=f"REVUE-{session.pk}",
        defaults={"engagement_id": item.engagement_id, "date": date.today()})
    line = OrderLine.objects.create(
        order=order, position=order.lines.count() + 1, article_id=item.article_id, designation=item.designation,
        quantity=item.quantity, unit_price=item.unit_price, amount=item.amount, remaining_quantity=item.quantity,
        remaining_amount=item.amount, standalone=True)
    _allocate_to(line, item, item.quantity, user)
    return line


def _allocate_to(line: OrderLine, item: BillableItem, quantity: Decimal, user) -> OrderAllocation:
    # The last allocation takes what is left to the cent, so remainders never drift.
    amount = line.remaining_amount if quantity == line.remaining_quantity else round_money(quantity * line.unit_price)
    if amount > line.remaining_amount:
        amount = line.remaining_amount
    line.remaining_quantity -= quantity
    line.remaining_amount -= amount
    line.save(update_fields=["remaining_quantity", "remaining_amount"])
    return OrderAllocation.objects.create(line=line, item=item, quantity=quantity, amount=amount,
                                          allocated_by=acting_user(user))


@transaction.atomic
def allocate(*, session_id: int, item_id: int, order_line_id: int, quantity: Decimal, user=None) -> OrderAllocation:
    """Bill (part of) an element against an order line; the rest of the element is billed outside the order."""
    session = _open(session_id)
    item = _element(session, item_id)
    line = OrderLine.objects.select_for_update().select_related("order").filter(pk=order_line_id).first()
    if line is None or line not in open_order_lines(item):
        raise ReviewRefused(gettext("This order line does not match the element (client, engagement, article)."))
    already = item.order_allocations.aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    if quantity <= 0 or quantity > item.quantity - already or quantity > line.remaining_quantity:
        raise ReviewRefused(
            gettext("%(quantity)s cannot be allocated: %(left)s of the element and %(open)s of the order line are left.")
            % {"quantity": _plain(quantity), "left": _plain(item.quantity - already),
               "open": _plain(line.remaining_quantity)})
    allocation = _allocate_to(line, item, quantity, user)
    record(user=user, action="allocate_order", obj=item, before={"order_line": str(line)},
           after={"quantity": str(quantity), "amount": str(allocation.amount),
                  "remaining_quantity": str(line.remaining_quantity), "remaining_amount": str(line.remaining_amount)})
    return allocation


# Step 4: confirmation -----------------------------------------------------------------------------

def summary(session: ReviewSession) -> dict:
    """What confirming would do: elements per decision, those on hold, the invoices it would create."""
    items = elements(session)
    decisions = Counter(dict(items.values("decision").order_by().annotate(n=Count("id")).values_list("decision", "n")))
    drafts = _drafts(session, items.filter(decision__in=list(BILLED_NOW)))
    return {"decisions": sorted(decisions.items()), "on_hold": decisions.get(Decision.ON_HOLD, 0),
            "invoices": [(draft.terms.client, draft.reason, draft.totals) for draft in drafts]}


def _drafts(session: ReviewSession, items: QuerySet, ctx: PortfolioContext | None = None):
    options = session.options or {}
    grouped = groupable_items(items, ctx or PortfolioContext.load())
    if options.get("line_mode"):
        mode = LineMode(options["line_mode"])
        grouped = (dataclasses.replace(item, terms=dataclasses.replace(item.terms, line_mode=mode))
                   for item in grouped)
    if options.get("invoice_date"):
        day = date.fromisoformat(options["invoice_date"])
        grouped = (dataclasses.replace(item, terms=dataclasses.replace(item.terms, invoice_date=day))
                   for item in grouped)
    return group_items(grouped)


@retrying
def confirm(*, session_id: int, user=None) -> list[PreInvoice]:
    """Create the pre-invoices of the scope's "bill now" elements. Refused while an element is on hold
    (extra), and when another review confirmed some of the same elements first."""
    session = _open(session_id, lock=True)
    scope = scope_from_json(session.scope)
    in_scope = items_in_scope(scope).filter(decision__in=list(BILLED_NOW))
    ids = list(in_scope.values_list("pk", flat=True))
    # Lock the elements: a concurrent confirmation waits here, then sees them taken.
    list(BillableItem.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    taken = BillableItem.objects.filter(pk__in=ids).filter(
        Q(pre_invoice_line__isnull=False) & ~Q(pre_invoice_line__pre_invoice__source=PreInvoice.Source.RUN)
        | Q(pro_forma_item__isnull=False) | ~Q(status=BillableItem.Status.PENDING))
    if taken.exists():
        raise ReviewRefused(gettext("%(n)s element(s) of this review were confirmed or invoiced meanwhile by "
                                    "someone else: nothing was billed; start a new review.") % {"n": taken.count()})
    on_hold = elements(session).filter(decision=Decision.ON_HOLD).count()
    if on_hold:
        raise ReviewRefused(gettext("%(n)s element(s) are extra (on hold): decide them before confirming.")
                            % {"n": on_hold})
    items = BillableItem.objects.filter(pk__in=ids)
    ctx = PortfolioContext.load()
    periods = set(items.filter(pre_invoice_line__isnull=False).values_list("period", flat=True))
    clients = set(items.values_list("engagement__client_id", flat=True))
    drafts = _drafts(session, items, ctx)
    if not drafts:
        raise ReviewRefused(gettext("Nothing to bill now in this review."))
    created = save_kept_drafts(drafts, period=Period.of(scope.end), source=PreInvoice.Source.REVIEW,
                               origin=f"review {session.pk}")
    for first_day in sorted(periods):
        rebuild_drafts(Period.of(first_day), ctx, clients=clients)  # their drafts, without what the review took
    session.state, session.confirmed_by, session.confirmed_at = (
        ReviewSession.State.CONFIRMED, acting_user(user), timezone.now())
    session.pre_invoices, session.step = [p.pk for p in created], 4
    session.save(update_fields=["state", "confirmed_by", "confirmed_at", "pre_invoices", "step", "updated_at"])
    record(user=user, action="confirm_review", obj=session, before={"state": "open"},
           after={"state": "confirmed", "pre_invoices": session.pre_invoices})
    return created


def cancel(*, session_id: int, user=None) -> None:
    session = _open(session_id)
    session.state = ReviewSession.State.CANCELLED
    session.save(update_fields=["state", "updated_at"])
    record(user=user, action="cancel_review", obj=session, before={"state": "open"}, after={"state": "cancelled"})
