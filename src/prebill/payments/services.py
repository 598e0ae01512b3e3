"""Recording payments and allocating them (and deposits) to invoices; the aged balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from prebill.accounts.roles import acting_user
from prebill.audit.services import record
from prebill.billing.models import DepositReservation, PreInvoice, RemovedDraft
from prebill.core.lifecycle import InvoiceState, check_transition, posted_state
from prebill.core.refusals import Refusal
from prebill.invoicing.models import Invoice

from . import signals
from .models import Allocation, Payment

ZERO = Decimal("0.00")
BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")


class PaymentRefused(Refusal):
    """The payment, its allocation or its reservation is refused; the message says why."""


def amounts_due(invoice_ids: list[int]) -> dict[int, Decimal]:
    """What is left to pay of each invoice: total incl. VAT, less its credit notes and the money allocated."""
    invoices = dict(Invoice.objects.filter(pk__in=invoice_ids).values_list("pk", "total_including_vat"))
    credited = dict(Invoice.objects.filter(credited_invoice_id__in=invoice_ids).values("credited_invoice_id")
                    .annotate(total=Sum("total_including_vat")).values_list("credited_invoice_id", "total"))
    paid = dict(Allocation.objects.filter(invoice_id__in=invoice_ids).values("invoice_id")
                .annotate(total=Sum("amount")).values_list("invoice_id", "total"))
    return {pk: total - (credited.get(pk) or ZERO) - (paid.get(pk) or ZERO) for pk, total in invoices.items()}


def deposit_left(payment: Payment) -> Decimal:
    """What is left of a payment: neither allocated to an invoice nor reserved for a pre-invoice (nothing of a
    payment cancelled)."""
    if payment.cancelled_at is not None:
        return ZERO
    allocated = payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    reserved = payment.reservations.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount - allocated - reserved


@transaction.atomic
def record_payment(*, client_id: int, day: date, method: str, amount: Decimal, reference: str = "",
                   allocations: dict[int, Decimal] | None = None, user=None) -> Payment:
    """Money received; allocated to invoices as asked, what is left stays as a deposit of the client."""
    if amount <= 0:
        raise PaymentRefused(gettext("A payment is a positive amount."))
    payment = Payment.objects.create(client_id=client_id, date=day, method=method, amount=amount,
                                     reference=reference, recorded_by=acting_user(user))
    record(user=user, action="payment", obj=payment, after={"amount": str(amount), "reference": reference})
    for invoice_id, share in (allocations or {}).items():
        allocate(payment=payment, invoice_id=invoice_id, amount=share, user=user)
    return payment


def excess_of(invoice: Invoice, amount: Decimal) -> Decimal:
    """What a payment of `amount` would leave once the invoice is paid (nothing when it does not pay it all)."""
    return max(amount - max(amounts_due([invoice.pk])[invoice.pk], ZERO), ZERO)


@transaction.atomic
def pay_invoice(*, invoice: Invoice, day: date, method: str, amount: Decimal, reference: str = "",
                user=None) -> Payment:
    """Money received for an invoice: it pays what is due of it, the rest stays a deposit of the client."""
    due = amounts_due([invoice.pk])[invoice.pk]
    return record_payment(client_id=invoice.client_id, day=day, method=method, amount=amount, reference=reference,
                          allocations={invoice.pk: min(amount, due)} if due > 0 else {}, user=user)


@transaction.atomic
def settle_with_deposit(*, payment: Payment, invoice: Invoice, user=None) -> Allocation:
    """What is left of a deposit pays the invoice, never beyond what is due of it."""
    due = amounts_due([invoice.pk])[invoice.pk]
    return allocate(payment=payment, invoice_id=invoice.pk, amount=min(due, deposit_left(payment)), user=user)


@transaction.atomic
def allocate(*, payment: Payment, invoice_id: int, amount: Decimal, user=None) -> Allocation:
    """Settle (part of) an invoice with a payment or a deposit: never beyond what either has left."""
    payment = _standing(Payment.all_objects.select_for_update().get(pk=payment.pk))
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.client_id != payment.client_id:
        raise PaymentRefused(gettext("%(number)s is not an invoice of this client.") % {"number": invoice.number})
    due = amounts_due([invoice.pk])[invoice.pk]
    left = deposit_left(payment)
    if amount <= 0 or amount > due or amount > left:
        raise PaymentRefused(gettext("%(amount)s cannot be allocated to %(number)s: %(due)s is due and %(left)s is "
                                     "left of the payment.")
                             % {"amount": amount, "number": invoice.number, "due": due, "left": left})
    state = InvoiceState(invoice.state)
    if state is InvoiceState.VALIDATED:
        wanted = state  # settled before posting (a deposit): posting then says partly paid or paid
    else:
        wanted = InvoiceState.PAID if amount == due else InvoiceState.PARTLY_PAID
        check_transition(state, wanted)
    allocation = Allocation.objects.create(payment=payment, invoice=invoice, amount=amount)
    Invoice.objects.filter(pk=invoice.pk).update(state=wanted)
    record(user=user, action="allocate", obj=invoice, before={"state": state.value, "due": str(due)},
           after={"state": wanted.value, "due": str(due - amount), "payment": payment.pk})
    signals.invoice_settled.send(sender=Allocation, allocation=allocation, user=user)
    return allocation


def _standing(payment: Payment) -> Payment:
    """The payment, unless it was cancelled: then nothing of it can be used."""
    if payment.cancelled_at is not None:
        raise PaymentRefused(gettext("Payment %(payment)s of %(date)s was cancelled: nothing of it can be used.")
                             % {"payment": payment.pk, "date": payment.date.strftime("%d/%m/%Y")})
    return payment


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRefused(gettext("Say why (the reason is kept in the audit trail)."))
    return reason[:500]


def _remove(allocation: Allocation, *, reason: str, user) -> None:
    """Undo one allocation (already locked with its payment): it stops counting, the invoice owes it again, its
    state follows; accounting and e-invoicing undo their part (signals.allocation_removed)."""
    invoice = Invoice.objects.select_for_update().get(pk=allocation.invoice_id)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise PaymentRefused(gettext("%(number)s is a credit note: what settles it cannot be removed here.")
                             % {"number": invoice.number})
    due = amounts_due([invoice.pk])[invoice.pk]
    Allocation.all_objects.filter(pk=allocation.pk).update(removed_at=timezone.now(), removed_by=acting_user(user),
                                                           removal_reason=reason)
    allocation.refresh_from_db()
    state = InvoiceState(invoice.state)
    # Not posted yet: it stays validated (posting then takes only what is still allocated). Posted: partly paid
    # while money is still allocated, posted again when none is.
    wanted = state if state is InvoiceState.VALIDATED else posted_state(
        paid=Allocation.objects.filter(invoice=invoice).exists(), due=due + allocation.amount)
    Invoice.objects.filter(pk=invoice.pk).update(state=wanted)
    record(user=user, action="remove_allocation", obj=invoice,
           before={"state": state.value, "due": str(due), "allocation": allocation.pk,
                   "amount": str(allocation.amount)},
           after={"state": wanted.value, "due": str(due + allocation.amount), "payment": allocation.payment_id,
                  "reason": reason})
    signals.allocation_removed.send(sender=Allocation, allocation=allocation, user=user)


def _locked(allocation: Allocation) -> tuple[Allocation, Payment]:
    payment = Payment.all_objects.select_for_update().get(pk=allocation.payment_id)
    allocation = Allocation.all_objects.select_for_update().get(pk=allocation.pk)
    if allocation.removed_at is not None:
        raise PaymentRefused(gettext("This allocation of %(amount)s was already removed on %(date)s.")
                             % {"amount": allocation.amount,
                                "date": timezone.localtime(allocation.removed_at).strftime("%d/%m/%Y")})
    return allocation, payment


@transaction.atomic
def remove_allocation(*, allocation: Allocation, reason: str, user=None) -> Allocation:
    """Undo an allocation (money allocated to the wrong invoice): the invoice owes it again and the money goes back
    to the client's deposit. The row stays (the journal and the audit trail point at it), marked removed."""
    reason = _reason(reason)
    allocation, payment = _locked(allocation)
    _standing(payment)
    _remove(allocation, reason=reason, user=user)
    return allocation


