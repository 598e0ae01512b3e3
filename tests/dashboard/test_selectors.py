"""The dashboard's figures on a firm known to the cent: billed per month net of a credit note, drafts, ages."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.accounting.models import ExchangeRate
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.dashboard import selectors
from prebill.invoicing import services as invoicing
from tests import factories as f

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_billed_per_month_nets_the_credit_note_in_the_month_it_was_issued(portfolio):
    months = selectors.billed_per_month(2026)

    assert [m.month for m in months] == list(range(1, 13))
    by_month = {m.month: (m.this_year, m.last_year) for m in months}
    assert by_month[10] == (Decimal("200.00"), Decimal("0.00"))
    # November 2026: the 50.00 invoice less the 100.00 credit note of last year's invoice.
    assert by_month[11] == (Decimal("-50.00"), Decimal("100.00"))
    assert all(by_month[m] == (Decimal("0.00"), Decimal("0.00")) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12))


def test_unbilled_is_the_drafts_waiting_by_month(portfolio):
    drafts = selectors.unbilled()

    assert [(d.period, d.currency, d.count, d.total_excluding_vat, d.total_including_vat) for d in drafts.periods] == [
        (Period(2026, 11), "EUR", 1, Decimal("70.00"), Decimal("84.00")),
        (Period(2026, 12), "EUR", 1, Decimal("30.00"), Decimal("36.00")),
    ]
    assert drafts.count == 2
    assert drafts.totals == {"EUR": Decimal("100.00")}


def test_the_month_progress_counts_drafts_invoices_and_transmissions(portfolio):
    progress = selectors.month_progress(Period(2026, 11), selectors.unbilled())

    assert (progress.waiting, progress.validated, progress.prepared) == (1, 1, 2)
    assert progress.transmitted == 1
    assert progress.transmissions["sent"] == 1 and progress.transmissions["waiting"] == 0


def test_amounts_due_by_age_leave_the_credited_invoice_out(portfolio):
    due = selectors.amounts_due_by_age(TODAY)

    # October's 240.00 incl. VAT fell due on 30 November; November's 60.00 on 30 December.
    assert due == {"not_due": Decimal("60.00"), "1_30": Decimal("240.00"), "31_60": Decimal("0.00"),
                   "61_90": Decimal("0.00"), "over_90": Decimal("0.00"), "total": Decimal("300.00")}


def test_an_empty_firm_shows_twelve_zero_months_and_nothing_waiting(firm):
    months = selectors.billed_per_month(2026)
    drafts = selectors.unbilled()

    assert len(months) == 12 and {m.this_year for m in months} | {m.last_year for m in months} == {Decimal("0.00")}
    assert drafts.count == 0 and drafts.totals == {}
    assert selectors.month_progress(Period(2026, 12), drafts).prepared == 0


def test_an_invoice_in_francs_counts_in_euros_at_its_own_rate_and_its_draft_in_francs(portfolio):
    ExchangeRate.objects.create(currency="CHF", day=date(2026, 10, 1), rate=Decimal("1.070000"))
    geneve = f.client(code="GENEVE")
    f.fixed_fee_part(f.engagement(geneve, currency="CHF"), installments=[
        (date(2026, 11, 25), "333.33"), (date(2026, 12, 20), "10.00")])
    run_pre_billing(period=Period(2026, 11))
    draft = PreInvoice.objects.get(client=geneve, period=date(2026, 11, 1))
    invoicing.validate_pre_invoice(pre_invoice_id=draft.pk, issue_date=date(2026, 11, 30))
    run_pre_billing(period=Period(2026, 12))

    november = selectors.billed_per_month(2026)[10]
    drafts = selectors.unbilled()

    assert november.this_year == Decimal("-50.00") + Decimal("356.66")  # 333.33 CHF x 1.07, to the cent
    assert drafts.totals == {"CHF": Decimal("10.00"), "EUR": Decimal("100.00")}
