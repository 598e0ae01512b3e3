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


# Débours (CGI art. 267 II-2°, directive 2006/112/CE art. 79 c): outside the VAT base. EN 16931 forbids mixing
# category O ("not subject") with any other (BR-O-11 to 14), so they are category E, at 0 %, in a breakdown group
# of their own with their own exemption reason (prebill.core.legal.DISBURSEMENT_WORDING).
DISBURSEMENT_CATEGORY = "E"
DISBURSEMENT_VATEX = "VATEX-EU-79-C"


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    base: Decimal
    vat: Decimal
    # "" : the category the document's regime gives (S, AE, G, E); DISBURSEMENT_CATEGORY: its débours.
    category: str = ""


def breakdown_category(disbursement: bool, regime: VatRegime) -> str:
    """The breakdown group a line goes to, beside its rate: débours apart ("E"), except under an exempt regime
    whose own group is already E at 0 % (one group per category and rate: BR-E-08)."""
    return DISBURSEMENT_CATEGORY if disbursement and regime is not VatRegime.EXEMPT else ""


def vat_breakdown(lines: Iterable[tuple[Decimal, Decimal] | tuple[Decimal, Decimal, str]]) -> list[VatLine]:
    """Per rate (and category, when a line gives one: débours): the base is the sum of the lines, the VAT is
    computed once on that base."""
    bases: dict[tuple[Decimal, str], Decimal] = {}
    for rate, amount, *category in lines:
        key = (rate.normalize(), category[0] if category else "")
        bases[key] = bases.get(key, ZERO) + amount
    return [
        VatLine(rate=rate, base=base, vat=ZERO if category else round_money(base * rate / 100), category=category)
        for (rate, category), base in sorted(bases.items())
    ]


def disbursement_amount(excluding_vat: Decimal, vat_rate: Decimal) -> Decimal:
    """What a débours bills: the amount paid, the supplier's VAT included (the firm could not deduct it: the
    purchase was the client's), rounded half up to the cent."""
    return excluding_vat + round_money(excluding_vat * vat_rate / 100)


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