@transaction.atomic
def correct_allocation(*, allocation: Allocation, amount: Decimal, reason: str, user=None) -> Allocation:
    """A wrong amount allocated: the allocation is removed and the payment allocated again with `amount` to the
    same invoice (never beyond what is due or what is left of the payment)."""
    reason = _reason(reason)
    allocation, payment = _locked(allocation)
    _standing(payment)
    if amount == allocation.amount:
        raise PaymentRefused(gettext("%(amount)s is already the amount allocated: nothing to correct.")
                             % {"amount": amount})
    _remove(allocation, reason=reason, user=user)
    return allocate(payment=payment, invoice_id=allocation.invoice_id, amount=amount, user=user)


@transaction.atomic
def cancel_payment(*, payment: Payment, reason: str, user=None) -> Payment:
    """A payment recorded by mistake: its allocations are removed (the invoices owe them again), what was set aside
    of it for pre-invoices is released, and it stops counting; accounting reverses its bank entry. Nothing is
    deleted."""
    reason = _reason(reason)
    payment = Payment.all_objects.select_for_update().get(pk=payment.pk)
    if payment.cancelled_at is not None:
        raise PaymentRefused(gettext("Payment %(payment)s of %(date)s was already cancelled on %(on)s.")
                             % {"payment": payment.pk, "date": payment.date.strftime("%d/%m/%Y"),
                                "on": timezone.localtime(payment.cancelled_at).strftime("%d/%m/%Y")})
    removed = []
    for allocation in Allocation.objects.select_for_update().filter(payment=payment).order_by("pk"):
        _remove(allocation, reason=reason, user=user)
        removed.append(allocation.pk)
    for reservation in DepositReservation.objects.select_for_update().filter(payment=payment).order_by("pk"):
        record(user=user, action="release_deposit", obj=payment,
               before={"pre_invoice": reservation.pre_invoice_id, "amount": str(reservation.amount)},
               after={"reason": reason})
        reservation.delete()
    Payment.all_objects.filter(pk=payment.pk).update(cancelled_at=timezone.now(), cancelled_by=acting_user(user),
                                                     cancel_reason=reason)
    payment.refresh_from_db()
    record(user=user, action="cancel_payment", obj=payment,
           before={"amount": str(payment.amount), "reference": payment.reference, "allocations": removed},
           after={"cancelled": True, "reason": reason})
    signals.payment_cancelled.send(sender=Payment, payment=payment, user=user)
    return payment


