"""Endpoints of pro forma invoices: generate, read, change a line, process."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from prebill.accounts.roles import RUN_PRE_BILLING, SEE_PRE_BILLING
from prebill.clients.models import Client
from prebill.proforma import services
from prebill.proforma.models import ProForma

from .auth import require
from .endpoints import get_pre_invoice
from .schemas import Message

router = Router(tags=["pro forma"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}


class ProFormaLineOut(Schema):
    id: int
    position: int
    engagement: str = Field(alias="engagement.code")
    designation: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    proposed_amount: Decimal
    amount: Decimal
    vat_rate: Decimal
    status: str
    items: list[int]

    @staticmethod
    def resolve_items(obj) -> list[int]:
        return [share.item_id for share in obj.items.all()]


class ProFormaOut(Schema):
    id: int
    client: str = Field(alias="client.code")
    state: str
    pre_invoice: int | None = Field(None, alias="pre_invoice_id")
    lines: list[ProFormaLineOut]

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.select_related("engagement").prefetch_related("items").order_by("position"))


class GenerateIn(Schema):
    client: str = Field(pattern=r"^[^\x00]*$", max_length=30)
    until: date


class AmountIn(Schema):
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class StatusIn(Schema):
    status: str = Field(pattern="^(open|transferred|withdrawn)$")


class ProcessIn(Schema):
    on: date | None = None


@router.get("/pro-formas", response=list[ProFormaOut])
def list_pro_formas(request, client: str = Query("", pattern=r"^[^\x00]*$", max_length=30),
                    state: str = Query("", pattern="^(open|processed)?$")):
    require(request, SEE_PRE_BILLING)
    pro_formas = ProForma.objects.select_related("client").order_by("-pk")
    if client:
        pro_formas = pro_formas.filter(client__code=client)
    return pro_formas.filter(state=state) if state else pro_formas[:100]


@router.get("/pro-formas/{pro_forma_id}", response={200: ProFormaOut, **ERRORS})
def get_pro_forma(request, pro_forma_id: int):
    require(request, SEE_PRE_BILLING)
    return get_object_or_404(ProForma.objects.select_related("client"), pk=pro_forma_id)


@router.post("/pro-formas", response={201: ProFormaOut, **ERRORS})
def generate(request, payload: GenerateIn):
    """Put the client's hours and units done up to `until` on its open pro forma (opened if none); their
    time entries are locked until the invoice is validated."""
    require(request, RUN_PRE_BILLING)
    client = get_object_or_404(Client, code=payload.client)
    pro_forma, _ = services.generate(client_id=client.pk, until=payload.until, user=request.auth)
    return Status(201, pro_forma)


@router.put("/pro-forma-lines/{line_id}/amount", response={200: ProFormaOut, **ERRORS})
def change_amount(request, line_id: int, payload: AmountIn):
    require(request, RUN_PRE_BILLING)
    line = services.change_amount(line_id=line_id, amount=payload.amount, user=request.auth)
    return line.pro_forma


@router.put("/pro-forma-lines/{line_id}/status", response={200: ProFormaOut, **ERRORS})
def set_status(request, line_id: int, payload: StatusIn):
    """open (bill it), transferred (to a later invoice: back on the next pro forma), withdrawn (never billed)."""
    require(request, RUN_PRE_BILLING)
    line = services.set_status(line_id=line_id, status=payload.status, user=request.auth)
    return line.pro_forma


@router.post("/pro-formas/{pro_forma_id}/process", response={201: dict, **ERRORS})
def process(request, pro_forma_id: int, payload: ProcessIn):
    """Turn the open lines into a pre-invoice ready to validate."""
    require(request, RUN_PRE_BILLING)
    pre = services.process(pro_forma_id=pro_forma_id, user=request.auth, on=payload.on)
    return Status(201, get_pre_invoice(request, pre.pk))
