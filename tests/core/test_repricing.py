"""A line billed another amount than its quantity gives still reads quantity × price = amount."""

from decimal import Decimal

from prebill.core.valuation import repriced


def test_a_line_billed_another_amount_keeps_quantity_times_price():
    # The price follows when it divides: 4 payslips at 16.50 billed 1,000.00 are 4 at 250.00.
    assert repriced(Decimal("4"), Decimal("16.50"), Decimal("1000.00")) == (Decimal("4"), None, Decimal("250.0000"))
    # 3 hours billed 100.00: 33.3333 an hour gives 100.00 once rounded to the cent.
    assert repriced(Decimal("3"), Decimal("50"), Decimal("100.00")) == (Decimal("3"), None, Decimal("33.3333"))
    # No price of 4 decimals gives 0.05 for 1,000 units (0.0000 or 0.0001 give 0.00 or 0.10): a lump sum.
    assert repriced(Decimal("1000"), Decimal("1"), Decimal("0.05")) == (Decimal("1"), "forfait", Decimal("0.05"))
    # Unchanged amount: unchanged line; nothing to divide by: a lump sum.
    assert repriced(Decimal("2"), Decimal("10"), Decimal("20.00")) == (Decimal("2"), None, Decimal("10"))
    assert repriced(Decimal("0"), Decimal("10"), Decimal("5.00")) == (Decimal("1"), "forfait", Decimal("5.00"))
