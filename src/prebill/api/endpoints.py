"""REST endpoints: thin, they check the role, call a selector or a service, return its result."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from prebill.accounts.roles import EDIT_PORTFOLIO, RUN_PRE_BILLING, SEE_PORTFOLIO, SEE_PRE_BILLING
from prebill.activity.models import TimeEntry, UnitMetric
from prebill.billing import selectors, services
from prebill.billing.models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine, RemovedDraft
from prebill.billing.selectors import removed_draft
from prebill.clients.models import Client
from prebill.core.periods import Period
from prebill.engagements import services as engagement_services
from prebill.engagements.models import Engagement, EngagementPart, Installment
from prebill.imports.activity import (
    bring_drafts_in_step,
    check_metric_rows,
    check_time_rows,
    write_time_entries,
    write_unit_metrics,
)
from prebill.imports.problems import Checker
from prebill.imports.references import References
from prebill.payments import services as payments

from .auth import require
from .schemas import (
    BillableItemOut,
    ClientOut,
    EngagementDetail,
    EngagementOut,
    ImportCounts,
    InstallmentIn,
    InstallmentOut,
    Message,
    PartOut,
    PreInvoiceOut,
    Problems,
    RunIn,
    RunOut,
    TimeEntryIn,
    TimeEntryOut,
    UnitMetricIn,
    UnitMetricOut,
)

router = Router()
ERRORS = {401: Message, 403: Message, 404: Message}


class Pages(LimitOffsetPagination):
    """limit / offset, both bounded: databases refuse offsets beyond 64-bit integers."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        offset: int = Field(0, ge=0, le=100_000_000)


# -- portfolio ---------------------------------------------------------------------------------


@router.get("/clients", response=list[ClientOut], tags=["portfolio"])
@paginate(Pages)
def list_clients(request, search: str = ""):
    require(request, SEE_PORTFOLIO)
    clients = Client.objects.order_by("code")
    return clients.filter(Q(name__icontains=search) | Q(code__icontains=search)) if search else clients


@router.get("/clients/{code}", response={200: ClientOut, **ERRORS}, tags=["portfolio"])
def get_client(request, code: str):
    require(request, SEE_PORTFOLIO)
    return get_object_or_404(Client, code=code)


@router.get("/engagements", response=list[EngagementOut], tags=["portfolio"])
@paginate(Pages)
def list_engagements(request, client: str = ""):
    require(request, SEE_PORTFOLIO)
    engagements = Engagement.objects.select_related("client", "manager").order_by("code")
    return engagements.filter(client__code=client) if client else engagements


@router.get("/engagements/{code}", response={200: EngagementDetail, **ERRORS}, tags=["portfolio"])
def get_engagement(request, code: str):
    require(request, SEE_PORTFOLIO)
    return get_object_or_404(
        Engagement.objects.select_related("client", "manager").prefetch_related("parts__article", "billing_conditions"),
        code=code)


@router.get("/engagements/{code}/parts", response={200: list[PartOut], **ERRORS}, tags=["portfolio"])
def list_parts(request, code: str):
    require(request, SEE_PORTFOLIO)
    engagement = get_object_or_404(Engagement, code=code)
    return list(engagement.parts.select_related("article").order_by("code"))


def _installment_rows(part: EngagementPart):
    return (part.installments.order_by("due_date").values("id", "due_date", "amount", "quantity", "label",
                                                           "billable_item__id", "billable_item__status"))


@router.get("/engagements/{code}/parts/{part}/installments", response={200: list[InstallmentOut], **ERRORS},
            tags=["portfolio"])
def list_installments(request, code: str, part: str):
    require(request, SEE_PORTFOLIO)
    found = get_object_or_404(EngagementPart, engagement__code=code, code=part)
    return [
        {**row, "harvested": row["billable_item__id"] is not None, "billed": row["billable_item__status"] == "billed"}
        for row in _installment_rows(found)
    ]


@router.put("/installments/{installment_id}", response={200: InstallmentOut, 409: Message, **ERRORS},
            tags=["portfolio"])
def update_installment(request, installment_id: int, payload: InstallmentIn):
    require(request, EDIT_PORTFOLIO)
    installment = get_object_or_404(Installment, pk=installment_id)
    engagement_services.change_installment(
        installment=installment, due_date=payload.due_date, amount=payload.amount, label=payload.label,
        is_billed=selectors.installment_billed)
    row = _installment_rows(installment.part).get(id=installment.pk)
    return {**row, "harvested": row["billable_item__id"] is not None, "billed": False}


# -- activity ------------------------------------------------------------------------------------