def aged_balance(today: date) -> list[dict]:
    """Per client, what is due by age past the due date: not due, 1-30, 31-60, 61-90, over 90 days."""
    open_invoices = list(Invoice.objects.filter(kind=Invoice.Kind.INVOICE).exclude(state=InvoiceState.PAID)
                         .values("pk", "client_id", "buyer_code", "buyer_name", "due_date"))
    due = amounts_due([row["pk"] for row in open_invoices])
    clients: dict[int, dict] = {}
    for row in open_invoices:
        amount = due[row["pk"]]
        if amount <= 0:
            continue
        late = (today - row["due_date"]).days
        bucket = ("not_due" if late <= 0 else "1_30" if late <= 30 else "31_60" if late <= 60
                  else "61_90" if late <= 90 else "over_90")
        client = clients.setdefault(row["client_id"], {"code": row["buyer_code"], "name": row["buyer_name"],
                                                       **dict.fromkeys(BUCKETS, ZERO), "total": ZERO})
        client[bucket] += amount
        client["total"] += amount
    return sorted(clients.values(), key=lambda c: c["code"])


def released_by_removed_drafts(since: date) -> list:
    """Deposits set aside for drafts that disappeared since `since`, given back to their payments: the
    collections team sees them to set them aside again where the items went."""
    return list(RemovedDraft.objects.filter(removed_at__date__gte=since, released_deposits__gt=0)
                .select_related("client").order_by("-removed_at")[:200])


