"""Review decisions on billable items: what is billed now, later, never, or awaits a decision."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from .valuation import line_amount


class Decision(StrEnum):
    BILL_NOW = "bill_now"
    BILL_LATER = "bill_later"  # postponed to a later period
    WRITE_OFF = "write_off"  # never billed, kept for the record
    ON_HOLD = "on_hold"  # blocks confirmation until someone decides
    STANDALONE = "standalone"  # billed now, on a line of its own
    ACCRUED = "accrued"  # to be invoiced: earned, not billed yet (an accrual for the accounts)


BILLED_NOW = frozenset({Decision.BILL_NOW, Decision.STANDALONE})


def billed_quantity_and_amount(
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
    *,
    adjusted_quantity: Decimal | None = None,
    adjusted_amount: Decimal | None = None,
) -> tuple[Decimal, Decimal]:
    """What is billed for an item once the reviewer's adjustments are applied."""
    if adjusted_quantity is not None:
        quantity = adjusted_quantity
        amount = line_amount(quantity, unit_price)
    if adjusted_amount is not None:
        amount = adjusted_amount
    return quantity, amount