@router.get("/time-entries", response=list[TimeEntryOut], tags=["activity"])
@paginate(Pages)
def list_time_entries(request, engagement: str = "", collaborator: str = "", since: str = "", until: str = ""):
    require(request, SEE_PORTFOLIO)
    entries = TimeEntry.objects.select_related("collaborator", "engagement", "part", "task").order_by("date", "id")
    if engagement:
        entries = entries.filter(engagement__code=engagement)
    if collaborator:
        entries = entries.filter(collaborator__code=collaborator)
    for bound, lookup in ((since, "date__gte"), (until, "date__lte")):
        if bound:
            checker = Checker()
            day = checker.date(bound, "query")
            if day is None:
                raise HttpError(422, checker.problems[0].translated(gettext))
            entries = entries.filter(**{lookup: day})
    return entries


def _problems(checker: Checker) -> Status:
    return Status(422, {"detail": [{"loc": problem.where, "msg": problem.translated(gettext)}
                                   for problem in checker.problems]})


@router.post("/time-entries/bulk", response={200: ImportCounts, 422: Problems, **ERRORS}, tags=["activity"])
def push_time_entries(request, entries: list[TimeEntryIn]):
    """Create or update time entries by their id, as a time tracker pushes them; all or nothing."""
    require(request, EDIT_PORTFOLIO)
    checker, refs = Checker(), References.from_database()
    located = ((lambda field, i=i: f"$[{i}].{field}", {**entry.dict(), "date": entry.date.isoformat()})
               for i, entry in enumerate(entries))
    rows = check_time_rows(located, refs, checker)
    if checker.problems:
        return _problems(checker)
    with transaction.atomic():
        counts = write_time_entries(rows, refs)
        bring_drafts_in_step(refs, time_rows=rows)
        return counts


@router.get("/unit-metrics", response=list[UnitMetricOut], tags=["activity"])
@paginate(Pages)
def list_unit_metrics(request, client: str = "", period: str = ""):
    require(request, SEE_PORTFOLIO)
    metrics = UnitMetric.objects.select_related("client", "engagement").order_by("client__code", "period", "id")
    if client:
        metrics = metrics.filter(client__code=client)
    if period:
        metrics = metrics.filter(period=Period.parse(period).first_day)
    return metrics


@router.post("/unit-metrics/bulk", response={200: ImportCounts, 422: Problems, **ERRORS}, tags=["activity"])
def push_unit_metrics(request, metrics: list[UnitMetricIn]):
    """Create or update payroll quantities per client, metric and month; all or nothing."""
    require(request, EDIT_PORTFOLIO)
    checker, refs = Checker(), References.from_database()
    located = ((lambda field, i=i: f"$[{i}].{field}", metric.dict()) for i, metric in enumerate(metrics))
    rows = check_metric_rows(located, refs, checker)
    if checker.problems:
        return _problems(checker)
    with transaction.atomic():
        counts = write_unit_metrics(rows, refs)
        bring_drafts_in_step(refs, metric_rows=rows)
        return counts


# -- pre-billing -----------------------------------------------------------------------------------


@router.get("/billable-items", response=list[BillableItemOut], tags=["pre-billing"])
@paginate(Pages)
def list_billable_items(request, period: str = "", client: str = "", decision: str = ""):
    require(request, SEE_PRE_BILLING)
    items = BillableItem.objects.select_related("client", "engagement").order_by("id")
    if period:
        items = items.filter(period=Period.parse(period).first_day)
    if client:
        items = items.filter(client__code=client)
    if decision:
        items = items.filter(decision=decision)
    return items


@router.get("/pre-invoices", response=list[PreInvoiceOut], tags=["pre-billing"])
@paginate(Pages)
def list_pre_invoices(request, period: str = Query(..., description="YYYY-MM"), client: str = ""):
    require(request, SEE_PRE_BILLING)
    documents = PreInvoice.objects.filter(period=Period.parse(period).first_day).select_related("client").order_by("id")
    return documents.filter(client__code=client) if client else documents


@router.get("/pre-invoices/{pre_invoice_id}", response={200: dict, 410: dict, **ERRORS}, tags=["pre-billing"])
def get_pre_invoice(request, pre_invoice_id: int):
    """A pre-invoice with its lines, each line's billable items and their sources, VAT and totals."""
    require(request, SEE_PRE_BILLING)
    document = PreInvoice.objects.filter(pk=pre_invoice_id).first()
    if document is None:
        return Status(410 if RemovedDraft.objects.filter(pre_invoice_id=pre_invoice_id).exists() else 404,
                      removed_draft(pre_invoice_id))
    reservations, due = payments.pre_invoice_due(document)
    return {**next(selectors.pre_invoices_of_period(Period.of(document.period), ids=[document.pk])),
            "deposits": [{"id": r.pk, "payment": r.payment_id, "amount": str(r.amount)} for r in reservations],
            "amount_due": str(due)}


