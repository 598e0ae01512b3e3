"""Endpoints of the invoice lifecycle: validate, read, post, credit, pay, aged balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from prebill.accounting.services import post_invoice
from prebill.accounts.roles import (
    POST_INVOICES,
    RECORD_PAYMENTS,
    SEE_AGED_BALANCE,
    SEE_INVOICES,
    VALIDATE_INVOICES,
)
from prebill.billing.models import DepositReservation
from prebill.clients.models import Client
from prebill.invoicing import services
from prebill.invoicing.models import Invoice
from prebill.payments import services as payments
from prebill.payments.models import Allocation, Payment

from .auth import require
from .endpoints import Pages
from .schemas import Message

router = Router(tags=["invoices"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}


class InvoiceOut(Schema):
    number: str
    kind: str
    state: str
    issue_date: date
    due_date: date
    client: str = Field(alias="buyer_code")
    credits: str | None = None
    currency: str
    total_excluding_vat: Decimal
    total_vat: Decimal
    total_including_vat: Decimal

    @staticmethod
    def resolve_credits(obj) -> str | None:
        return obj.credited_invoice.number if obj.credited_invoice_id else None


class InvoiceDetailOut(InvoiceOut):
    amount_due: Decimal = Field(description="total incl. VAT less credit notes, payments and deposits used")

    @staticmethod
    def resolve_amount_due(obj) -> Decimal:
        return payments.amounts_due([obj.pk])[obj.pk]


class IssueDate(Schema):
    issue_date: date | None = Field(None, description="Default: the pre-invoice's date, or today while that day "
                                                       "has not come.")
    version: int | None = Field(None, description="The version of the pre-invoice you saw: refused (409) if it changed.")


class CreditIn(Schema):
    items: dict[int, Decimal] | None = Field(None, description="billable item id -> quantity; all when absent")
    rebill: bool = False
    issue_date: date | None = None


class AllocationIn(Schema):
    invoice: str
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class PaymentIn(Schema):
    client: str
    date: date
    method: str = Field("transfer", pattern="^(transfer|direct_debit|cheque|card|cash)$")
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    reference: str = Field("", max_length=100)
    allocations: list[AllocationIn] = []


class PaymentOut(Schema):
    id: int
    deposit_left: Decimal


class UndoIn(Schema):
    reason: str = Field(min_length=1, max_length=500, description="why: kept in the audit trail")


class CorrectionIn(UndoIn):
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class RemovedOut(Schema):
    allocation: int
    payment: int
    invoice: str
    amount_due: Decimal
    deposit_left: Decimal


class ReservationIn(Schema):
    pre_invoice_id: int
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class ReservationOut(Schema):
    id: int
    payment: int
    amount: Decimal
    deposit_left: Decimal


def _invoice(number: str) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("credited_invoice"), number=number)


@router.post("/pre-invoices/{pre_invoice_id}/validate", response={201: InvoiceOut, **ERRORS})
def validate(request, pre_invoice_id: int, payload: IssueDate):
    require(request, VALIDATE_INVOICES)
    invoice = services.validate_pre_invoice(pre_invoice_id=pre_invoice_id, user=request.auth,
                                            issue_date=payload.issue_date
                                            or services.proposed_issue_date(pre_invoice_id),
                                            expected_version=payload.version)
    return Status(201, invoice)


@router.get("/invoices", response=list[InvoiceOut])
@paginate(Pages)
def list_invoices(request, client: str = ""):
    require(request, SEE_INVOICES)
    invoices = Invoice.objects.select_related("credited_invoice").order_by("series_id", "sequence_year", "sequence")
    return invoices.filter(buyer_code=client) if client else invoices


@router.get("/invoices/{number}", response={200: InvoiceDetailOut, **ERRORS})
def get_invoice(request, number: str):
    require(request, SEE_INVOICES)
    return _invoice(number)


@router.post("/invoices/{number}/post", response={200: InvoiceOut, **ERRORS})
def post(request, number: str):
    require(request, POST_INVOICES)
    invoice = _invoice(number)
    post_invoice(invoice_id=invoice.pk, user=request.auth)
    return _invoice(number)


@router.post("/invoices/{number}/credit-notes", response={201: InvoiceOut, **ERRORS})
def credit(request, number: str, payload: CreditIn):
    require(request, VALIDATE_INVOICES)
    invoice = _invoice(number)
    note = services.issue_credit_note(invoice_id=invoice.pk, quantities=payload.items, rebill=payload.rebill,
                                      user=request.auth, issue_date=payload.issue_date or date.today())
    return Status(201, note)


@router.post("/payments", response={201: PaymentOut, **ERRORS})
def record_payment(request, payload: PaymentIn):
    require(request, RECORD_PAYMENTS)
    client = get_object_or_404(Client, code=payload.client)
    allocations = {_invoice(a.invoice).pk: a.amount for a in payload.allocations}
    payment = payments.record_payment(client_id=client.pk, day=payload.date, method=payload.method,
                                      amount=payload.amount, reference=payload.reference, allocations=allocations,
                                      user=request.auth)
    return Status(201, {"id": payment.pk, "deposit_left": payments.deposit_left(payment)})


@router.post("/payments/{payment_id}/allocations", response={201: PaymentOut, **ERRORS})
def allocate_deposit(request, payment_id: int, payload: AllocationIn):
    """Use what is left of a payment (a deposit) to settle an invoice of the same client."""
    require(request, RECORD_PAYMENTS)
    payment = get_object_or_404(Payment, pk=payment_id)
    payments.allocate(payment=payment, invoice_id=_invoice(payload.invoice).pk, amount=payload.amount,
                      user=request.auth)
    return Status(201, {"id": payment.pk, "deposit_left": payments.deposit_left(payment)})


@router.post("/payments/{payment_id}/cancel", response={200: PaymentOut, **ERRORS})
def cancel_payment(request, payment_id: int, payload: UndoIn):
    """A payment recorded by mistake: its allocations are removed (the invoices owe them again), its bank entry is
    reversed; it stays, cancelled (409 if it already is)."""
    require(request, RECORD_PAYMENTS)
    payment = get_object_or_404(Payment.all_objects, pk=payment_id)
    payment = payments.cancel_payment(payment=payment, reason=payload.reason, user=request.auth)
    return Status(200, {"id": payment.pk, "deposit_left": payments.deposit_left(payment)})


def _removed(allocation: Allocation) -> dict:
    return {"allocation": allocation.pk, "payment": allocation.payment_id, "invoice": allocation.invoice.number,
            "amount_due": payments.amounts_due([allocation.invoice_id])[allocation.invoice_id],
            "deposit_left": payments.deposit_left(allocation.payment)}


@router.post("/allocations/{allocation_id}/remove", response={200: RemovedOut, **ERRORS})
def remove_allocation(request, allocation_id: int, payload: UndoIn):
    """Take money off an invoice: the invoice owes it again, the money goes back to the client's deposit."""
    require(request, RECORD_PAYMENTS)
    allocation = get_object_or_404(Allocation.all_objects.select_related("invoice", "payment"), pk=allocation_id)
    payments.remove_allocation(allocation=allocation, reason=payload.reason, user=request.auth)
    return Status(200, _removed(allocation))


