"""When time changes after invoicing: only the difference is invoiced, or the excess credited."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing import services
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV, DEC = Period(2026, 11), Period(2026, 12)


@pytest.fixture
def twenty_days(firm):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement, unit="day")
    consultant = f.collaborator(daily="700")
    entries = [f.time_entry(consultant, engagement, date(2026, 11, day), "7") for day in range(2, 22)]
    run_pre_billing(period=NOV)
    invoice = services.validate_pre_invoice(pre_invoice_id=PreInvoice.objects.get().pk, issue_date=date(2026, 11, 30))
    return client, engagement, consultant, entries, invoice


def test_twenty_days_billed_twenty_one_due_gives_a_pre_invoice_of_one_day(twenty_days):
    _, engagement, consultant, _, invoice = twenty_days
    f.time_entry(consultant, engagement, date(2026, 11, 27), "7")

    december = run_pre_billing(period=DEC)

    [pre] = PreInvoice.objects.filter(period=DEC.first_day)
    assert invoice.total_excluding_vat == Decimal("14000.00")
    assert (december.pre_invoices, pre.total_excluding_vat) == (1, Decimal("700.00"))
    assert sum(line.quantity for line in pre.lines.all()) == Decimal("1")


def test_a_day_reduced_after_invoicing_is_credited_not_billed_again(twenty_days):
    _, _, _, entries, invoice = twenty_days
    entries[0].hours = Decimal("3.5")
    entries[0].save()

    december = run_pre_billing(period=DEC)
    item = BillableItem.objects.get(time_entry=entries[0])
    note = services.issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal("0.5")}, rebill=True,
                                      issue_date=date(2026, 12, 2))
    after = run_pre_billing(period=DEC)

    assert december.pre_invoices == 0 and december.excess_to_credit == 1
    assert note.total_excluding_vat == Decimal("350.00")
    assert after.excess_to_credit == 0 and after.pre_invoices == 0
    item.refresh_from_db()
    assert (item.quantity, item.billed_quantity, item.status) == (Decimal("0.5"), Decimal("0.5"), "billed")


def test_restoring_the_time_invoiced_leaves_nothing_to_bill_or_credit(twenty_days):
    _, _, _, entries, invoice = twenty_days
    entries[0].hours = Decimal("14")
    entries[0].save()
    changed = run_pre_billing(period=DEC)
    [difference] = PreInvoice.objects.filter(period=DEC.first_day)

    entries[0].hours = Decimal("7")
    entries[0].save()
    restored = run_pre_billing(period=DEC)

    assert (changed.pre_invoices, difference.total_excluding_vat) == (1, Decimal("700.00"))
    assert (restored.pre_invoices, restored.excess_to_credit) == (0, 0)
    item = BillableItem.objects.get(time_entry=entries[0])
    assert item.status == "billed" and item.invoice_shares.get().line.invoice == invoice
