"""Undoing a payment: an allocation removed gives its money back to the deposit and the invoice owes it again; a
payment recorded by mistake is cancelled, never deleted; everything that sums allocations stays exact; refusals."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from prebill.audit.models import AuditEvent
from prebill.billing.models import DepositReservation, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing import services as invoicing
from prebill.invoicing.models import Invoice
from prebill.payments import services, signals
from prebill.payments.models import Allocation, Payment
from tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal


def _state(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).state


def test_an_allocation_removed_goes_back_to_the_deposit_and_the_invoice_owes_it_again(two_invoices):
    client, (small, large) = two_invoices
    payment = services.record_payment(client_id=client.pk, day=date(2026, 12, 10), method="transfer",
                                      amount=D("200.00"), allocations={small.pk: D("60.00"), large.pk: D("100.00")})
    wrong = Allocation.objects.get(invoice=large)

    removed = services.remove_allocation(allocation=wrong, reason="affecté à la mauvaise facture")

    assert removed.removed_at is not None and removed.removal_reason == "affecté à la mauvaise facture"
    assert services.amounts_due([small.pk, large.pk]) == {small.pk: D("0.00"), large.pk: D("120.00")}
    assert services.deposit_left(payment) == D("140.00")
    assert _state(large) == "posted" and _state(small) == "paid"
    assert [p.pk for p, left in services.client_deposits(client.pk)] == [payment.pk]
    # The row stays (the journal and the audit trail point at it), but nothing counts it.
    assert Allocation.all_objects.filter(pk=wrong.pk).exists()
    assert list(large.allocations.all()) == [] and payment.allocations.count() == 1
    aged = services.aged_balance(date(2027, 3, 1))
    assert [(row["code"], row["total"]) for row in aged] == [("ACME", D("120.00"))]

    # The money is on the deposit again: it can pay the invoice it was meant for.
    services.settle_with_deposit(payment=payment, invoice=large)
    assert _state(large) == "paid" and services.deposit_left(payment) == D("20.00")


def test_removing_one_of_two_allocations_leaves_the_invoice_partly_paid(two_invoices):
    _, (_, large) = two_invoices
    first = services.pay_invoice(invoice=large, day=date(2026, 12, 10), method="transfer", amount=D("50.00"))
    services.pay_invoice(invoice=large, day=date(2026, 12, 11), method="transfer", amount=D("70.00"))
    assert _state(large) == "paid"

    services.remove_allocation(allocation=first.allocations.get(), reason="chèque rejeté")

    assert _state(large) == "partly_paid"
    assert services.amounts_due([large.pk]) == {large.pk: D("50.00")}


def test_a_payment_recorded_by_mistake_is_cancelled_not_deleted(two_invoices):
    client, (small, large) = two_invoices
    payment = services.record_payment(client_id=client.pk, day=date(2026, 12, 10), method="transfer",
                                      amount=D("200.00"), allocations={small.pk: D("60.00"), large.pk: D("100.00")})

    services.cancel_payment(payment=payment, reason="doublon du relevé")

    payment = Payment.all_objects.get(pk=payment.pk)
    assert payment.cancelled_at is not None and payment.cancel_reason == "doublon du relevé"
    assert not Payment.objects.filter(pk=payment.pk).exists() and not client.payments.exists()
    assert Allocation.all_objects.filter(payment=payment, removed_at__isnull=False).count() == 2
    assert services.amounts_due([small.pk, large.pk]) == {small.pk: D("60.00"), large.pk: D("120.00")}
    assert services.deposit_left(payment) == 0 and services.client_deposits(client.pk) == []
    assert _state(small) == "posted" and _state(large) == "posted"
    aged = services.aged_balance(date(2027, 3, 1))
    assert [(row["code"], row["total"]) for row in aged] == [("ACME", D("180.00"))]


def test_a_cancelled_deposit_gives_back_what_it_had_set_aside_for_a_draft(firm):
    client = f.client(code="ACME")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    pre = PreInvoice.objects.get()
    deposit = services.record_payment(client_id=client.pk, day=date(2026, 11, 1), method="cheque", amount=D("50.00"))
    services.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=D("50.00"))

    services.cancel_payment(payment=deposit, reason="chèque sans provision")

    assert not DepositReservation.objects.exists()
    assert services.pre_invoice_due(pre)[1] == D("120.00")
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))
    assert services.amounts_due([invoice.pk]) == {invoice.pk: D("120.00")}


def test_corrected_amount_is_a_removal_and_a_new_allocation(two_invoices):
    client, (_, large) = two_invoices
    payment = services.record_payment(client_id=client.pk, day=date(2026, 12, 10), method="transfer",
                                      amount=D("120.00"), allocations={large.pk: D("12.00")})

    new = services.correct_allocation(allocation=payment.allocations.get(), amount=D("120.00"),
                                      reason="montant mal saisi")

    assert new.amount == D("120.00") and _state(large) == "paid"
    assert services.deposit_left(payment) == 0
    assert Allocation.all_objects.filter(invoice=large).count() == 2


@translation.override("en")  # the msgids themselves (another test may have left French active)
def test_refusals_say_why_and_change_nothing(two_invoices):
    _, (small, large) = two_invoices
    payment = services.pay_invoice(invoice=small, day=date(2026, 12, 10), method="transfer", amount=D("60.00"))
    allocation = payment.allocations.get()

    with pytest.raises(services.PaymentRefused, match="Say why"):
        services.remove_allocation(allocation=allocation, reason="  ")
    assert _state(small) == "paid"

    services.remove_allocation(allocation=allocation, reason="erreur")
    with pytest.raises(services.PaymentRefused, match="already removed"):
        services.remove_allocation(allocation=allocation, reason="erreur")

    services.cancel_payment(payment=payment, reason="erreur")
    with pytest.raises(services.PaymentRefused, match="already cancelled"):
        services.cancel_payment(payment=payment, reason="erreur")
    # Nothing of a payment cancelled can be used any more.
    with pytest.raises(services.PaymentRefused, match="was cancelled"):
        services.allocate(payment=payment, invoice_id=large.pk, amount=D("10.00"))
    with pytest.raises(services.PaymentRefused, match="already the amount"):
        other = services.pay_invoice(invoice=large, day=date(2026, 12, 10), method="transfer", amount=D("10.00"))
        services.correct_allocation(allocation=other.allocations.get(), amount=D("10.00"), reason="x")


def test_a_correction_beyond_what_is_due_is_refused_and_undoes_the_removal(two_invoices):
    client, (small, _) = two_invoices
    payment = services.record_payment(client_id=client.pk, day=date(2026, 12, 10), method="transfer",
                                      amount=D("100.00"), allocations={small.pk: D("30.00")})
    allocation = payment.allocations.get()

    with pytest.raises(services.PaymentRefused):
        services.correct_allocation(allocation=allocation, amount=D("90.00"), reason="x")

    allocation.refresh_from_db()
    assert allocation.removed_at is None and services.amounts_due([small.pk]) == {small.pk: D("30.00")}


def test_each_undoing_is_audited_and_signalled(two_invoices, user_with):
    _, (small, _) = two_invoices
    user = user_with("collections")
    payment = services.pay_invoice(invoice=small, day=date(2026, 12, 10), method="transfer", amount=D("80.00"))
    seen = []
    signals.allocation_removed.connect(lambda sender, allocation, **kw: seen.append(("removed", allocation.pk)),
                                       weak=False, dispatch_uid="test.removed")
    signals.payment_cancelled.connect(lambda sender, payment, **kw: seen.append(("cancelled", payment.pk)),
                                      weak=False, dispatch_uid="test.cancelled")
    try:
        services.cancel_payment(payment=payment, reason="doublon", user=user)
    finally:
        signals.allocation_removed.disconnect(dispatch_uid="test.removed")
        signals.payment_cancelled.disconnect(dispatch_uid="test.cancelled")

    allocation = Allocation.all_objects.get(payment=payment)
    assert seen == [("removed", allocation.pk), ("cancelled", payment.pk)]
    removal = AuditEvent.objects.get(action="remove_allocation")
    assert (removal.object_id, removal.user) == (str(small.pk), user)
    assert removal.before["state"] == "paid" and removal.after == {
        "state": "posted", "due": "60.00", "payment": payment.pk, "reason": "doublon"}
    cancel = AuditEvent.objects.get(action="cancel_payment")
    assert cancel.object_id == str(payment.pk) and cancel.after["reason"] == "doublon"
    assert cancel.before["allocations"] == [allocation.pk]
