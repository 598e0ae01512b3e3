"""What is still owed of a billable item once invoices and credit notes have billed and credited it.

Each item has the quantity owed; invoices add to its billed quantity, credit notes take from it.
The remainder (owed - billed - written off) is what a next invoice may bill: positive, it is a
difference to invoice; negative, an excess to credit.
"""

from __future__ import annotations

from decimal import Decimal

from .refusals import Refusal, gettext_noop
from .review import billed_quantity_and_amount
from .valuation import line_amount

ZERO = Decimal(0)


class CreditRefused(Refusal, ValueError):
    """A credit note may not credit that (quantity, item, invoice)."""


def remainder(owed: Decimal, billed: Decimal, written_off: Decimal = ZERO) -> Decimal:
    return owed - billed - written_off


def owed_quantity(quantity: Decimal, adjusted_quantity: Decimal | None) -> Decimal:
    """What an item owes: the reviewer's quantity when one was set, else its source's; nothing when its
    source owes nothing (time made not billable), whatever a review said of it before."""
    return quantity if adjusted_quantity is None or quantity == ZERO else adjusted_quantity


def written_off_by_credit(credited: Decimal, *, owed: Decimal, billed: Decimal, written_off: Decimal) -> Decimal:
    """Of a quantity credited for good (not to be billed again), what is written off: the part that was
    owed. The part that was an excess (billed beyond what is owed) was never owed, so it is not."""
    excess = max(ZERO, billed + written_off - owed)
    return max(ZERO, credited - excess)


def check_credit(item: object, wanted: Decimal, billed_on_invoice: Decimal, credited_already: Decimal) -> None:
    """A credit note may credit, of an item on an invoice, at most what that invoice billed and was not credited."""
    if wanted <= 0:
        raise CreditRefused(gettext_noop("item %(item)s: the quantity to credit must be positive, got %(wanted)s"),
                            item=item, wanted=wanted)
    left = billed_on_invoice - credited_already
    if wanted > left:
        raise CreditRefused(
            gettext_noop("item %(item)s: cannot credit %(wanted)s, only %(left)s of what this invoice billed is left "
                         "to credit"), item=item, wanted=f"{wanted.normalize():f}", left=f"{left.normalize():f}")



def to_bill_now(
    quantity: Decimal, unit_price: Decimal, amount: Decimal, *, billed: Decimal = ZERO, written_off: Decimal = ZERO,
    adjusted_quantity: Decimal | None = None, adjusted_amount: Decimal | None = None,
) -> tuple[Decimal, Decimal]:
    """(quantity, amount) the next invoice bills of an item: all of it the first time (with the reviewer's
    adjustments), then only the difference still owed after invoices and credit notes."""
    if quantity == ZERO:
        return ZERO, ZERO  # the source owes nothing now: neither does a review of it
    if billed == ZERO and written_off == ZERO:
        return billed_quantity_and_amount(quantity, unit_price, amount, adjusted_quantity=adjusted_quantity,
                                          adjusted_amount=adjusted_amount)
    left = remainder(owed_quantity(quantity, adjusted_quantity), billed, written_off)
    return left, line_amount(left, unit_price)
