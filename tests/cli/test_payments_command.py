"""`prebill payments`: list an invoice's payments with their ids, remove one from the invoice, cancel one (in
French, the command line's language)."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.cli.commands import dispatch
from prebill.core.periods import Period
from prebill.invoicing.services import validate_pre_invoice
from prebill.payments import services
from prebill.payments.models import Payment
from tests import factories as f

pytestmark = pytest.mark.django_db


def run(capsys, *argv) -> tuple[int, str, str]:
    code = dispatch(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def paid(firm):
    client = f.client(code="ACME")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    invoice = validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))
    return invoice, services.pay_invoice(invoice=invoice, day=date(2026, 12, 1), method="transfer",
                                         amount=Decimal("150.00"), reference="VIR 7")


def test_list_then_remove_then_cancel(capsys, paid):
    invoice, payment = paid
    allocation = payment.allocations.get()

    code, out, _ = run(capsys, "payments", "list", invoice.number)
    assert code == 0 and f"affectation {allocation.pk} : 120.00 du règlement {payment.pk}" in out and "reste dû : 0.00" in out

    code, out, _ = run(capsys, "payments", "remove", str(allocation.pk), "--reason", "mauvaise facture")
    assert code == 0 and f"120.00 retirés de {invoice.number}" in out and "(reste 150.00)" in out
    assert services.amounts_due([invoice.pk]) == {invoice.pk: Decimal("120.00")}

    code, _, err = run(capsys, "payments", "remove", str(allocation.pk), "--reason", "encore")
    assert code == 2 and "a déjà été retiré" in err

    code, out, _ = run(capsys, "payments", "cancel", str(payment.pk), "--reason", "doublon")
    assert code == 0 and f"règlement {payment.pk} annulé" in out
    assert Payment.all_objects.get(pk=payment.pk).cancel_reason == "doublon"

    code, _, err = run(capsys, "payments", "cancel", str(payment.pk), "--reason", "doublon")
    assert code == 2 and "a déjà été annulé" in err


def test_cancel_lists_the_invoices_that_owe_again(capsys, paid):
    invoice, payment = paid
    code, out, _ = run(capsys, "payments", "cancel", str(payment.pk), "--reason", "chèque rejeté")
    assert code == 0 and f"{invoice.number} doit de nouveau 120.00" in out
    code, _, err = run(capsys, "payments", "cancel", "999999", "--reason", "x")
    assert code == 2 and "aucun règlement 999999" in err


def test_the_reason_is_required(capsys, paid):
    _, payment = paid
    with pytest.raises(SystemExit):
        dispatch(["payments", "cancel", str(payment.pk)])
