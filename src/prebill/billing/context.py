"""What the monthly run needs to know about the portfolio, read once in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from prebill.catalogue.models import Article
from prebill.catalogue.selectors import rules_in_force
from prebill.clients.models import BillingAddress, BillingConditions
from prebill.core import article_rules
from prebill.core.grouping import BillingTerms, LineMode, PaymentTerms
from prebill.core.valuation import BillingUnit, Rates
from prebill.core.vat import VatRegime
from prebill.engagements.models import Engagement, EngagementConditions, EngagementPart, PartRate, Task
from prebill.organisation.models import Organisation
from prebill.team.models import Collaborator

from .models import InvoiceTemplate, TemplateLine

DEFAULT_CONDITIONS = {"vat_regime": "standard", "payment_terms_days": 30, "end_of_month": False,
                      "payment_method": "transfer", "line_mode": "detailed"}


@dataclass(frozen=True)
class ArticleInfo:
    code: str
    label: str
    unit: str
    vat_rate: Decimal


@dataclass(frozen=True)
class EngagementInfo:
    code: str
    client_id: int
    currency: str
    on_one_invoice: bool
    address_id: int | None


@dataclass(frozen=True)
class PartInfo:
    engagement_id: int
    code: str
    label: str
    kind: str
    article_id: int | None
    billing_unit: BillingUnit
    unit_price: Decimal | None
    metric_code: str
    on_own_invoice: bool


@dataclass(frozen=True)
class CollaboratorInfo:
    name: str
    grade: str
    rates: Rates
    groups: frozenset


@dataclass
class PortfolioContext:
    hours_per_day: Decimal = Decimal(7)
    rounding_minutes: int = 0
    only_approved: bool = False
    articles: dict[int, ArticleInfo] = field(default_factory=dict)
    engagements: dict[int, EngagementInfo] = field(default_factory=dict)
    parts: dict[int, PartInfo] = field(default_factory=dict)
    sole_time_part: dict[int, int] = field(default_factory=dict)  # engagement -> its only T&M part
    task_parts: dict[int, int] = field(default_factory=dict)
    task_labels: dict[int, str] = field(default_factory=dict)
    collaborators: dict[int, CollaboratorInfo] = field(default_factory=dict)
    part_rates: dict[int, dict[tuple[str, object], Rates]] = field(default_factory=dict)
    rules: list[article_rules.ArticleRule] = field(default_factory=list)
    rule_ids: dict[str, int] = field(default_factory=dict)
    default_address: dict[int, int] = field(default_factory=dict)
    conditions: dict[int, list[tuple[date, dict]]] = field(default_factory=dict)
    # An engagement's own dated conditions: where one applies, it replaces the client's for its items.
    engagement_conditions: dict[int, list[tuple[date, dict]]] = field(default_factory=dict)
    # Invoice templates: which one applies (engagement, else client, else the default) and its wordings.
    template_of_engagement: dict[int, int] = field(default_factory=dict)
    template_of_client: dict[int, int] = field(default_factory=dict)
    default_template: int | None = None
    wordings: dict[tuple[int, str], tuple[list[str], str]] = field(default_factory=dict)

    clients: frozenset | None = None  # loaded for these clients only (None: the whole portfolio)

    def covers(self, clients: Collection[int] | None) -> bool:
        return self.clients is None or (clients is not None and self.clients.issuperset(clients))

    @classmethod
    def load(cls, clients: Collection[int] | None = None) -> PortfolioContext:
        """Read what the rules need, for the whole portfolio or only for some clients (an action on a few)."""
        ctx = cls(clients=None if clients is None else frozenset(clients))

        def of(rows, path: str):
            return rows if clients is None else rows.filter(**{f"{path}__in": ctx.clients})

        org = Organisation.objects.first()
        if org is not None:
            ctx.hours_per_day, ctx.rounding_minutes = org.hours_per_day, org.time_rounding_minutes
            ctx.only_approved = org.bill_only_approved_time
        ctx.articles = {
            pk: ArticleInfo(code, label, unit, rate)
            for pk, code, label, unit, rate in Article.objects.values_list("id", "code", "label", "unit", "vat_rate")
        }
        ctx.engagements = {
            pk: EngagementInfo(code, client, currency, one, address)
            for pk, code, client, currency, one, address in of(Engagement.objects, "client_id").values_list(
                "id", "code", "client_id", "currency", "all_parts_on_one_invoice", "billing_address_id")
        }
        time_parts = defaultdict(list)
        for row in of(EngagementPart.objects, "engagement__client_id").values_list(
            "id", "engagement_id", "code", "label", "kind", "article_id", "billing_unit", "unit_price", "metric_code",
            "on_own_invoice",
        ):
            info = PartInfo(*row[1:6], BillingUnit(row[6]), *row[7:])
            ctx.parts[row[0]] = info
            if info.kind == EngagementPart.Kind.TIME_AND_MATERIALS:
                time_parts[info.engagement_id].append(row[0])
        ctx.sole_time_part = {engagement: parts[0] for engagement, parts in time_parts.items() if len(parts) == 1}
        for pk, part_id, label in of(Task.objects, "engagement__client_id").values_list("id", "part_id", "label"):
            ctx.task_labels[pk] = label
            if part_id:
                ctx.task_parts[pk] = part_id
        groups = defaultdict(set)
        for collaborator_id, group_id in Collaborator.groups.through.objects.values_list(
            "collaborator_id", "collaboratorgroup_id"
        ):
            groups[collaborator_id].add(group_id)
        ctx.collaborators = {
            pk: CollaboratorInfo(name, grade, Rates(hourly, daily), frozenset(groups[pk]))
            for pk, name, grade, hourly, daily in Collaborator.objects.values_list(
                "id", "name", "grade", "hourly_rate", "daily_rate")
        }
        for part_id, collaborator_id, grade, hourly, daily in PartRate.objects.values_list(
            "part_id", "collaborator_id", "grade", "hourly_rate", "daily_rate"
        ) if clients is None else PartRate.objects.filter(part__engagement__client_id__in=ctx.clients).values_list(
            "part_id", "collaborator_id", "grade", "hourly_rate", "daily_rate"
        ):
            key = ("collaborator", collaborator_id) if collaborator_id else ("grade", grade)
            ctx.part_rates.setdefault(part_id, {})[key] = Rates(hourly, daily)
        ctx.rules, ctx.rule_ids = rules_in_force()
        for pk, client_id in of(BillingAddress.objects.filter(is_default=True), "client_id").values_list("id", "client_id"):
            ctx.default_address[client_id] = pk
        for model, owner, client_path, into in (
                (BillingConditions, "client_id", "client_id", ctx.conditions),
                (EngagementConditions, "engagement_id", "engagement__client_id", ctx.engagement_conditions)):
            for owner_id, *values in of(model.objects, client_path).order_by(owner, "applies_from").values_list(
                owner, "applies_from", "vat_regime", "payment_terms_days", "end_of_month", "payment_method",
                "line_mode",
            ):
                applies_from, regime, days, eom, method, mode = values
                into.setdefault(owner_id, []).append((applies_from, {
                    "vat_regime": regime, "payment_terms_days": days, "end_of_month": eom, "payment_method": method,
                    "line_mode": mode,
                }))
        ctx.default_template = InvoiceTemplate.objects.filter(is_default=True).values_list("pk", flat=True).first()
        ctx.template_of_engagement = dict(of(InvoiceTemplate.engagements.through.objects, "engagement__client_id").values_list(
            "engagement_id", "invoicetemplate_id"))
        ctx.template_of_client = dict(of(InvoiceTemplate.clients.through.objects, "client_id").values_list(
            "client_id", "invoicetemplate_id"))
        ctx.wordings = {(template, kind): (elements, prefix) for template, kind, elements, prefix in
                        TemplateLine.objects.values_list("template_id", "kind", "elements", "prefix")}
        return ctx

    def wording(self, engagement_id: int, kind: str) -> tuple[list[str], str] | None:
        """The template's elements and prefix for this kind of line on this engagement (None: the default)."""
        template = (self.template_of_engagement.get(engagement_id)
                    or self.template_of_client.get(self.engagements[engagement_id].client_id) or self.default_template)
        return self.wordings.get((template, kind)) if template else None

    def conditions_at(self, client_id: int, day: date) -> dict:
        """The client's conditions row in force on `day` (the latest applies_from on or before it)."""
        return _in_force(self.conditions.get(client_id, ()), day) or DEFAULT_CONDITIONS

    def terms(self, engagement_id: int, invoice_date: date) -> BillingTerms:
        """The item's billing terms: the engagement's own conditions when a row applies on the date, else the client's."""
        engagement = self.engagements[engagement_id]
        cond = _in_force(self.engagement_conditions.get(engagement_id, ()), invoice_date)
        conditions_of = engagement_id if cond is not None else None
        if cond is None:
            cond = self.conditions_at(engagement.client_id, invoice_date)
        return BillingTerms(
            client=engagement.client_id, invoice_date=invoice_date,
            address=engagement.address_id or self.default_address.get(engagement.client_id),
            currency=engagement.currency, vat_regime=VatRegime(cond["vat_regime"]),
            payment_terms=PaymentTerms(cond["payment_terms_days"], cond["end_of_month"]),
            payment_method=cond["payment_method"], line_mode=LineMode(cond["line_mode"]),
            conditions_of=conditions_of,
        )


def _in_force(rows, day: date) -> dict | None:
    """The row of dated conditions in force on `day` (the latest applies_from on or before it), if any."""
    chosen = None
    for applies_from, values in rows:
        if applies_from > day:
            break
        chosen = values
    return chosen
