import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import translation

from prebill.invoicing.immutability import _triggers
from prebill.organisation.models import InvoiceSeries
from tests import factories
from tests import factories as f
from tests.smtp import smtp_server  # noqa: F401  (a fixture: the SMTP server the e-mail tests start)


@pytest.fixture(autouse=True)
def _runs_inline(settings):
    settings.PREBILL_RUNS_INLINE = True


@pytest.fixture(autouse=True)
def _language_of_the_firm():
    """A page asked in English leaves English active in the thread: the next test reads French again."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org(db):
    return factories.organisation()


@pytest.fixture
def user_with(db):
    """A logged-in-able user holding the given roles (Django groups)."""

    def make(*roles: str, username: str | None = None) -> User:
        user = User.objects.create_user(username=username or f"user-{'-'.join(roles) or 'none'}", password="pw-test-1")
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        return user

    return make


@pytest.fixture
def preparer_client(client, user_with):
    client.force_login(user_with("preparer"))
    return client


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
        for table in ("einvoicing_lifecycleevent", "einvoicing_transmission", "einvoicing_paymentreport",
                      "accounting_journalline", "accounting_journalentry", "payments_allocation",
                      "documents_issueddocument", "sending_invoiceemail", "invoicing_invoicevat", "invoicing_invoicelineitem",
                      "invoicing_invoiceline", "invoicing_invoice", "audit_auditevent"):
            cursor.execute(f"DELETE FROM {table}")
        for statement in create:
            cursor.execute(statement)
