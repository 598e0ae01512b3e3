"""Valuation of time: rounding of hours, rates per collaborator or grade, hours or days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

from .money import round_money
from .refusals import Refusal, gettext_noop

QUANTITY = Decimal("0.0001")


class BillingUnit(StrEnum):
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class Rates:
    hourly: Decimal | None
    daily: Decimal | None

    def for_unit(self, unit: BillingUnit) -> Decimal | None:
        return self.hourly if unit is BillingUnit.HOUR else self.daily


class ValuationError(Refusal, ValueError):
    """Time cannot be valued (no rate, no working day)."""


def round_hours(hours: Decimal, increment_minutes: int) -> Decimal:
    """Round hours up to the firm's increment (e.g. 15 minutes); 0 keeps them as they are."""
    if increment_minutes <= 0:
        return hours
    step = Decimal(increment_minutes) / 60
    return ((hours / step).to_integral_value(rounding=ROUND_CEILING) * step).quantize(QUANTITY)


def time_quantity(hours: Decimal, unit: BillingUnit, hours_per_day: Decimal) -> Decimal:
    """Quantity billed for hours worked: hours, or days of `hours_per_day` hours."""
    if unit is BillingUnit.HOUR:
        return hours.quantize(QUANTITY, rounding=ROUND_HALF_UP)
    if hours_per_day <= 0:
        raise ValuationError(gettext_noop("a working day must have a positive number of hours"))
    return (hours / hours_per_day).quantize(QUANTITY, rounding=ROUND_HALF_UP)


def rate_for(
    unit: BillingUnit,
    *,
    collaborator_rates: Rates,
    part_rate_for_collaborator: Rates | None = None,
    part_rate_for_grade: Rates | None = None,
) -> Decimal:
    """The engagement's rate for the collaborator, else for the grade, else the collaborator's own."""
    for rates in (part_rate_for_collaborator, part_rate_for_grade, collaborator_rates):
        if rates is not None and rates.for_unit(unit) is not None:
            return rates.for_unit(unit)
    raise ValuationError(gettext_noop("no hourly rate for this collaborator") if unit is BillingUnit.HOUR
                         else gettext_noop("no daily rate for this collaborator"))



def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return round_money(quantity * unit_price)


LUMP_SUM_UNIT = "forfait"


def repriced(quantity: Decimal, unit_price: Decimal, amount: Decimal, *, places: int = 4) -> tuple[Decimal, str | None,
                                                                                                   Decimal]:
    """A line billed another amount still reads quantity × price = amount: (quantity, unit or None to keep it,
    price). The price follows when some price of `places` decimals gives the amount; else the line becomes a
    lump sum, 1 forfait at the amount."""
    if line_amount(quantity, unit_price) == amount:
        return quantity, None, unit_price
    if quantity:
        price = (amount / quantity).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if line_amount(quantity, price) == amount:
            return quantity, None, price
    return Decimal(1), LUMP_SUM_UNIT, amount


def resolve_part_rates(
    rates: Mapping[tuple[str, object], Rates], collaborator_id: int, grade: str
) -> tuple[Rates | None, Rates | None]:
    """Pick the collaborator-specific and grade-specific rates of a part from its rate table."""
    return rates.get(("collaborator", collaborator_id)), rates.get(("grade", grade))
