"""Endpoints of rebillable costs: bulk declarations, proofs, the month's untreated costs, their invoice."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from prebill.accounts.roles import RUN_PRE_BILLING, SEE_PRE_BILLING
from prebill.billing import services as billing
from prebill.billing.selectors import rebillables
from prebill.core.periods import Period
from prebill.costs import services
from prebill.costs.models import Expense, Purchase
from prebill.costs.selectors import activity_reports
from prebill.engagements.models import Engagement
from prebill.imports.costs import check_costs, write_costs
from prebill.imports.problems import Checker
from prebill.imports.references import References
from prebill.team.models import Collaborator

from .auth import require
from .schemas import Message

router = Router(tags=["costs"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}


class JoinIn(Schema):
    fixed_fee_item: int | None = Field(None, ge=1, le=2**62, description="a pending fixed-fee item; null: its own")


class GroupIn(Schema):
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    collaborator: int = Field(ge=1, le=2**62)
    on: bool = True


def _rows(payload: list[dict]) -> list[dict]:
    """JSON values as the CSV checks read them (booleans become yes/no)."""
    def text(value):
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "" if value is None else str(value).replace("\x00", "")
    return [{str(k): text(v) for k, v in row.items()} if isinstance(row, dict) else {} for row in payload]


def _bulk(request, kind: str, payload: list[dict]):
    require(request, RUN_PRE_BILLING)
    checker = Checker()
    located = ((lambda field, i=i: f"$[{i}].{field}", row) for i, row in enumerate(_rows(payload)))
    rows = check_costs(kind, located, References.from_database(), checker)
    if checker.problems:
        return Status(422, {"detail": [{"loc": p.where, "msg": p.translated(gettext)} for p in checker.problems]})
    with transaction.atomic():
        write_costs(rows)
    return Status(200, {"created": len(rows), "ids": [row.pk for row in rows]})


@router.post("/expenses/bulk", response={200: dict, 422: dict, **ERRORS})
def expenses_bulk(request, payload: list[dict]):
    """Expenses as in expenses.csv (collaborator, client, engagement, date, nature, amounts, vat_rate, rebillable,
    disbursement: true for a cost paid in the client's name, billed incl. VAT without VAT); all or nothing.
    Receipts: POST /expenses/{id}/receipt."""
    return _bulk(request, "expenses", payload)


@router.post("/purchases/bulk", response={200: dict, 422: dict, **ERRORS})
def purchases_bulk(request, payload: list[dict]):
    """Purchases as in purchases.csv (client, engagement, date, supplier, reference, amount_excluding_vat, vat_rate,
    rebillable, markup_percent or resale_price, disbursement: true for a purchase paid in the client's name, billed
    at cost plus its VAT without VAT, never marked up); all or nothing."""
    return _bulk(request, "purchases", payload)


@router.post("/overtime/bulk", response={200: dict, 422: dict, **ERRORS})
def overtime_bulk(request, payload: list[dict]):
    return _bulk(request, "overtime", payload)


def _attach(request, model, pk: int, field: str, file: UploadedFile):
    require(request, RUN_PRE_BILLING)
    cost = get_object_or_404(model, pk=pk)
    item = getattr(cost, "billable_item", None)
    if item is not None and item.status == "billed":
        raise services.CostRefused(gettext("This cost is invoiced: its proof stays as it was."))
    attachment = services.store_proof(upload=file, client_id=cost.client_id, user=request.auth)
    setattr(cost, field, attachment)
    cost.save(update_fields=[field])
    return Status(201, {"id": attachment.pk, "name": attachment.original_name, "size": attachment.size,
                        "content_type": attachment.content_type})


@router.post("/expenses/{expense_id}/receipt", response={201: dict, 422: Message, **ERRORS})
def expense_receipt(request, expense_id: int, file: File[UploadedFile]):
    """A PDF, PNG or JPEG of at most 10 MB, checked on its content; a new receipt never deletes the old file."""
    return _attach(request, Expense, expense_id, "receipt", file)


@router.post("/purchases/{purchase_id}/proof", response={201: dict, 422: Message, **ERRORS})
def purchase_proof(request, purchase_id: int, file: File[UploadedFile]):
    return _attach(request, Purchase, purchase_id, "proof", file)


@router.get("/costs", response={200: list[dict], 422: Message, **ERRORS})
def month_costs(request, period: str, untreated: bool = True):
    """The month's rebillable costs (expenses, purchases, overtime); untreated: not on an invoice yet."""
    require(request, SEE_PRE_BILLING)
    month = Period.parse(period)
    return [{"id": i.pk, "kind": i.kind, "client": i.client.code, "engagement": i.engagement.code,
             "collaborator": i.collaborator.code if i.collaborator else None, "designation": i.designation,
             "amount": str(i.amount), "status": i.status, "grouping": i.grouping,
             "pre_invoice": i.pre_invoice_line.pre_invoice_id if i.pre_invoice_line else None}
            for i in rebillables(month, untreated_only=untreated)]


@router.put("/cost-items/{item_id}/invoice", response={200: dict, **ERRORS})
def join(request, item_id: int, payload: JoinIn):
    """Put a cost on the fixed-fee invoice of its engagement (or back on its own); 409 says why not."""
    require(request, RUN_PRE_BILLING)
    item = billing.join_fixed_fee(item_id=item_id, installment_item_id=payload.fixed_fee_item, user=request.auth)
    return {"id": item.pk, "grouping": item.grouping}


@router.post("/cost-groups", response={200: dict, 422: Message, **ERRORS})
def group(request, payload: GroupIn):
    """All of a collaborator's untreated costs of the month on one invoice (on=false: back on their own)."""
    require(request, RUN_PRE_BILLING)
    count = billing.group_by_collaborator(period=Period.parse(payload.period), collaborator_id=payload.collaborator,
                                          on=payload.on, user=request.auth)

    return {"items": count}


@router.get("/activity-reports", response={200: list[dict], 422: Message, **ERRORS})
def list_activity_reports(request, month: str):
    """Per collaborator and engagement, the days worked in the month (from time entries) and the signed file."""
    require(request, SEE_PRE_BILLING)
    period = Period.parse(month)
    return [{"collaborator": r["collaborator__code"], "engagement": r["engagement__code"], "days": str(r["days"]),
             "signed": r["report"].signed_id if r["report"] else None} for r in activity_reports(period)]


@router.post("/activity-reports/{collaborator_id}/{engagement_id}/{month}/signed",
             response={201: dict, 422: Message, **ERRORS})
def sign_activity_report(request, collaborator_id: int, engagement_id: int, month: str, file: File[UploadedFile]):
    """The report signed by the client (PDF, PNG or JPEG, at most 10 MB)."""
    require(request, RUN_PRE_BILLING)
    period = Period.parse(month)
    get_object_or_404(Collaborator, pk=collaborator_id)
    get_object_or_404(Engagement, pk=engagement_id)
    report = services.attach_signed_report(collaborator_id=collaborator_id, engagement_id=engagement_id,
                                           month=period.first_day, upload=file, user=request.auth)
    return Status(201, {"id": report.pk, "signed": report.signed_id})
