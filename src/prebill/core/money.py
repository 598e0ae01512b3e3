"""Money: Decimal only, one rounding policy (half up, to the cent)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .refusals import Refusal, gettext_noop

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(Refusal, ValueError):
    """A value that cannot be taken as an amount of money."""


def to_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Read a Decimal from a Decimal, int or string; a float is refused, not converted."""
    if isinstance(value, (bool, float)):
        raise MoneyError(gettext_noop("%(what)s must be given as a decimal string, not a float (%(value)s)"),
                         what=what, value=repr(value))
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise MoneyError(gettext_noop("%(what)s is not a number: %(value)s"), what=what, value=repr(value)) from None
    else:
        raise MoneyError(gettext_noop("%(what)s has an unexpected type %(type)s"), what=what, type=type(value).__name__)
    if not result.is_finite():
        raise MoneyError(gettext_noop("%(what)s is not a finite number: %(value)s"), what=what, value=repr(value))

    return result


def round_money(value: Decimal) -> Decimal:
    """Round to the cent, half up: the single rounding rule for amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_money(value: object, *, what: str = "amount") -> Decimal:
    return round_money(to_decimal(value, what=what))


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """Split an amount into `parts` cents-exact shares; the remainder goes to the last."""
    if parts < 1:
        raise ValueError("cannot split an amount into fewer than one part")
    share = round_money(total / parts)
    shares = [share] * (parts - 1)
    shares.append(total - share * (parts - 1))
    return shares


def money_sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def split_in_proportion(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Share `total` in proportion to `weights`, to the cent; the last share takes the rounding so the
    shares add up to `total` exactly (equal shares when the weights sum to zero)."""
    if not weights:
        return []
    whole = money_sum(weights)
    if whole == 0:
        return split_evenly(total, len(weights))
    shares = [round_money(total * weight / whole) for weight in weights[:-1]]
    return [*shares, total - money_sum(shares)]
