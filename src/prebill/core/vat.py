"""VAT: effective rate by regime and the breakdown per rate of a document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .money import ZERO, money_sum, round_money

FRENCH_RATES = (Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20"))


class VatRegime(StrEnum):
    STANDARD = "standard"  # French VAT applies at the article's rate
    REVERSE_CHARGE = "reverse_charge"  # EU business client liable for VAT: "Autoliquidation"
    EXPORT = "export"  # services to a client outside the EU
    EXEMPT = "exempt"  # exempt operations (e.g. franchise, training)


def effective_vat_rate(article_rate: Decimal, regime: VatRegime) -> Decimal:
    return article_rate if regime is VatRegime.STANDARD else ZERO


def vat_rate_problem(rate: Decimal) -> str | None:
    if rate < 0 or rate >= 100:
        return f"VAT rate {rate} % is out of range (0 to 100 excluded)"
    return None


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    base: Decimal
    vat: Decimal


def vat_breakdown(lines: Iterable[tuple[Decimal, Decimal]]) -> list[VatLine]:
    """Per rate: the base is the sum of the lines, the VAT is computed once on that base."""
    bases: dict[Decimal, Decimal] = {}
    for rate, amount in lines:
        key = rate.normalize()
        bases[key] = bases.get(key, ZERO) + amount
    return [
        VatLine(rate=rate, base=base, vat=round_money(base * rate / 100))
        for rate, base in sorted(bases.items())
    ]


@dataclass(frozen=True)
class Totals:
    excluding_vat: Decimal
    vat: Decimal
    including_vat: Decimal


def totals(breakdown: Iterable[VatLine]) -> Totals:
    breakdown = list(breakdown)
    excl = money_sum(line.base for line in breakdown)
    vat = money_sum(line.vat for line in breakdown)
    return Totals(excluding_vat=excl, vat=vat, including_vat=excl + vat)
