"""A run goes a few hundred clients at a time: slicing the portfolio changes nothing in what it drafts."""

import pytest

from prebill.billing import services
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period

from .test_run_queries import portfolio_of

pytestmark = pytest.mark.django_db
NOVEMBER = Period(2026, 11)


def drafts() -> dict:
    return {(p.client_id, p.document_key): (p.pk, p.version, p.total_excluding_vat, p.lines.count())
            for p in PreInvoice.objects.all()}


@pytest.mark.parametrize(("first", "then"), [(2, 500), (500, 2), (1, 3)])
def test_slices_of_any_size_draft_the_same_month(org, monkeypatch, first, then):
    portfolio_of(7)
    monkeypatch.setattr(services, "RUN_SLICE", first)
    done = run_pre_billing(period=NOVEMBER)
    before = drafts()

    monkeypatch.setattr(services, "RUN_SLICE", then)
    again = run_pre_billing(period=NOVEMBER)

    assert done.pre_invoices == again.pre_invoices == len(before) >= 7 * 2
    assert (again.drafts_created, again.drafts_changed, again.drafts_removed) == (0, 0, 0)
    assert drafts() == before  # the same drafts, same identity and version
    assert again.total_excluding_vat == done.total_excluding_vat == sum(v[2] for v in before.values())
    assert not BillableItem.objects.filter(status="pending", pre_invoice_line__isnull=True, decision="bill_now").exists()


def test_a_sliced_run_counts_every_slice(org, monkeypatch):
    portfolio_of(5)
    monkeypatch.setattr(services, "RUN_SLICE", 2)

    done = run_pre_billing(period=NOVEMBER)

    assert sum(done.created.values()) == BillableItem.objects.count()
    assert done.items_on_pre_invoices == BillableItem.objects.filter(pre_invoice_line__isnull=False).count()
