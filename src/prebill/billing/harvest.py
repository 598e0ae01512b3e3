"""Harvest: each source fact of a period becomes exactly one billable item (idempotent)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.bulk import insert_rows, update_rows
from prebill.core.article_rules import ArticleRuleTie, TimeFacts, choose_rule
from prebill.core.designations import installment_designation, metric_designation, time_designation
from prebill.core.grouping import ItemKind
from prebill.core.periods import Period
from prebill.core.review import Decision
from prebill.core.valuation import QUANTITY, ValuationError, line_amount, rate_for, round_hours, time_quantity
from prebill.engagements.models import EngagementPart, Installment

from .context import PortfolioContext
from .models import OWED_QUANTITY, BillableItem

PART_KIND_TO_ITEM = {
    EngagementPart.Kind.FIXED_FEE: ItemKind.FIXED_FEE,
    EngagementPart.Kind.RESALE: ItemKind.RESALE,
    EngagementPart.Kind.UNITS: ItemKind.UNITS,
    EngagementPart.Kind.TIME_AND_MATERIALS: ItemKind.TIME,
}
# Values a source decides; a pending item whose source changed gets them again.
VALUE_FIELDS = (
    "client_id", "engagement_id", "part_id", "collaborator_id", "article_id", "article_rule_id", "service_date",
    "invoice_date", "quantity", "unit", "unit_price", "amount", "vat_rate", "designation",
)
ITEM_VALUES = tuple(f"billable_item__{name}" for name in ("id", "status", *VALUE_FIELDS))
OWED = (VALUE_FIELDS.index("quantity"), VALUE_FIELDS.index("unit_price"), VALUE_FIELDS.index("amount"))
INSERT_COLUMNS = ("kind", "installment_id", "time_entry_id", "unit_metric_id", "expense_id", "purchase_id",
                  "overtime_id", "period", "decision", "status",
                  "created_at", "updated_at", *VALUE_FIELDS)


def new_or_pending_in(period: Period) -> Q:
    """Sources without an item, or whose item waits in this period's drafts (other periods keep theirs)."""
    return Q(billable_item__isnull=True) | Q(
        billable_item__status=BillableItem.Status.PENDING, billable_item__period=period.first_day)


@dataclass
class HarvestResult:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    def add(self, other: HarvestResult) -> None:
        for name in ("created", "updated", "unchanged", "skipped"):
            getattr(self, name).update(getattr(other, name))


class _Collector:
    """Gathers new and changed items, then writes them in bulk."""

    def __init__(self, period: Period, now: datetime, result: HarvestResult, clients: Collection[int] | None = None):
        self.period, self.now, self.result, self.clients = period, now, result, clients
        self.new: list[tuple] = []
        self.changed: list[tuple] = []
        self.reopened: list[tuple] = []

    def scoped(self, rows, client_path: str):
        """Only the sources of the clients harvested (all when the whole portfolio is)."""
        return rows if self.clients is None else rows.filter(**{f"{client_path}__in": list(self.clients)})

    def add(self, kind: ItemKind, source: tuple, values: tuple, existing: tuple, decision: Decision) -> None:
        item_id, status, *old = existing
        if status == BillableItem.Status.BILLED:
            # Already invoiced: only what is owed may change; the difference is billed or credited later.
            if tuple(old[i] for i in OWED) != tuple(values[i] for i in OWED):
                self.reopened.append((*(values[i] for i in OWED), values[-1], self.now, item_id))
                self.result.updated[kind.value] += 1
            else:
                self.result.unchanged[kind.value] += 1
        elif item_id is None:
            self.new.append((kind.value, *source, self.period.first_day, decision.value, "pending", self.now,
                             self.now, *values))
            self.result.created[kind.value] += 1
        elif tuple(old) != values:
            self.changed.append((*values, self.now, item_id))
            self.result.updated[kind.value] += 1
        else:
            self.result.unchanged[kind.value] += 1

    def write(self) -> None:
        insert_rows(BillableItem, INSERT_COLUMNS, self.new)
        update_rows(BillableItem, (*VALUE_FIELDS, "updated_at"), self.changed)
        update_rows(BillableItem, ("quantity", "unit_price", "amount", "designation", "updated_at"), self.reopened)
        reopened = [row[-1] for row in self.reopened]
        changed = [row[-1] for row in self.changed]
        left = OWED_QUANTITY - F("billed_quantity") - F("written_off_quantity")
        for start in range(0, len(reopened), 5000):
            # More is owed than was billed: the difference goes to this period's drafts.
            BillableItem.objects.filter(pk__in=reopened[start : start + 5000]).alias(left=left).filter(
                left__gt=0).update(status=BillableItem.Status.PENDING, period=self.period.first_day,
                                   invoice_date=self.period.last_day)
        for start in range(0, len(changed), 5000):
            # A difference that went away (time restored to what was invoiced, or written off): settled again.
            BillableItem.objects.filter(Q(billed_quantity__gt=0) | Q(written_off_quantity__gt=0),
                                        pk__in=changed[start : start + 5000]).alias(
                left=left).filter(left__lte=0).update(status=BillableItem.Status.BILLED)


