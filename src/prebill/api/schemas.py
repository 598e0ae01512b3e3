"""Shapes of the API's JSON: amounts and quantities as decimal strings, dates ISO."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema


class Problem(Schema):
    loc: str
    msg: str


class Problems(Schema):
    detail: list[Problem]


class Message(Schema):
    detail: str = Field(description="what was refused and why, in the request's language")
    where: str = Field("", description="a refusal's place (a field, a path) when it has one")


class ClientOut(Schema):
    code: str
    name: str
    siren: str
    siret: str
    vat_number: str
    email: str
    active: bool


class PartOut(Schema):
    code: str
    label: str
    kind: str
    article: str | None = None
    billing_unit: str
    unit_price: Decimal | None
    metric_code: str
    fee_amount: Decimal | None
    frequency: str
    on_own_invoice: bool

    @staticmethod
    def resolve_article(obj) -> str | None:
        return str(obj.article) if obj.article_id else None


class EngagementOut(Schema):
    code: str
    client: str = Field(alias="client.code")
    label: str
    engagement_class: str
    fiscal_year: int | None
    manager: str | None = None
    currency: str
    all_parts_on_one_invoice: bool
    status: str

    @staticmethod
    def resolve_manager(obj) -> str | None:
        return obj.manager.code if obj.manager_id else None


class EngagementConditionsOut(Schema):
    applies_from: date
    vat_regime: str
    payment_terms_days: int
    end_of_month: bool
    payment_method: str
    line_mode: str


class EngagementDetail(EngagementOut):
    parts: list[PartOut]
    billing_conditions: list[EngagementConditionsOut]  # its own, dated; where one applies it replaces the client's

    @staticmethod
    def resolve_parts(obj) -> list:
        return sorted(obj.parts.all(), key=lambda part: part.code)

    @staticmethod
    def resolve_billing_conditions(obj) -> list:
        return sorted(obj.billing_conditions.all(), key=lambda row: row.applies_from)


class InstallmentOut(Schema):
    id: int
    due_date: date
    amount: Decimal
    quantity: Decimal | None
    label: str
    harvested: bool
    billed: bool


class InstallmentIn(Schema):
    due_date: date
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    label: str = Field("", max_length=200)


class TimeEntryIn(Schema):
    id: str = Field(min_length=1, max_length=64)
    date: date
    collaborator: str
    engagement: str
    part: str = ""
    task: str = ""
    hours: Decimal
    billable: Literal["yes", "no", "undecided"] = "yes"
    activity: str = ""
    domain: str = ""
    approved: bool = False
    comment: str = Field("", max_length=500)


class TimeEntryOut(Schema):
    id: str = Field(alias="external_id")
    date: date
    collaborator: str = Field(alias="collaborator.code")
    engagement: str = Field(alias="engagement.code")
    part: str | None = None
    task: str | None = None
    hours: Decimal
    billable: str
    activity: str
    domain: str
    approved: bool
    comment: str

    @staticmethod
    def resolve_part(obj) -> str | None:
        return obj.part.code if obj.part_id else None

    @staticmethod
    def resolve_task(obj) -> str | None:
        return obj.task.code if obj.task_id else None


class UnitMetricIn(Schema):
    client: str
    engagement: str = ""
    metric: str
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    quantity: Decimal


class UnitMetricOut(Schema):
    client: str = Field(alias="client.code")
    engagement: str | None = None
    metric: str = Field(alias="metric_code")
    period: date
    quantity: Decimal

    @staticmethod
    def resolve_engagement(obj) -> str | None:
        return obj.engagement.code if obj.engagement_id else None


class ImportCounts(Schema):
    created: int
    updated: int
    unchanged: int


class BillableItemOut(Schema):
    id: int
    kind: str
    client: str = Field(alias="client.code")
    engagement: str = Field(alias="engagement.code")
    period: date
    service_date: date
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    designation: str
    decision: str
    status: str
    pre_invoice_line: int | None = Field(None, alias="pre_invoice_line_id")


class PreInvoiceOut(Schema):
    id: int
    client: str = Field(alias="client.code")
    invoice_date: date
    currency: str
    vat_regime: str
    grouping_reason: str
    total_excluding_vat: Decimal
    total_vat: Decimal
    total_including_vat: Decimal


class RunIn(Schema):
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")


class RunOut(Schema):
    id: int
    period: date
    status: str = Field(description="running, done, failed, or interrupted (its worker stopped: POST …/resume)")
    step: str = Field("", description="What a running run is doing")
    started_at: datetime
    finished_at: datetime | None
    summary: dict
    error: str

    @staticmethod
    def resolve_status(run) -> str:
        return run.shown_status

    @staticmethod
    def resolve_step(run) -> str:
        return run.job.step if run.job is not None and run.status == "running" else ""
