"""Endpoints of e-invoicing: an invoice's life cycle at the firm's Plateforme Agréée, the invoices by status, a
transmission sent again, a client looked up in the directory, and the platform's statuses read now."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from prebill.accounts.roles import EDIT_PORTFOLIO, POST_INVOICES, SEE_INVOICES, VALIDATE_INVOICES
from prebill.clients.models import Client
from prebill.einvoicing import services
from prebill.einvoicing.models import Report, Transmission

from .auth import require
from .schemas import Message

router = Router(tags=["e-invoicing"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}


class StatusOut(Schema):
    code: int
    label: str
    at: datetime
    issued_by: str = Field(description="WK the platform, BY the buyer, SE the seller (us)")
    reasons: list[dict] = Field(description='[{"code": ..., "text": ...}]')


class TransmissionOut(Schema):
    invoice: str = Field(alias="invoice.number")
    state: str = Field(description="waiting, sent, accepted, rejected or failed (could not be sent)")
    syntax: str
    tracking_id: str
    flow_id: str
    attempts: int
    status: int | None = Field(description="the latest life-cycle status (200 Déposée … 213 Rejetée)")
    status_label: str
    to_correct: bool = Field(description="rejected, refused or not sent, and not settled by a credit note yet")
    last_error: str
    sent_at: datetime | None
    statuses: list[StatusOut] = Field(alias="events_list")


class ReportOut(Schema):
    id: int
    flow: str = Field(description="10.1 transactions one by one, 10.2 payments one by one, 10.3 transactions per "
                                  "day, 10.4 payments per day")
    period_first: date
    period_last: date
    version: int
    entries: int
    total_excluding_vat: Decimal = Field(description="transactions: their base; payments: the amount received")
    total_vat: Decimal
    state: str
    last_error: str


class DirectoryOut(Schema):
    client: str
    address: str = Field(description="the addressing identifier the directory gives; empty: no platform yet")


class FollowOut(Schema):
    statuses: int


def _out(transmission: Transmission) -> Transmission:
    transmission.events_list = list(transmission.events.all())
    return transmission


@router.get("/einvoicing/transmissions", response=list[TransmissionOut])
def transmissions(request, status: int | None = None, state: str = "", to_correct: bool = False):
    """The invoices sent (or to send) to the platform, by life-cycle status, by state, or those to correct."""
    require(request, SEE_INVOICES)
    found = services.to_correct() if to_correct else Transmission.objects.select_related("invoice").order_by("pk")
    if status is not None:
        found = found.filter(status=status)
    if state:
        found = found.filter(state=state)
    return [_out(t) for t in found.prefetch_related("events")[:1000]]


@router.get("/invoices/{number}/einvoicing", response={200: TransmissionOut, **ERRORS})
def invoice_lifecycle(request, number: str):
    require(request, SEE_INVOICES)
    return _out(get_object_or_404(Transmission.objects.select_related("invoice"), invoice__number=number))


@router.post("/invoices/{number}/einvoicing/send-again", response={200: TransmissionOut, **ERRORS})
def send_again(request, number: str):
    require(request, VALIDATE_INVOICES)
    transmission = get_object_or_404(Transmission.objects.select_related("invoice"), invoice__number=number)
    return _out(services.send_again(transmission, user=request.auth))


@router.post("/einvoicing/follow", response={200: FollowOut, **ERRORS})
def follow(request):
    require(request, SEE_INVOICES)
    return {"statuses": services.follow()}


@router.post("/clients/{code}/directory", response={200: DirectoryOut, **ERRORS})
def look_up(request, code: str):
    require(request, EDIT_PORTFOLIO)
    client = get_object_or_404(Client, code=code)
    return {"client": client.code, "address": services.look_up_client(client)}


@router.get("/einvoicing/reports", response=list[ReportOut])
def reports(request):
    """The e-reporting flows prepared, the latest periods first."""
    require(request, SEE_INVOICES)
    return list(Report.objects.defer("content")[:500])


@router.post("/einvoicing/reports/{report_id}/again", response={201: ReportOut, **ERRORS})
def report_again(request, report_id: int):
    require(request, POST_INVOICES)
    return 201, services.prepare_again(get_object_or_404(Report, pk=report_id), user=request.auth)
