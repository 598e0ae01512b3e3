import pytest
from django.db import connection

from prebill.invoicing.immutability import _triggers
from prebill.organisation.models import InvoiceSeries
from tests import factories as f


@pytest.fixture
def firm(db):
    org = f.organisation()
    InvoiceSeries.objects.create(organisation=org, code="F", kind="invoice", prefix="F{year}-", digits=6,
                                 is_default=True)
    InvoiceSeries.objects.create(organisation=org, code="AV", kind="credit_note", prefix="AV{year}-", digits=6)
    return org


@pytest.fixture
def unfreeze_after(transactional_db):
    """Transactional tests empty the tables afterwards: lift the triggers for that cleaning only."""
    yield
    create, drop = _triggers(connection.vendor)
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)
        for table in ("invoicing_invoicevat", "invoicing_invoicelineitem", "invoicing_invoiceline",
                      "invoicing_invoice", "audit_auditevent"):
            cursor.execute(f"DELETE FROM {table}")
        for statement in create:
            cursor.execute(statement)
