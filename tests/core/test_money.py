

def test_a_changed_amount_is_shared_in_proportion_and_adds_up_exactly():
    from decimal import Decimal

    from prebill.core.money import split_in_proportion

    shares = split_in_proportion(Decimal("100.00"), [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")])

    assert sum(shares) == Decimal("100.00") and shares[0] == Decimal("33.33")
    assert split_in_proportion(Decimal("10.00"), [Decimal(0), Decimal(0)]) == [Decimal("5.00"), Decimal("5.00")]
    assert split_in_proportion(Decimal("0.01"), [Decimal(1)] * 3) == [Decimal("0.00"), Decimal("0.00"), Decimal("0.01")]