def harvest(period: Period, ctx: PortfolioContext, clients: Collection[int] | None = None) -> HarvestResult:
    """Turn installments due in the period, its unit metrics and unbilled time up to its end into items;
    only those of `clients` when given (after an import or a change that concerns a few clients)."""
    result = HarvestResult()
    collector = _Collector(period, timezone.now(), result, clients)
    _harvest_installments(period, ctx, collector)
    _harvest_metrics(period, ctx, collector)
    _harvest_time(period, ctx, collector)
    from .harvest_costs import harvest_costs  # builds on this module's fields and collector

    harvest_costs(period, ctx, collector)
    collector.write()
    return result


def _harvest_installments(period: Period, ctx: PortfolioContext, out: _Collector) -> None:
    rows = out.scoped(Installment.objects.filter(
        new_or_pending_in(period), due_date__range=(period.first_day, period.last_day)
    ), "part__engagement__client_id").values_list(
        "id", "part_id", "due_date", "amount", "quantity", "label", "period_start", "period_end", *ITEM_VALUES)
    for installment_id, part_id, due, amount, quantity, label, start, end, *existing in rows.iterator(chunk_size=5000):
        part = ctx.parts[part_id]
        if part.article_id is None:
            out.result.skipped[f"part {ctx.engagements[part.engagement_id].code}/{part.code} has no article"] += 1
            continue
        article = ctx.articles[part.article_id]
        quantity = quantity or Decimal(1)
        unit_price = amount if quantity == 1 else part.unit_price or (amount / quantity).quantize(QUANTITY)
        values = (
            ctx.engagements[part.engagement_id].client_id, part.engagement_id, part_id, None, part.article_id, None,
            due, due, quantity, article.unit, unit_price, amount, article.vat_rate,
            installment_designation(part.label, label, start, end, due, template=ctx.wording(part.engagement_id, part.kind),
                                    engagement=ctx.engagements[part.engagement_id].code, article=article.label,
                                    kind=part.kind),
        )
        out.add(PART_KIND_TO_ITEM[part.kind], (installment_id, None, None, None, None, None), values, tuple(existing),
                Decision.BILL_NOW)


def _harvest_metrics(period: Period, ctx: PortfolioContext, out: _Collector) -> None:
    by_client, by_engagement = defaultdict(list), defaultdict(list)
    for part_id, part in ctx.parts.items():
        if part.kind == EngagementPart.Kind.UNITS and part.metric_code:
            by_client[(ctx.engagements[part.engagement_id].client_id, part.metric_code)].append(part_id)
            by_engagement[(part.engagement_id, part.metric_code)].append(part_id)
    rows = out.scoped(UnitMetric.objects.filter(new_or_pending_in(period), period=period.first_day), "client_id").values_list(
        "id", "client_id", "engagement_id", "metric_code", "quantity", "client__code", *ITEM_VALUES
    )
    for metric_id, client_id, engagement_id, code, quantity, client_code, *existing in rows.iterator(chunk_size=5000):
        parts = by_engagement[(engagement_id, code)] if engagement_id else by_client[(client_id, code)]
        if len(parts) != 1:
            reason = "no units part bills" if not parts else "several units parts bill"
            out.result.skipped[f"{reason} metric {code} of client {client_code}"] += 1
            continue
        part = ctx.parts[parts[0]]
        if quantity == 0 or part.unit_price is None or part.article_id is None:
            out.result.skipped["unit metric with zero quantity, or units part without price or article"] += 1
            continue
        article = ctx.articles[part.article_id]
        values = (
            client_id, part.engagement_id, parts[0], None, part.article_id, None, period.last_day, period.last_day,
            quantity, article.unit, part.unit_price, line_amount(quantity, part.unit_price), article.vat_rate,
            metric_designation(part.label, period, template=ctx.wording(part.engagement_id, "units"),
                               quantity=quantity, engagement=ctx.engagements[part.engagement_id].code,
                               article=article.label),
        )
        out.add(ItemKind.UNITS, (None, None, metric_id, None, None, None), values, tuple(existing), Decision.BILL_NOW)


