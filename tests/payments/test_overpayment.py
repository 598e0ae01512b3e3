"""A payment beyond what is due asks what the excess is before anything is recorded."""

from decimal import Decimal as D

import pytest

from prebill.payments import services
from prebill.payments.models import Payment

pytestmark = pytest.mark.django_db


def pay(client, invoice, amount: str, **more):
    return client.post(f"/payments/invoices/{invoice.pk}/pay/", {"amount": amount, "date": "2026-12-01",
                                                                 "method": "transfer", "reference": "VIR 9", **more})


def test_an_overpayment_asks_first_and_records_nothing_until_answered(client, user_with, two_invoices):
    _, (small, _large) = two_invoices
    client.force_login(user_with("collections"))

    asked = pay(client, small, "1000,00")

    page = asked.content.decode()
    assert asked.status_code == 200 and 'data-test="overpayment"' in page
    assert "940,00" in page and "60,00" in page  # the excess and what is due, said before anything is kept
    assert not Payment.objects.exists()


def test_the_excess_kept_as_a_deposit_of_the_client(client, user_with, two_invoices):
    acme, (small, _large) = two_invoices
    client.force_login(user_with("collections"))

    answer = pay(client, small, "1000,00", excess="deposit")

    [payment] = Payment.objects.all()
    assert answer.status_code == 302 and payment.amount == D("1000.00")
    assert services.amounts_due([small.pk])[small.pk] == D("0.00")
    assert services.deposit_left(payment) == D("940.00")
    client_page = client.get(f"/clients/{acme.code}/").content.decode()
    assert f'data-deposit="{payment.pk}"' in client_page and 'data-test="cancel-deposit"' in client_page


def test_a_typing_mistake_records_only_what_is_due(client, user_with, two_invoices):
    _, (small, _large) = two_invoices
    client.force_login(user_with("collections"))

    pay(client, small, "1000,00", excess="due_only")

    [payment] = Payment.objects.all()
    assert payment.amount == D("60.00") and services.deposit_left(payment) == D("0.00")


def test_a_payment_of_what_is_due_asks_nothing(client, user_with, two_invoices):
    _, (small, _large) = two_invoices
    client.force_login(user_with("collections"))

    assert pay(client, small, "60,00").status_code == 302
    assert Payment.objects.get().amount == D("60.00")