def client_deposits(client_id: int) -> list[tuple[Payment, Decimal]]:
    """The client's payments with something left, and what is left of each."""
    # One query: what each payment allocated and reserved, summed in subqueries (not two queries per payment).
    allocated = (Allocation.objects.filter(payment=OuterRef("pk")).values("payment")
                 .annotate(total=Sum("amount")).values("total"))
    reserved = (DepositReservation.objects.filter(payment=OuterRef("pk")).values("payment")
                .annotate(total=Sum("amount")).values("total"))
    payments = (Payment.objects.filter(client_id=client_id)
                .annotate(left=F("amount") - Coalesce(Subquery(allocated), ZERO) - Coalesce(Subquery(reserved), ZERO))
                .filter(left__gt=0).order_by("date", "pk"))
    return [(payment, payment.left) for payment in payments]


def reservations_on(pre_invoice: PreInvoice) -> list[DepositReservation]:
    """The deposits set aside for a pre-invoice."""
    return list(DepositReservation.objects.filter(pre_invoice=pre_invoice).select_related("payment").order_by("pk"))


def pre_invoice_due(pre_invoice: PreInvoice) -> tuple[list[DepositReservation], Decimal]:
    """The deposits set aside for a pre-invoice and what is left to pay of it."""
    reservations = reservations_on(pre_invoice)
    return reservations, pre_invoice.total_including_vat - sum((r.amount for r in reservations), ZERO)


@transaction.atomic
def reserve_deposit(*, payment: Payment, pre_invoice_id: int, amount: Decimal, user=None) -> DepositReservation:
    """Set part of a deposit aside for a pre-invoice, so that its amount due falls before validation."""
    payment = _standing(Payment.all_objects.select_for_update().get(pk=payment.pk))
    pre = PreInvoice.objects.select_for_update().filter(pk=pre_invoice_id).first()
    if pre is None:
        raise PaymentRefused(gettext("This pre-invoice no longer exists: the month was run again; open it anew."))
    if pre.client_id != payment.client_id:
        raise PaymentRefused(gettext("A deposit only settles documents of the client who paid it."))
    due = pre_invoice_due(pre)[1]
    left = deposit_left(payment)
    if amount <= 0 or amount > due or amount > left:
        raise PaymentRefused(gettext("%(amount)s cannot be set aside for this pre-invoice: %(due)s is due and "
                                     "%(left)s is left of the deposit.")
                             % {"amount": amount, "due": due, "left": left})
    reservation = DepositReservation.objects.create(
        payment=payment, pre_invoice=pre, amount=amount, reserved_by=acting_user(user))
    record(user=user, action="reserve_deposit", obj=payment, before={"left": str(left)},
           after={"left": str(left - amount), "pre_invoice": pre.pk, "amount": str(amount)})
    return reservation


@transaction.atomic
def release_reservation(*, reservation_id: int, user=None) -> None:
    """Give a reserved amount back to its deposit (the undo of reserve_deposit)."""
    reservation = DepositReservation.objects.select_for_update().filter(pk=reservation_id).first()
    if reservation is None:
        raise PaymentRefused(gettext("This reservation no longer exists."))

    record(user=user, action="release_deposit", obj=reservation.payment,
           before={"pre_invoice": reservation.pre_invoice_id, "amount": str(reservation.amount)}, after={})
    reservation.delete()


def settle_reservations(*, invoice: Invoice, pre_invoice_id: int, user=None) -> Decimal:
    """At validation, what was reserved for the draft settles the invoice (never beyond what it owes)."""
    settled = ZERO
    for reservation in DepositReservation.objects.select_for_update().filter(
            pre_invoice_id=pre_invoice_id).order_by("pk"):
        share = min(reservation.amount, amounts_due([invoice.pk])[invoice.pk])
        reservation.delete()
        if share > 0:
            allocate(payment=reservation.payment, invoice_id=invoice.pk, amount=share, user=user)
            settled += share
    return settled
