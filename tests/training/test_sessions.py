"""A session done drafts what funders and sponsors owe, by each funder's billing option."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.clients.models import Client
from prebill.core.periods import Period
from prebill.organisation.models import Organisation
from prebill.training import services
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def session(firm):
    product = TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                             days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))
    session = TrainingSession.objects.create(reference="S-2026-11", product=product, start=date(2026, 11, 16),
                                             end=date(2026, 11, 17), place="Lyon")
    opco = f.client(code="OPCO")
    for code, learners in (("ALPHA", 2), ("BETA", 1)):
        sponsor = f.client(code=code)
        for n in range(learners):
            Learner.objects.create(session=session, name=f"{code} learner {n}", sponsor=sponsor)
        Funding.objects.create(session=session, funder=opco, sponsor=sponsor, percent=Decimal("100"),
                               file_number=f"DOS-{code}")
    return session


def funder_drafts() -> int:
    return PreInvoice.objects.filter(client__code="OPCO").count()


@pytest.mark.parametrize(("option", "drafts"), [("pair", 2), ("consolidated", 1), ("none", 0)])
def test_two_sponsors_funded_by_one_funder_give_drafts_by_option(session, option, drafts):
    Client.objects.filter(code="OPCO").update(training_billing=option)

    services.mark_done(session_id=session.pk)

    assert funder_drafts() == drafts
    assert not PreInvoice.objects.exclude(client__code="OPCO").exists()  # fully funded: nothing for the sponsors


def test_the_clients_option_beats_the_firms_default_and_new_clients_follow_the_default(session):
    Organisation.objects.update(training_billing="consolidated")
    Client.objects.filter(code="OPCO").update(training_billing="")  # created after the option: the default
    newcomer = f.client(code="NEW")

    services.mark_done(session_id=session.pk)

    assert newcomer.training_billing == "" and funder_drafts() == 1
    Client.objects.filter(code="OPCO").update(training_billing="pair")
    services.cancel(session_id=session.pk)
    TrainingSession.objects.filter(pk=session.pk).update(status="planned")
    services.mark_done(session_id=session.pk)
    assert funder_drafts() == 2


def test_existing_clients_keep_one_invoice_per_pair():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    assert ("clients", "0002_client_training_billing") in executor.loader.applied_migrations
    migration = executor.loader.get_migration("clients", "0002_client_training_billing")
    assert "SET training_billing = 'pair'" in migration.operations[-1].sql


def test_partial_funding_bills_the_remainder_to_each_sponsor_exactly(session):
    Funding.objects.filter(sponsor__code="ALPHA").update(percent=Decimal("33.33"))
    Funding.objects.filter(sponsor__code="BETA").update(percent=None, amount=Decimal("250.00"))

    services.mark_done(session_id=session.pk)

    owed = {(i.client.code, i.training_charge.sponsor.code): i.amount for i in BillableItem.objects.filter(
        kind="training").select_related("client", "training_charge__sponsor")}
    assert owed == {("OPCO", "ALPHA"): Decimal("399.96"), ("ALPHA", "ALPHA"): Decimal("800.04"),
                    ("OPCO", "BETA"): Decimal("250.00"), ("BETA", "BETA"): Decimal("350.00")}
    assert sum(owed.values()) == Decimal("1800.00")


def test_done_twice_drafts_once_and_cancelling_removes_the_drafts(session):
    first = services.mark_done(session_id=session.pk)
    second = services.mark_done(session_id=session.pk)
    run_pre_billing(period=NOV)
    kept = funder_drafts()

    services.cancel(session_id=session.pk)

    assert (first, second, kept) == (2, 0, 2)
    assert funder_drafts() == 0 and not BillableItem.objects.filter(kind="training").exists()
    with pytest.raises(services.SessionRefused, match="annulée"):
        services.mark_done(session_id=session.pk)


def test_exempt_training_is_invoiced_with_the_exemption_wording(session):
    import io

    from pypdf import PdfReader

    from prebill.documents.pdf import invoice_pdf
    from prebill.invoicing.services import validate_pre_invoice

    Client.objects.filter(code="OPCO").update(training_billing="consolidated")
    services.mark_done(session_id=session.pk)
    pre = PreInvoice.objects.get(client__code="OPCO")

    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))
    text = " ".join(PdfReader(io.BytesIO(invoice_pdf(invoice))).pages[0].extract_text().split())

    assert (pre.vat_regime, invoice.total_vat, invoice.total_excluding_vat) == ("exempt", 0, Decimal("1800.00"))
    assert "Exonération de TVA" in text and "261-4-4° a du CGI" in text
