"""Harvest of rebillable costs: expenses, purchases and overtime become billable items of their month."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from prebill.core.designations import designation
from prebill.core.grouping import ItemKind
from prebill.core.holidays import DayKind
from prebill.core.money import round_money
from prebill.core.overtime import OvertimeError, SurchargeBand, split, total
from prebill.core.periods import Period
from prebill.core.review import Decision
from prebill.core.valuation import QUANTITY
from prebill.core.vat import disbursement_amount
from prebill.costs.models import Expense, Overtime, OvertimeTerms, Purchase
from prebill.organisation.models import Organisation

from .context import PortfolioContext
from .harvest import ITEM_VALUES, new_or_pending_in
from .models import BillableItem

ONE = Decimal(1)


def harvest_costs(period: Period, ctx: PortfolioContext, out) -> None:
    """Rebillable costs dated up to the month's end, not invoiced yet, in one streaming query per kind."""
    articles = Organisation.objects.values_list("expense_article_id", "purchase_article_id",
                                                "overtime_article_id").first() or (None, None, None)
    engagement_of = _engagement_of_client(ctx)
    expense_article, purchase_article, overtime_article = articles
    _follow_disbursement_flag()
    _expenses(period, ctx, out, expense_article, engagement_of)
    _purchases(period, ctx, out, purchase_article, engagement_of)
    _overtime(period, ctx, out, overtime_article)


def _engagement_of_client(ctx: PortfolioContext) -> dict[int, int]:
    """A cost without an engagement goes with the client's T&M engagement, else its first engagement."""
    chosen: dict[int, tuple] = {}
    time_engagements = {part.engagement_id for part in ctx.parts.values() if part.kind == "time_and_materials"}
    for engagement_id, info in ctx.engagements.items():
        rank = (engagement_id not in time_engagements, info.code)
        if info.client_id not in chosen or rank < chosen[info.client_id][0]:
            chosen[info.client_id] = (rank, engagement_id)
    return {client: engagement for client, (_, engagement) in chosen.items()}


def _follow_disbursement_flag() -> None:
    """A cost marked (or no longer marked) débours while its item waits: the item's kind follows (the harvest
    below then gives it its amount and rate). An invoiced item keeps the kind it was billed with."""
    pending = BillableItem.objects.filter(status=BillableItem.Status.PENDING)
    for source, kind in (("expense", ItemKind.EXPENSE), ("purchase", ItemKind.PURCHASE)):
        pending.filter(**{f"{source}__disbursement": True}).exclude(kind=ItemKind.DISBURSEMENT).update(
            kind=ItemKind.DISBURSEMENT.value)
        pending.filter(**{f"{source}__disbursement": False}, kind=ItemKind.DISBURSEMENT).update(kind=kind.value)


def _skip_without_article(out, article_id, what: str) -> bool:
    if article_id is None:
        out.result.skipped[f"no article for {what}: choose one in the firm's settings"] += 1
        return True
    return False


def _expenses(period, ctx, out, article_id, engagement_of) -> None:
    rows = out.scoped(Expense.objects.filter(new_or_pending_in(period), rebillable=True, date__lte=period.last_day),
                      "client_id").values_list(
        "id", "client_id", "engagement_id", "collaborator_id", "date", "nature", "amount_excluding_vat", "vat_rate",
        "disbursement", "amount_including_vat", *ITEM_VALUES)
    for (expense_id, client_id, engagement_id, collaborator_id, day, nature, amount, vat_rate, disbursement, paid,
         *existing) in rows:
        if _skip_without_article(out, article_id, "expenses"):
            continue
        engagement_id = engagement_id or engagement_of.get(client_id)
        if engagement_id is None:
            out.result.skipped["expense of a client without engagement"] += 1
            continue
        words = {"nature": nature, "collaborator": ctx.collaborators[collaborator_id].name, "date": f"{day:%d/%m/%Y}",
                 "engagement": ctx.engagements[engagement_id].code, "article": ctx.articles[article_id].label}
        if disbursement:  # débours: the amount paid, VAT included, outside the VAT base
            amount, vat_rate = paid, Decimal(0)
        values = (client_id, engagement_id, None, collaborator_id, article_id, None, day, period.last_day, ONE,
                  ctx.articles[article_id].unit, amount, amount, vat_rate,
                  designation("expense", words, ctx.wording(engagement_id, "expense")))
        kind = ItemKind.DISBURSEMENT if disbursement else ItemKind.EXPENSE
        out.add(kind, (None, None, None, expense_id, None, None), values, tuple(existing), Decision.BILL_NOW)


