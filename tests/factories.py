"""Small builders for test data: each returns saved rows with sensible French defaults."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.catalogue.models import Article, ArticleRule
from prebill.clients.models import BillingAddress, BillingConditions, Client
from prebill.core.identifiers import french_vat_number, siren_with_key
from prebill.engagements.models import Engagement, EngagementPart, Installment, PartRate
from prebill.organisation.models import Organisation
from prebill.team.models import Collaborator, CollaboratorGroup

_numbers = itertools.count(1)


def organisation(**fields) -> Organisation:
    siren = siren_with_key("73282932")
    values = {"legal_name": "Cabinet Test", "siren": siren, "vat_number": french_vat_number(siren),
              "hours_per_day": Decimal("7")} | fields
    return Organisation.objects.create(**values)


def client(code: str | None = None, *, conditions: dict | None = None, **fields) -> Client:
    n = next(_numbers)
    siren = siren_with_key(f"{40000000 + n:08d}")
    row = Client.objects.create(code=code or f"C{n:05d}", name=f"Client {n:05d}", siren=siren,
                                vat_number=french_vat_number(siren), **fields)
    BillingAddress.objects.create(client=row, code="main", line1=f"{n} rue de la Paix", postcode="75002",
                                  city="Paris", is_default=True)
    BillingConditions.objects.create(client=row, applies_from=date(2020, 1, 1), **(conditions or {}))
    return row


def address(client: Client, code: str, city: str = "Lyon") -> BillingAddress:
    return BillingAddress.objects.create(client=client, code=code, line1="1 quai Test", postcode="69002", city=city)


def article(code: str = "HON", sub_code: str = "", *, vat_rate: str = "20", label: str | None = None,
            unit: str = "unit") -> Article:
    row, _ = Article.objects.get_or_create(
        code=code, sub_code=sub_code,
        defaults={"label": label or f"Article {code}", "vat_rate": Decimal(vat_rate), "unit": unit},
    )
    return row


def collaborator(code: str | None = None, *, hourly: str | None = "100", daily: str | None = "700",
                 grade: str = "senior", groups=()) -> Collaborator:
    n = next(_numbers)
    row = Collaborator.objects.create(
        code=code or f"COL{n}", name=f"Collaborateur {n}", grade=grade,
        hourly_rate=Decimal(hourly) if hourly else None, daily_rate=Decimal(daily) if daily else None,
    )
    for group in groups:
        row.groups.add(CollaboratorGroup.objects.get_or_create(code=group, defaults={"label": group})[0])
    return row


def engagement(client: Client, code: str | None = None, **fields) -> Engagement:
    return Engagement.objects.create(client=client, code=code or f"E{next(_numbers):05d}", label="Mission", **fields)


def fixed_fee_part(engagement: Engagement, *, installments: list[tuple[date, str]], code: str = "FORFAIT",
                   article_code: str = "HON", **fields) -> EngagementPart:
    part = EngagementPart.objects.create(
        engagement=engagement, code=code, label="Forfait annuel", kind="fixed_fee", article=article(article_code),
        **fields,
    )
    for due, amount in installments:
        Installment.objects.create(part=part, due_date=due, amount=Decimal(amount))
    return part


def time_part(engagement: Engagement, *, code: str = "REGIE", unit: str = "hour", article_code: str | None = "CONS",
              rates: list[dict] = (), **fields) -> EngagementPart:
    part = EngagementPart.objects.create(
        engagement=engagement, code=code, label="Conseil", kind="time_and_materials", billing_unit=unit,
        article=article(article_code) if article_code else None, **fields,
    )
    for rate in rates:
        PartRate.objects.create(part=part, **rate)
    return part


def units_part(engagement: Engagement, *, price: str = "18.50", metric: str = "PAYSLIPS", code: str = "PAIE",
               **fields) -> EngagementPart:
    return EngagementPart.objects.create(
        engagement=engagement, code=code, label="Bulletins de paie", kind="units", metric_code=metric,
        unit_price=Decimal(price), article=article("BUL", unit="bulletin"), **fields,
    )


def time_entry(collaborator: Collaborator, engagement: Engagement, day: date, hours: str, **fields) -> TimeEntry:
    return TimeEntry.objects.create(
        external_id=f"T{next(_numbers):07d}", collaborator=collaborator, engagement=engagement, date=day,
        hours=Decimal(hours), **fields,
    )


def metric(client: Client, period: date, quantity: str, code: str = "PAYSLIPS", **fields) -> UnitMetric:
    return UnitMetric.objects.create(client=client, metric_code=code, period=period, quantity=Decimal(quantity),
                                     **fields)


def rule(code: str, article_row: Article, **criteria) -> ArticleRule:
    return ArticleRule.objects.create(code=code, article=article_row, **criteria)
