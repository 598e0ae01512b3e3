"""Débours in the core: billed without VAT, never merged with a taxable line, in a VAT group of their own, totals exact
(issue 15, scope item 9)."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.core.grouping import BillingTerms, GroupableItem, ItemKind, LineMode, PaymentTerms, group_items
from prebill.core.journal import DISBURSEMENT_ACCOUNT, invoice_entry
from prebill.core.legal import disbursement_wording
from prebill.core.vat import VatLine, VatRegime, breakdown_category, disbursement_amount, totals, vat_breakdown

D = Decimal


def _terms(mode: LineMode = LineMode.DETAILED, regime: VatRegime = VatRegime.STANDARD) -> BillingTerms:
    return BillingTerms(client=1, invoice_date=date(2026, 11, 30), address=1, currency="EUR", vat_regime=regime,
                        payment_terms=PaymentTerms(30), payment_method="transfer", line_mode=mode)


def _item(n: int, kind: ItemKind, amount: str, rate: str, terms: BillingTerms, article: int = 7) -> GroupableItem:
    return GroupableItem(
        id=n, kind=kind, terms=terms, engagement=1, part=None, article=article, article_label="Frais refacturés",
        quantity=D(1), unit="forfait", unit_price=D(amount), amount=D(amount), vat_rate=D(rate),
        designation=f"item {n}", service_date=date(2026, 11, n), engagement_code="M1", collaborator=3,
        collaborator_name="Alice")


@pytest.mark.parametrize("mode", list(LineMode))
def test_debours_stay_on_their_own_lines_at_0_percent_beside_the_expenses(mode):
    terms = _terms(mode)
    items = [_item(1, ItemKind.EXPENSE, "100.00", "20", terms), _item(2, ItemKind.DISBURSEMENT, "37.45", "20", terms),
             _item(3, ItemKind.DISBURSEMENT, "60.00", "0", terms), _item(4, ItemKind.EXPENSE, "50.00", "20", terms)]

    [document] = group_items(items)  # débours go on the engagement's costs document

    debours = [line for line in document.lines if line.kind is ItemKind.DISBURSEMENT]
    assert {line.vat_rate for line in debours} == {D(0)}
    assert sorted(i for line in debours for i in line.item_ids) == [2, 3]
    assert all(set(line.item_ids) <= {2, 3} or set(line.item_ids).isdisjoint({2, 3}) for line in document.lines)
    assert document.lines[-len(debours):] == debours  # they come after the taxable lines
    assert document.key == "expense:1"


def test_the_breakdown_gives_the_debours_an_exempt_group_apart_from_a_genuine_zero_rate():
    terms = _terms(LineMode.PER_ARTICLE)
    items = [_item(1, ItemKind.EXPENSE, "100.00", "20", terms), _item(2, ItemKind.EXPENSE, "10.00", "0", terms),
             _item(3, ItemKind.DISBURSEMENT, "37.45", "0", terms), _item(4, ItemKind.DISBURSEMENT, "60.00", "20", terms)]

    [document] = group_items(items)

    assert document.vat == [VatLine(D(0), D("10.00"), D("0.00")), VatLine(D(0), D("97.45"), D("0.00"), "E"),
                            VatLine(D(20), D("100.00"), D("20.00"))]
    assert document.totals.excluding_vat == D("207.45")  # BT-109: every line's net, débours included
    assert document.totals.vat == D("20.00")  # BT-110: none on the débours
    assert document.totals.including_vat == D("227.45")


@pytest.mark.parametrize(("regime", "category"), [
    (VatRegime.STANDARD, "E"), (VatRegime.REVERSE_CHARGE, "E"), (VatRegime.EXPORT, "E"), (VatRegime.EXEMPT, ""),
])
def test_under_an_exempt_regime_the_debours_share_its_exempt_group(regime, category):
    terms = _terms(regime=regime)
    items = [_item(1, ItemKind.EXPENSE, "100.00", "20", terms), _item(2, ItemKind.DISBURSEMENT, "37.45", "20", terms)]

    [document] = group_items(items)

    assert breakdown_category(True, regime) == category and breakdown_category(False, regime) == ""
    debours_group = [v for v in document.vat if v.category == category and v.base in (D("37.45"), D("137.45"))]
    assert len(debours_group) == 1
    assert totals(document.vat).excluding_vat == D("137.45")


def test_a_breakdown_group_of_debours_never_carries_vat_and_the_totals_stay_exact():
    breakdown = vat_breakdown([(D(20), D("10.01")), (D(0), D("33.33"), "E"), (D(0), D("0.01"), "E")])

    assert breakdown == [VatLine(D(0), D("33.34"), D("0.00"), "E"), VatLine(D(20), D("10.01"), D("2.00"))]
    assert totals(breakdown).including_vat == D("45.35")


@pytest.mark.parametrize(("excluding", "rate", "billed"), [
    ("37.45", "0", "37.45"), ("50.00", "20", "60.00"), ("10.05", "5.5", "10.60"), ("0.10", "5.5", "0.11"),
])
def test_a_debours_bills_what_was_paid_its_vat_included_rounded_half_up(excluding, rate, billed):
    assert disbursement_amount(D(excluding), D(rate)) == D(billed)


def test_the_sales_entry_credits_the_debours_to_the_transit_account_without_vat():
    lines = invoice_entry(credit_note=False, customer_account="411000", vat_account="445740", client_code="C1",
                          client_name="Client", total_including_vat=D("217.45"), revenue_by_account={"706000": D("100")},
                          vat_by_rate={D(20): D("20.00"), D(0): D("0.00")}, disbursements=D("97.45"))

    assert [(line.account, line.debit, line.credit) for line in lines] == [
        ("411000", D("217.45"), D(0)), ("706000", D(0), D("100")), (DISBURSEMENT_ACCOUNT, D(0), D("97.45")),
        ("445740", D(0), D("20.00"))]
    assert DISBURSEMENT_ACCOUNT == "467000"


def test_the_debours_wording_is_dated():
    assert "art. 267 II-2° du CGI" in disbursement_wording(date(2026, 6, 1))
    assert "CIBS" not in disbursement_wording(date(2026, 6, 1))
    assert "CIBS" in disbursement_wording(date(2026, 11, 30))