def purchase_price(cost: Decimal, markup_percent: Decimal | None, resale_price: Decimal | None) -> Decimal:
    """What a purchase is re-invoiced at: its resale price, else its cost plus the markup."""
    if resale_price is not None:
        return resale_price
    return round_money(cost * (1 + (markup_percent or Decimal(0)) / 100))


def _purchases(period, ctx, out, article_id, engagement_of) -> None:
    rows = out.scoped(Purchase.objects.filter(new_or_pending_in(period), rebillable=True, date__lte=period.last_day),
                      "client_id").values_list(
        "id", "client_id", "engagement_id", "date", "supplier", "reference", "amount_excluding_vat", "vat_rate",
        "markup_percent", "resale_price", "disbursement", *ITEM_VALUES)
    for (purchase_id, client_id, engagement_id, day, supplier, reference, cost, vat_rate, markup, resale,
         disbursement, *existing) in rows:
        if _skip_without_article(out, article_id, "purchases"):
            continue
        engagement_id = engagement_id or engagement_of.get(client_id)
        if engagement_id is None:
            out.result.skipped["purchase of a client without engagement"] += 1
            continue
        price = purchase_price(cost, markup, resale)
        if disbursement:  # débours (never marked up: refused at entry): the cost and its VAT, outside the VAT base
            price, vat_rate = disbursement_amount(cost, vat_rate), Decimal(0)
        what = "Débours" if disbursement else "Achat"
        words = {"supplier": f"{what} {supplier}", "reference": reference, "date": f"du {day:%d/%m/%Y}",
                 "engagement": ctx.engagements[engagement_id].code, "article": ctx.articles[article_id].label}
        values = (client_id, engagement_id, None, None, article_id, None, day, period.last_day, ONE,
                  ctx.articles[article_id].unit, price, price, vat_rate,
                  designation("purchase", words, ctx.wording(engagement_id, "purchase")))
        kind = ItemKind.DISBURSEMENT if disbursement else ItemKind.PURCHASE
        out.add(kind, (None, None, None, None, purchase_id, None), values, tuple(existing), Decision.BILL_NOW)


def _overtime(period, ctx, out, article_id) -> None:
    rows = list(out.scoped(Overtime.objects.filter(new_or_pending_in(period), date__lte=period.last_day),
                           "engagement__client_id").values_list(
        "id", "collaborator_id", "engagement_id", "date", "start", "end", *ITEM_VALUES))
    if not rows:
        return
    terms = {}
    for t in OvertimeTerms.objects.filter(part_id__in=list(ctx.parts)).prefetch_related("bands"):
        bands = [SurchargeBand(DayKind(b.day_kind), b.start, b.end, b.percent) for b in t.bands.all()]
        terms[ctx.parts[t.part_id].engagement_id] = (t.hourly_rate, bands)
    for overtime_id, collaborator_id, engagement_id, day, start, end, *existing in rows:
        if _skip_without_article(out, article_id, "overtime"):
            continue
        collaborator = ctx.collaborators[collaborator_id]
        rate, bands = terms.get(engagement_id, (None, []))
        rate = rate or collaborator.rates.hourly
        if rate is None:
            out.result.skipped[f"no hourly rate for the overtime of {collaborator.name}"] += 1
            continue
        try:
            hours, amount = total(split(day, start, end, bands, rate))
        except OvertimeError as error:
            out.result.skipped[str(error)] += 1
            continue
        engagement = ctx.engagements[engagement_id]
        values = (engagement.client_id, engagement_id, None, collaborator_id, article_id, None, day, period.last_day,
                  hours, "hour", (amount / hours).quantize(QUANTITY), amount, ctx.articles[article_id].vat_rate,
                  designation("overtime", {
                      "article": "Heures supplémentaires", "collaborator": collaborator.name,
                      "date": f"{day:%d/%m/%Y}", "hours": f"{_hm(start)}-{_hm(end)}", "engagement": engagement.code,
                  }, ctx.wording(engagement_id, "overtime")))
        out.add(ItemKind.OVERTIME, (None, None, None, None, None, overtime_id), values, tuple(existing),
                Decision.BILL_NOW)


def _hm(t: time) -> str:
    return datetime.combine(datetime.min, t).strftime("%H:%M")

