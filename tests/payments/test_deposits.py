"""A deposit set aside for a pre-invoice lowers what is due before validation, never beyond what is left."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.accounting.services import post_invoice
from prebill.audit.models import AuditEvent
from prebill.billing.models import DepositReservation, PreInvoice
from prebill.billing.selectors import installment_billed
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.engagements.models import Installment
from prebill.engagements.services import change_installment
from prebill.invoicing import services as invoicing
from prebill.invoicing.models import Invoice
from prebill.payments import services
from prebill.payments.models import Allocation
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def draft_and_deposit(firm):
    client = f.client(code="ACME")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=NOV)
    deposit = services.record_payment(client_id=client.pk, day=date(2026, 11, 2), method="transfer",
                                      amount=Decimal("50.00"), reference="ACOMPTE")
    return client, PreInvoice.objects.get(), deposit  # the draft is 120.00 incl. VAT


def test_a_reserved_deposit_settles_the_invoice_at_validation(draft_and_deposit):
    _, pre, deposit = draft_and_deposit

    services.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=Decimal("50.00"))
    assert services.deposit_left(deposit) == Decimal("0.00")
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))

    assert services.amounts_due([invoice.pk]) == {invoice.pk: Decimal("70.00")}
    assert Allocation.objects.get().amount == Decimal("50.00")
    assert not DepositReservation.objects.exists()
    post_invoice(invoice_id=invoice.pk)
    assert Invoice.objects.get(pk=invoice.pk).state == "partly_paid"


def test_a_reservation_is_never_beyond_the_deposit_nor_the_draft(draft_and_deposit, firm):
    client, pre, deposit = draft_and_deposit
    big = services.record_payment(client_id=client.pk, day=date(2026, 11, 3), method="cheque",
                                  amount=Decimal("500.00"))
    other = services.record_payment(client_id=f.client(code="OTHER").pk, day=date(2026, 11, 3),
                                    method="cheque", amount=Decimal("10.00"))

    with pytest.raises(services.PaymentRefused, match=r"il reste 50\.00 de l'acompte"):
        services.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=Decimal("50.01"))
    services.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=Decimal("40.00"))
    with pytest.raises(services.PaymentRefused, match=r"80\.00 est dû"):
        services.reserve_deposit(payment=big, pre_invoice_id=pre.pk, amount=Decimal("80.01"))
    with pytest.raises(services.PaymentRefused, match="client qui l'a versé"):
        services.reserve_deposit(payment=other, pre_invoice_id=pre.pk, amount=Decimal("1.00"))

    assert [r.amount for r in services.reservations_on(pre)] == [Decimal("40.00")]
    assert services.deposit_left(big) == Decimal("500.00")


def test_a_reservation_follows_the_draft_through_a_new_run(draft_and_deposit):
    _, pre, deposit = draft_and_deposit
    services.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=Decimal("30.00"))

    run_pre_billing(period=NOV)
    rebuilt = PreInvoice.objects.get()

    assert rebuilt.pk == pre.pk  # a draft keeps its id through runs
    assert [r.amount for r in services.reservations_on(rebuilt)] == [Decimal("30.00")]


def test_a_draft_that_shrank_takes_only_what_it_owes_and_the_rest_stays_a_deposit(draft_and_deposit):
    client, pre, _deposit = draft_and_deposit
    big = services.record_payment(client_id=client.pk, day=date(2026, 11, 3), method="cheque",
                                  amount=Decimal("120.00"))
    services.reserve_deposit(payment=big, pre_invoice_id=pre.pk, amount=Decimal("120.00"))
    installment = Installment.objects.get()
    change_installment(installment=installment, due_date=installment.due_date, amount=Decimal("50.00"),
                       label=installment.label, is_billed=installment_billed)
    run_pre_billing(period=NOV)

    invoice = invoicing.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk,
                                             issue_date=date(2026, 11, 30))
    post_invoice(invoice_id=invoice.pk)

    assert Allocation.objects.get().amount == Decimal("60.00")
    assert services.deposit_left(big) == Decimal("60.00")
    assert Invoice.objects.get(pk=invoice.pk).state == "paid"


def test_releasing_a_reservation_gives_the_money_back_to_the_deposit(draft_and_deposit):
    _, pre, deposit = draft_and_deposit
    reservation = services.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=Decimal("50.00"))

    services.release_reservation(reservation_id=reservation.pk)

    assert services.deposit_left(deposit) == Decimal("50.00")
    assert list(AuditEvent.objects.filter(action__in=["reserve_deposit", "release_deposit"])
                .values_list("action", flat=True).order_by("pk")) == ["reserve_deposit", "release_deposit"]


def test_validation_and_posting_in_one_step_with_a_deposit_covering_all_is_paid(draft_and_deposit, firm):
    client, pre, _ = draft_and_deposit
    firm.post_on_validation = True
    firm.save()
    full = services.record_payment(client_id=client.pk, day=date(2026, 11, 3), method="transfer",
                                   amount=Decimal("120.00"))
    services.reserve_deposit(payment=full, pre_invoice_id=pre.pk, amount=Decimal("120.00"))

    invoice = invoicing.validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))

    assert (invoice.state, services.amounts_due([invoice.pk])[invoice.pk]) == ("paid", Decimal("0.00"))


def test_collections_set_a_deposit_aside_on_the_pre_invoice_page_and_give_it_back(client, user_with,
                                                                                   draft_and_deposit):
    _, pre, deposit = draft_and_deposit
    client.force_login(user_with("collections"))

    client.post(f"/payments/reserve/{pre.pk}/", {"payment": deposit.pk})
    page = client.get(f"/billing/pre-invoices/{pre.pk}/")
    reservation = DepositReservation.objects.get()
    client.post(f"/payments/reservations/{reservation.pk}/release/")
    after = client.get(f"/billing/pre-invoices/{pre.pk}/")

    assert page.context["due"] == Decimal("70.00") and "ACOMPTE" in page.content.decode()
    assert after.context["due"] == Decimal("120.00") and services.deposit_left(deposit) == Decimal("50.00")
    client.force_login(user_with("preparer", username="preparer"))
    assert client.post(f"/payments/reserve/{pre.pk}/", {"payment": deposit.pk}).status_code == 403
