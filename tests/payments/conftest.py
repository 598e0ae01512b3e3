from datetime import date

import pytest

from prebill.accounting.services import post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing import services as invoicing
from tests import factories as f


@pytest.fixture
def two_invoices(firm):
    """Client ACME with two posted invoices of 30/11/2026: 60.00 and 120.00 incl. VAT."""
    client = f.client(code="ACME")
    for amount in ("100.00", "50.00"):
        f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), amount)])
    run_pre_billing(period=Period(2026, 11))
    invoices = [invoicing.validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, 11, 30))
                for pk in PreInvoice.objects.order_by("total_including_vat").values_list("pk", flat=True)]
    for invoice in invoices:
        post_invoice(invoice_id=invoice.pk)
    return client, invoices
