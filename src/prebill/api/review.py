"""Endpoints of the periodic billing wizard, customer orders and delivery notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status

from prebill.accounts.roles import EDIT_PORTFOLIO, RUN_PRE_BILLING, SEE_PORTFOLIO, SEE_PRE_BILLING
from prebill.imports.orders import check_documents, refuse_billed_changes, write_documents
from prebill.imports.problems import Checker
from prebill.imports.references import References
from prebill.orders.models import CustomerOrder, DeliveryNote
from prebill.review import services
from prebill.review.models import ReviewSession
from prebill.review.scope import DEFAULT_TASK_STATUSES, Scope

from .auth import require
from .endpoints import get_pre_invoice
from .schemas import Message

router = Router(tags=["periodic billing"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}
CODE = r"^[^\x00]{0,30}$"


class ScopeIn(Schema):
    start: date
    end: date
    engagement_from: str = Field("", pattern=CODE)
    engagement_to: str = Field("", pattern=CODE)
    engagement_class: str = Field("", pattern=CODE)
    client_from: str = Field("", pattern=CODE)
    client_to: str = Field("", pattern=CODE)
    salesperson: str = Field("", pattern=CODE)
    manager: str = Field("", pattern=CODE)
    task: int | None = Field(None, ge=1, le=2**62)
    collaborator: str = Field("", pattern=CODE)
    collaborator_group: str = Field("", pattern=CODE)
    task_statuses: list[str] = Field(sorted(DEFAULT_TASK_STATUSES), description="preparing, active, done, rejected")
    line_mode: str = Field("", pattern="^(|detailed|per_article|per_article_collaborator)$",
                           description="for this run only")
    invoice_date: date | None = Field(None, description="for this run only")
    label: str = Field("", max_length=200, pattern=r"^[^\x00]*$")


class SessionOut(Schema):
    id: int
    label: str
    state: str
    step: int
    scope: dict
    options: dict
    pre_invoices: list[int]


class ElementOut(Schema):
    id: int
    kind: str
    client: str
    engagement: str
    service_date: date
    designation: str
    quantity: Decimal
    adjusted_quantity: Decimal | None
    amount: Decimal
    decision: str
    order_lines: list[dict] = []


class TimeEditIn(Schema):
    billable: str | None = Field(None, pattern="^(yes|no|undecided)$")
    hours: Decimal | None = Field(None, ge=0, le=24, max_digits=6, decimal_places=2)
    task: str | None = Field(None, pattern=CODE, description="a task code of the engagement")
    activity: str | None = Field(None, max_length=50, pattern=r"^[^\x00]*$")
    domain: str | None = Field(None, max_length=50, pattern=r"^[^\x00]*$")
    article: str | None = Field(None, pattern=r"^[^\x00]{0,61}$", description="CODE or CODE/SUB_CODE")


class ElementIn(Schema):
    engagement: str = Field(pattern=CODE)
    date: date
    article: str = Field(pattern=r"^[^\x00]{1,61}$")
    designation: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=4)


class MoveIn(Schema):
    to: str = Field(pattern="^(bill_now|accrued|bill_later|extra|not_billed|standalone)$")
    postpone_to: date | None = None


class AllocationIn(Schema):
    order_line: int = Field(ge=1, le=2**62)
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=4)


class DocumentLineIn(Schema):
    article: str = Field(pattern=r"^[^\x00]{1,61}$")
    designation: str = Field("", max_length=500, pattern=r"^[^\x00]*$")
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=4)


class DocumentIn(Schema):
    client: str = Field(pattern=CODE)
    engagement: str = Field("", pattern=CODE)
    number: str = Field(min_length=1, max_length=50, pattern=r"^[^\x00]*$")
    date: date
    lines: list[DocumentLineIn] = Field(min_length=1)


def _element(item, lines=()) -> dict:
    return {"id": item.pk, "kind": item.kind, "client": item.client.code, "engagement": item.engagement.code,
            "service_date": item.service_date, "designation": item.designation, "quantity": item.quantity,
            "adjusted_quantity": item.adjusted_quantity, "amount": item.amount, "decision": item.decision,
            "order_lines": [{"id": line.pk, "order": line.order.number, "position": line.position,
                             "remaining_quantity": str(line.remaining_quantity),
                             "remaining_amount": str(line.remaining_amount)} for line in lines]}


@router.post("/reviews", response={201: SessionOut, **ERRORS})
def start_review(request, payload: ScopeIn):
    """Step 1: what to bill; the session keeps its state until confirmed or cancelled."""
    require(request, RUN_PRE_BILLING)
    data = payload.dict()
    options = {k: str(v) for k, v in (("line_mode", data.pop("line_mode")), ("invoice_date", data.pop("invoice_date")))
               if v}
    label = data.pop("label")
    scope = Scope(**{**data, "task_statuses": frozenset(data["task_statuses"]) or DEFAULT_TASK_STATUSES})
    return Status(201, services.start(scope=scope, options=options, label=label, user=request.auth))


@router.get("/reviews/{review_id}", response={200: SessionOut, **ERRORS})
def get_review(request, review_id: int):
    require(request, SEE_PRE_BILLING)
    return get_object_or_404(ReviewSession, pk=review_id)


@router.get("/reviews/{review_id}/elements", response={200: list[ElementOut], **ERRORS})
def review_elements(request, review_id: int):
    """Step 2 and 3: the scope's elements with their decision and the open order lines they match."""
    require(request, SEE_PRE_BILLING)
    session = get_object_or_404(ReviewSession, pk=review_id)
    return [_element(item, lines) for item, lines, _ in services.matches(session)]


