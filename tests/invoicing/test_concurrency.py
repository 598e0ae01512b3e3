"""Four workers validating at once: consecutive numbers, no gap, no duplicate, no item billed twice."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection

from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing import services
from prebill.invoicing.models import Invoice, InvoiceLineItem
from tests import factories as f

ISSUED = date(2026, 11, 30)


def validate(pre_invoice_id: int) -> str:
    try:
        return services.validate_pre_invoice(pre_invoice_id=pre_invoice_id, issue_date=ISSUED).number
    except services.ValidationRefused as refused:
        return f"refused: {refused}"
    finally:
        connection.close()  # each worker thread has its own connection


@pytest.fixture
def hundred_pre_invoices(unfreeze_after, firm):
    for n in range(100):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(ISSUED, f"{n + 1}.00")])
    run_pre_billing(period=Period(2026, 11))
    return list(PreInvoice.objects.values_list("id", flat=True))


def test_100_validations_by_4_workers_give_consecutive_numbers(hundred_pre_invoices):
    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(validate, hundred_pre_invoices))

    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert not [n for n in numbers if n.startswith("refused")]
    assert sequences == list(range(1, 101))
    assert len(set(numbers)) == 100
    assert InvoiceLineItem.objects.values("item").distinct().count() == InvoiceLineItem.objects.count() == 100
    assert not BillableItem.objects.filter(status="pending").exists()


def test_two_workers_validating_the_same_pre_invoice_bill_it_once(hundred_pre_invoices):
    target = hundred_pre_invoices[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(validate, [target] * 4))

    assert sum(1 for outcome in outcomes if outcome.startswith("F2026-")) == 1
    assert Invoice.objects.count() == 1
