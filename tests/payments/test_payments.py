"""Payments and deposits settle invoices, never beyond what is due or left; the aged balance."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.invoicing.models import Invoice
from prebill.payments import services

pytestmark = pytest.mark.django_db


def test_one_payment_settles_two_invoices_and_the_rest_becomes_a_deposit(two_invoices):
    client, (small, large) = two_invoices

    payment = services.record_payment(client_id=client.pk, day=date(2026, 12, 10), method="transfer",
                                      amount=Decimal("200.00"), allocations={small.pk: Decimal("60.00"),
                                                                             large.pk: Decimal("100.00")})

    assert Invoice.objects.get(pk=small.pk).state == "paid"
    assert Invoice.objects.get(pk=large.pk).state == "partly_paid"
    assert services.amounts_due([large.pk]) == {large.pk: Decimal("20.00")}
    assert services.deposit_left(payment) == Decimal("40.00")


def test_a_deposit_is_never_used_beyond_what_is_left_or_due(two_invoices):
    client, (small, large) = two_invoices
    deposit = services.record_payment(client_id=client.pk, day=date(2026, 11, 1), method="cheque",
                                      amount=Decimal("30.00"))

    with pytest.raises(services.PaymentRefused, match=r"il reste 30\.00"):
        services.allocate(payment=deposit, invoice_id=large.pk, amount=Decimal("40.00"))
    services.allocate(payment=deposit, invoice_id=small.pk, amount=Decimal("30.00"))
    with pytest.raises(services.PaymentRefused, match=r"il reste 0\.00 "):
        services.allocate(payment=deposit, invoice_id=small.pk, amount=Decimal("1.00"))

    assert services.amounts_due([small.pk]) == {small.pk: Decimal("30.00")}


def test_the_aged_balance_sorts_what_is_due_by_age(two_invoices):
    client, (small, _large) = two_invoices

    before = services.aged_balance(date(2027, 2, 15))
    services.record_payment(client_id=client.pk, day=date(2027, 2, 15), method="transfer", amount=Decimal("60.00"),
                            allocations={small.pk: Decimal("60.00")})
    after = services.aged_balance(date(2027, 2, 15))

    assert before[0]["31_60"] == Decimal("180.00") and before[0]["total"] == Decimal("180.00")
    assert after[0]["31_60"] == Decimal("120.00")