def _harvest_time(period: Period, ctx: PortfolioContext, out: _Collector) -> None:
    billed = Q(billable_item__status=BillableItem.Status.BILLED)
    # An entry made not billable is left out, unless it has an item: that item then owes nothing (and
    # if it was invoiced, the excess is to credit, as when hours are lowered).
    entries = out.scoped(TimeEntry.objects.filter(new_or_pending_in(period) | billed, date__lte=period.last_day).filter(
        ~Q(billable=TimeEntry.Billable.NO) | Q(billable_item__isnull=False)), "engagement__client_id")
    # Time on engagements without a T&M part (fixed fees) is not billed: leave it out in SQL.
    time_engagements = {part.engagement_id for part in ctx.parts.values() if part.kind == "time_and_materials"}
    entries = entries.filter(engagement_id__in=EngagementPart.objects.filter(
        kind=EngagementPart.Kind.TIME_AND_MATERIALS).values("engagement_id"))
    if ctx.only_approved:
        out.result.skipped["time not approved yet"] += entries.filter(approved=False).count()
        entries = entries.filter(approved=True)
    rule_cache: dict[tuple, tuple] = {}
    rows = entries.values_list(
        "id", "collaborator_id", "engagement_id", "part_id", "task_id", "date", "hours", "billable", "activity",
        "domain", "billable_item__review_task_id", "billable_item__review_activity", "billable_item__review_domain",
        "billable_item__review_article_id", *ITEM_VALUES,
    )
    for (entry_id, collaborator_id, engagement_id, part_id, task_id, day, hours, billable, activity, domain,
         review_task, review_activity, review_domain, review_article, *existing) in rows.iterator(chunk_size=10000):
        # What a reviewer set wins over the time tracker's values (which stay as they were).
        task_id, activity, domain = review_task or task_id, review_activity or activity, review_domain or domain
        part_id = part_id or ctx.task_parts.get(task_id) or ctx.sole_time_part.get(engagement_id)
        engagement = ctx.engagements[engagement_id]
        part = ctx.parts.get(part_id)
        if part is None or part.kind != "time_and_materials":
            what = (f"entry on {part.kind} part {part.code}" if part else
                    "several T&M parts and the entry names none" if engagement_id in time_engagements else "no T&M part")
            out.result.skipped[f"time on {engagement.code} not billed: {what}"] += 1
            continue
        collaborator = ctx.collaborators[collaborator_id]
        key = (engagement.client_id, engagement_id, activity, domain, collaborator_id)
        if key not in rule_cache:
            rule_cache[key] = _article_for(ctx, part, TimeFacts(*key, collaborator.groups))
        article_id, rule_id, problem = rule_cache[key] if review_article is None else (review_article, None, "")
        if problem:
            out.result.skipped[problem] += 1
            continue
        try:
            rate = rate_for(
                part.billing_unit, collaborator_rates=collaborator.rates,
                part_rate_for_collaborator=ctx.part_rates.get(part_id, {}).get(("collaborator", collaborator_id)),
                part_rate_for_grade=ctx.part_rates.get(part_id, {}).get(("grade", collaborator.grade)),
            )
        except ValuationError:
            out.result.skipped[f"no {part.billing_unit.value} rate for {collaborator.name}"] += 1
            continue
        billed_hours = round_hours(hours, ctx.rounding_minutes)
        quantity = time_quantity(billed_hours, part.billing_unit, ctx.hours_per_day)
        invoiced = existing[1] == BillableItem.Status.BILLED
        if billable == TimeEntry.Billable.NO or (billable == TimeEntry.Billable.UNDECIDED and invoiced):
            quantity = Decimal(0)  # owed nothing now: billed already, the excess goes to a credit note
        values = (
            engagement.client_id, engagement_id, part_id, collaborator_id, article_id, rule_id, day, period.last_day,
            quantity, part.billing_unit.value, rate, line_amount(quantity, rate), ctx.articles[article_id].vat_rate,
            time_designation(collaborator.name, day, billed_hours, ctx.task_labels.get(task_id, ""), activity,
                             template=ctx.wording(engagement_id, "time"), engagement=engagement.code,
                             article=ctx.articles[article_id].label),
        )
        decision = Decision.ON_HOLD if billable == TimeEntry.Billable.UNDECIDED else Decision.BILL_NOW
        out.add(ItemKind.TIME, (None, entry_id, None, None, None, None), values, tuple(existing), decision)


def _article_for(ctx: PortfolioContext, part, facts: TimeFacts) -> tuple[int | None, int | None, str]:
    """(article, rule, problem): the most specific article rule, else the part's article."""
    try:
        rule = choose_rule(ctx.rules, facts)
    except ArticleRuleTie as tie:
        return None, None, str(tie)
    if rule is not None:
        return rule.article, ctx.rule_ids[rule.code], ""
    if part.article_id is None:
        return None, None, f"no article rule matches and part {part.code} has no article"
    return part.article_id, None, ""
