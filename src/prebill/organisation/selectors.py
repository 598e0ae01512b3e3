"""Reads of the firm's settings for the services and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prebill.core.legal import (
    CGI_TOLERATED_UNTIL,
    CGI_WARNING_FROM,
    EXEMPTION_WORDING,
    REGIME_NAMES,
    FirmWording,
    cgi_tolerance_warning,
)
from prebill.core.vat import VatRegime

from .models import LegalWording


def firm_wordings() -> list[FirmWording]:
    """The firm's dated legal wordings, as prebill.core.legal takes them: one query."""
    return [(VatRegime(regime), valid_from, text)
            for regime, valid_from, text in LegalWording.objects.values_list("regime", "valid_from", "text")]


@dataclass(frozen=True)
class WordingRow:
    regime: VatRegime
    regime_name: str  # msgid
    valid_from: date
    text: str
    firm: bool  # entered by the firm (else built in)
    pk: int | None
    printed_today: bool


def wordings_table(today: date) -> list[WordingRow]:
    """Every wording, built in and the firm's, by regime then latest first, marking the one printed today: what
    prints when. One query."""
    own = list(LegalWording.objects.order_by("regime", "-valid_from"))
    rows = []
    for regime, built_in in EXEMPTION_WORDING.items():
        entries = [(w.valid_from, w.text, True, w.pk) for w in own if w.regime == regime]
        entries += [(valid_from, text, False, None) for valid_from, text in built_in]
        entries.sort(key=lambda entry: entry[0], reverse=True)
        # exemption_wording's order: the firm's latest wording in force, else the latest built-in one in force.
        in_force = [entry for entry in entries if entry[0] <= today]
        printed = next((e for e in in_force if e[2]), None) or next(iter(in_force), None)
        rows += [WordingRow(regime, REGIME_NAMES[regime], valid_from, text, firm, pk, entry is printed)
                 for entry in entries for valid_from, text, firm, pk in [entry]]
    return rows


@dataclass(frozen=True)
class ToleranceWarning:
    regimes: list[str]  # msgids of the regime names
    until: date


def cgi_wording_warning(today: date) -> ToleranceWarning | None:
    """From 1 October 2027, the regimes whose wording would still cite only the CGI once it is no longer
    tolerated (after 31 December 2027): the firm must enter their CIBS wording. One query."""
    if today < CGI_WARNING_FROM:
        return None  # no query before then
    regimes = cgi_tolerance_warning(today, firm_wordings())
    return ToleranceWarning([REGIME_NAMES[regime] for regime in regimes], CGI_TOLERATED_UNTIL) if regimes else None
