"""Money invariants of the core, for any amount: nothing is lost or created by splitting or grouping."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from prebill.core.grouping import BillingTerms, GroupableItem, ItemKind, LineMode, group_items
from prebill.core.money import split_evenly
from prebill.core.schedules import Frequency, expand_schedule
from prebill.core.vat import VatRegime, totals, vat_breakdown

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("10000000"), places=2)
rates = st.sampled_from([Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")])


@given(amounts, st.integers(min_value=1, max_value=120))
def test_an_even_split_sums_exactly_to_the_total_and_stays_within_cents_of_the_share(total, parts):
    shares = split_evenly(total, parts)

    assert sum(shares) == total
    assert all(share == shares[0] for share in shares[:-1])
    assert abs(shares[-1] - total / parts) < Decimal("0.01") * parts


@given(amounts, st.sampled_from(list(Frequency)), st.dates(date(2000, 1, 1), date(2100, 1, 1)),
       st.integers(min_value=0, max_value=800))
def test_installments_of_any_schedule_sum_exactly_to_the_fee(fee, frequency, start, days):
    end = start + timedelta(days=days)

    installments = expand_schedule(fee, frequency, start=start, end=end)

    assert sum(i.amount for i in installments) == fee
    assert all(start <= i.due_date <= end for i in installments)
    assert [i.due_date for i in installments] == sorted({i.due_date for i in installments})
    assert all(i.amount.as_tuple().exponent >= -2 for i in installments)


@given(st.lists(st.tuples(rates, amounts), max_size=30))
def test_the_vat_breakdown_sums_to_the_totals(lines):
    breakdown = vat_breakdown(lines)
    result = totals(breakdown)

    assert result.excluding_vat == sum((amount for _, amount in lines), Decimal("0.00"))
    assert result.vat == sum((v.vat for v in breakdown), Decimal("0.00"))
    assert result.including_vat == result.excluding_vat + result.vat
    assert len({v.rate for v in breakdown}) == len(breakdown)


def _items(draw_items):
    terms = {
        client: BillingTerms(client=client, invoice_date=date(2026, 11, 30), address=client, currency="EUR",
                             vat_regime=VatRegime.STANDARD, payment_terms="30", payment_method="transfer",
                             line_mode=mode)
        for client, mode in ((1, LineMode.DETAILED), (2, LineMode.PER_ARTICLE), (3, LineMode.PER_ARTICLE_COLLABORATOR))
    }
    return [
        GroupableItem(
            id=n, kind=kind, terms=terms[client], engagement=engagement, part=engagement * 10, article=article,
            article_label=f"A{article}", quantity=quantity, unit="hour", unit_price=Decimal("100"), amount=amount,
            vat_rate=rate, designation=f"item {n}", service_date=date(2026, 11, 1 + n % 28),
            installment=n if kind is ItemKind.FIXED_FEE else None, collaborator=collaborator,
            collaborator_name=f"C{collaborator}", standalone=standalone,
        )
        for n, (client, kind, engagement, article, quantity, amount, rate, collaborator, standalone)
        in enumerate(draw_items)
    ]


item_facts = st.tuples(
    st.sampled_from([1, 2, 3]), st.sampled_from([ItemKind.TIME, ItemKind.FIXED_FEE, ItemKind.UNITS]),
    st.integers(1, 3), st.integers(1, 3), st.decimals(Decimal("0"), Decimal("100"), places=4), amounts, rates,
    st.integers(1, 3), st.booleans(),
)


@settings(max_examples=200)
@given(st.lists(item_facts, max_size=40))
def test_grouping_puts_every_item_on_exactly_one_line_whose_amount_is_the_sum_of_its_items(facts):
    items = _items(facts)

    documents = group_items(items)

    by_id = {item.id: item for item in items}
    placed = [item_id for doc in documents for line in doc.lines for item_id in line.item_ids]
    assert sorted(placed) == sorted(by_id)
    for doc in documents:
        for line in doc.lines:
            assert line.amount == sum((by_id[i].amount for i in line.item_ids), Decimal("0"))
            assert line.quantity == sum((by_id[i].quantity for i in line.item_ids), Decimal("0"))
            assert {by_id[i].terms for i in line.item_ids} == {doc.terms}
        assert doc.totals.excluding_vat == sum((line.amount for line in doc.lines), Decimal("0"))
    assert sum((d.totals.excluding_vat for d in documents), Decimal("0")) == sum((i.amount for i in items), Decimal("0"))