@router.post("/allocations/{allocation_id}/correct", response={201: RemovedOut, **ERRORS})
def correct_allocation(request, allocation_id: int, payload: CorrectionIn):
    """A wrong amount allocated: removed, and the payment allocated again with `amount` to the same invoice."""
    require(request, RECORD_PAYMENTS)
    allocation = get_object_or_404(Allocation.all_objects.select_related("invoice", "payment"), pk=allocation_id)
    new = payments.correct_allocation(allocation=allocation, amount=payload.amount, reason=payload.reason,
                                      user=request.auth)
    return Status(201, _removed(Allocation.objects.select_related("invoice", "payment").get(pk=new.pk)))


@router.post("/payments/{payment_id}/reservations", response={201: ReservationOut, **ERRORS})
def reserve_deposit(request, payment_id: int, payload: ReservationIn):
    """Set part of a deposit aside for a pre-invoice: its amount due falls now, the invoice is settled at
    validation."""
    require(request, RECORD_PAYMENTS)
    payment = get_object_or_404(Payment, pk=payment_id)
    reservation = payments.reserve_deposit(payment=payment, pre_invoice_id=payload.pre_invoice_id,
                                           amount=payload.amount, user=request.auth)
    return Status(201, {"id": reservation.pk, "payment": payment.pk, "amount": reservation.amount,
                        "deposit_left": payments.deposit_left(payment)})


@router.delete("/reservations/{reservation_id}", response={204: None, **ERRORS})
def release_reservation(request, reservation_id: int):
    """Give a reserved amount back to its deposit."""
    require(request, RECORD_PAYMENTS)
    get_object_or_404(DepositReservation, pk=reservation_id)
    payments.release_reservation(reservation_id=reservation_id, user=request.auth)
    return Status(204, None)


@router.get("/aged-balance", response=list[dict])
def aged_balance(request, on: date | None = None):
    require(request, SEE_AGED_BALANCE)
    return [{k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}
            for row in payments.aged_balance(on or date.today())]