@router.put("/reviews/{review_id}/time/{item_id}", response={200: ElementOut, **ERRORS})
def edit_time(request, review_id: int, item_id: int, payload: TimeEditIn):
    """How a time entry is billed (the entry itself never changes); recorded with who and when."""
    require(request, RUN_PRE_BILLING)
    return _element(services.edit_time(session_id=review_id, item_id=item_id, user=request.auth, **payload.dict()))


@router.post("/reviews/{review_id}/elements", response={201: ElementOut, **ERRORS})
def add_element(request, review_id: int, payload: ElementIn):
    require(request, RUN_PRE_BILLING)
    return Status(201, _element(services.add_element(
        session_id=review_id, engagement_code=payload.engagement, day=payload.date,
        article_code=payload.article, designation=payload.designation, quantity=payload.quantity,
        unit_price=payload.unit_price, user=request.auth)))


@router.post("/reviews/{review_id}/delivery-note-lines/{line_id}", response={201: ElementOut, **ERRORS})
def bill_delivery_note_line(request, review_id: int, line_id: int):
    require(request, RUN_PRE_BILLING)
    return Status(201, _element(services.bill_delivery_note_line(session_id=review_id, line_id=line_id,
                                                                 user=request.auth)))


@router.put("/reviews/{review_id}/elements/{item_id}/decision", response={200: ElementOut, **ERRORS})
def move(request, review_id: int, item_id: int, payload: MoveIn):
    """bill_now, accrued (to be invoiced), bill_later (with postpone_to), extra (blocks confirmation),
    not_billed, standalone (a new order line of its own)."""
    require(request, RUN_PRE_BILLING)
    return _element(services.move(session_id=review_id, item_id=item_id, to=payload.to,
                                  postpone_to=payload.postpone_to, user=request.auth))


@router.post("/reviews/{review_id}/elements/{item_id}/allocations", response={201: dict, **ERRORS})
def allocate(request, review_id: int, item_id: int, payload: AllocationIn):
    """Bill part of an element against an order line; the line keeps exact remainders."""
    require(request, RUN_PRE_BILLING)
    allocation = services.allocate(session_id=review_id, item_id=item_id, order_line_id=payload.order_line,
                                   quantity=payload.quantity, user=request.auth)
    line = allocation.line
    return Status(201, {"quantity": str(allocation.quantity), "amount": str(allocation.amount),
                        "remaining_quantity": str(line.remaining_quantity),
                        "remaining_amount": str(line.remaining_amount)})


@router.post("/reviews/{review_id}/confirm", response={201: list[dict], **ERRORS})
def confirm(request, review_id: int):
    """Step 4: create the pre-invoices; a second confirmation of the same elements gets 409, nothing twice."""
    require(request, RUN_PRE_BILLING)
    created = services.confirm(session_id=review_id, user=request.auth)
    return Status(201, [get_pre_invoice(request, pre.pk) for pre in created])


def _upsert_documents(request, payload: list[DocumentIn], *, delivery: bool):
    require(request, EDIT_PORTFOLIO)
    refs, checker = References.from_database(), Checker()
    located = ((f"$[{i}]", row.dict() | {"date": row.date.isoformat()}) for i, row in enumerate(payload))
    rows = check_documents(located, refs, checker, delivery=delivery)
    if not checker.problems:
        refuse_billed_changes(rows, refs, checker, delivery=delivery)
    if checker.problems:
        return Status(422, {"detail": [{"loc": p.where, "msg": p.translated(gettext)} for p in checker.problems]})
    with transaction.atomic():
        return Status(200, write_documents(rows, refs, delivery=delivery))


@router.post("/customer-orders/bulk", response={200: dict, 422: dict, **ERRORS}, tags=["orders"])
def upsert_orders(request, payload: list[DocumentIn]):
    """Customer orders by client and number, all or nothing (the portfolio format's checks)."""
    return _upsert_documents(request, payload, delivery=False)


@router.post("/delivery-notes/bulk", response={200: dict, 422: dict, **ERRORS}, tags=["orders"])
def upsert_delivery_notes(request, payload: list[DocumentIn]):
    return _upsert_documents(request, payload, delivery=True)


@router.get("/customer-orders", response=list[dict], tags=["orders"])
def list_orders(request, client: str = ""):
    require(request, SEE_PORTFOLIO)
    orders = CustomerOrder.objects.select_related("client").prefetch_related("lines__article").order_by("pk")
    if client:
        orders = orders.filter(client__code=client[:30].replace("\x00", ""))
    return [{"client": o.client.code, "number": o.number, "date": o.date.isoformat(), "lines": [
        {"id": line.pk, "position": line.position, "article": str(line.article), "quantity": str(line.quantity),
         "amount": str(line.amount), "remaining_quantity": str(line.remaining_quantity),
         "remaining_amount": str(line.remaining_amount), "standalone": line.standalone}
        for line in o.lines.all()]} for o in orders[:500]]


@router.get("/delivery-notes", response=list[dict], tags=["orders"])
def list_delivery_notes(request, client: str = ""):
    require(request, SEE_PORTFOLIO)
    notes = DeliveryNote.objects.select_related("client", "engagement").prefetch_related(
        "lines__manual_element").order_by("pk")
    if client:
        notes = notes.filter(client__code=client[:30].replace("\x00", ""))
    return [{"client": n.client.code, "engagement": n.engagement.code, "number": n.number,
             "date": n.date.isoformat(), "lines": [
                 {"id": line.pk, "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                  "billed": hasattr(line, "manual_element")} for line in n.lines.all()]} for n in notes[:500]]