@router.post("/runs", response={202: RunOut, 422: Message, **ERRORS}, tags=["pre-billing"])
def start_run(request, payload: RunIn):
    """Start the pre-billing of a month; follow it with GET /runs/{id}."""
    require(request, RUN_PRE_BILLING)
    return Status(202, services.start_pre_billing(period=Period.parse(payload.period), user=request.auth))


@router.get("/runs/{run_id}", response={200: RunOut, **ERRORS}, tags=["pre-billing"])
def get_run(request, run_id: int):
    require(request, SEE_PRE_BILLING)
    return get_object_or_404(BillingRun.objects.select_related("job"), pk=run_id)


@router.post("/runs/{run_id}/resume", response={202: RunOut, **ERRORS}, tags=["pre-billing"])
def resume_run(request, run_id: int):
    """Take an interrupted (or failed) run again; a run still going is returned as it is."""
    require(request, RUN_PRE_BILLING)
    run = get_object_or_404(BillingRun.objects.select_related("job"), pk=run_id)
    return Status(202, services.resume_pre_billing(run))


class CopyLineIn(Schema):
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=4)


class DesignationIn(Schema):
    designation: str = Field(min_length=1, max_length=500)


class LineOrderIn(Schema):
    line_ids: list[int]


@router.post("/pre-invoices/{pre_invoice_id}/duplicate", response={201: dict, **ERRORS}, tags=["special actions"])
def duplicate_pre_invoice(request, pre_invoice_id: int):
    """Copy a pre-invoice into a draft typed by hand (permission 'special actions'): runs leave it alone and
    validating it bills its lines once more, outside the billable items."""
    require(request, SEE_PRE_BILLING)
    get_object_or_404(PreInvoice, pk=pre_invoice_id)
    copy = services.duplicate_pre_invoice(pre_invoice_id=pre_invoice_id, user=request.auth)
    return Status(201, get_pre_invoice(request, copy.pk))


@router.delete("/pre-invoices/{pre_invoice_id}", response={204: None, **ERRORS}, tags=["special actions"])
def delete_copy(request, pre_invoice_id: int):
    """Delete a copy (a draft of billable items cannot be deleted: it follows its items)."""
    require(request, SEE_PRE_BILLING)
    services.delete_copy(pre_invoice_id=pre_invoice_id, user=request.auth)
    return Status(204, None)


@router.put("/pre-invoice-lines/{line_id}", response={200: dict, **ERRORS}, tags=["special actions"])
def change_copy_line(request, line_id: int, payload: CopyLineIn):
    """Type the quantity and unit price of a copy's line; amount, VAT and totals follow."""
    require(request, SEE_PRE_BILLING)
    line = services.change_copy_line(line_id=line_id, quantity=payload.quantity, unit_price=payload.unit_price,
                                     user=request.auth)
    return get_pre_invoice(request, line.pre_invoice_id)


@router.delete("/pre-invoice-lines/{line_id}", response={204: None, **ERRORS}, tags=["special actions"])
def remove_copy_line(request, line_id: int):
    require(request, SEE_PRE_BILLING)
    services.remove_copy_line(line_id=line_id, user=request.auth)
    return Status(204, None)


@router.put("/pre-invoice-lines/{line_id}/designation", response={200: dict, **ERRORS}, tags=["special actions"])
def replace_designation(request, line_id: int, payload: DesignationIn):
    """Type a line's designation; runs keep it."""
    require(request, SEE_PRE_BILLING)
    line = get_object_or_404(PreInvoiceLine, pk=line_id)
    services.replace_designation(line_id=line_id, text=payload.designation, user=request.auth)
    return get_pre_invoice(request, line.pre_invoice_id)


@router.put("/pre-invoices/{pre_invoice_id}/line-order", response={200: dict, **ERRORS}, tags=["special actions"])
def reorder_lines(request, pre_invoice_id: int, payload: LineOrderIn):
    """Put the lines in this order (every line once); runs keep it."""
    require(request, SEE_PRE_BILLING)
    get_object_or_404(PreInvoice, pk=pre_invoice_id)
    services.reorder_lines(pre_invoice_id=pre_invoice_id, line_ids=payload.line_ids, user=request.auth)
    return get_pre_invoice(request, pre_invoice_id)
