"""French company identifiers and VAT numbers, checked with their keys."""

from __future__ import annotations

import re

_LA_POSTE_SIREN = "356000000"  # La Poste's establishments follow a sum-of-digits rule, not Luhn.
_FOREIGN_VAT = re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,13}$")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siren_problem(siren: str) -> str | None:
    """Why a SIREN is invalid, or None when it is valid."""
    if not re.fullmatch(r"\d{9}", siren):
        return "a SIREN has exactly 9 digits"
    if not _luhn_ok(siren):
        return "SIREN checksum (Luhn key) does not match"
    return None


def siret_problem(siret: str) -> str | None:
    if not re.fullmatch(r"\d{14}", siret):
        return "a SIRET has exactly 14 digits"
    if siret.startswith(_LA_POSTE_SIREN):
        if sum(int(c) for c in siret) % 5 != 0:
            return "SIRET checksum does not match"
        return None
    if not _luhn_ok(siret):
        return "SIRET checksum (Luhn key) does not match"
    return None


def french_vat_key(siren: str) -> str:
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def french_vat_number(siren: str) -> str:
    """The intra-EU VAT number France derives from a SIREN."""
    return f"FR{french_vat_key(siren)}{siren}"


def vat_number_problem(vat_number: str, *, siren: str = "") -> str | None:
    number = vat_number.replace(" ", "").upper()
    if number.startswith("FR"):
        if not re.fullmatch(r"FR[0-9A-Z]{2}\d{9}", number):
            return "a French VAT number is FR, a 2-character key and the 9-digit SIREN"
        key, number_siren = number[2:4], number[4:]
        if siren and number_siren != siren:
            return f"VAT number carries SIREN {number_siren}, not the client's SIREN {siren}"
        if key.isdigit() and key != french_vat_key(number_siren):
            return f"VAT key {key} does not match SIREN {number_siren} (expected {french_vat_key(number_siren)})"
        return None
    if not _FOREIGN_VAT.fullmatch(number):
        return "a VAT number starts with a 2-letter country code followed by 2 to 13 characters"
    return None


def siren_with_key(first_eight: str) -> str:
    """Complete 8 digits with the Luhn key that makes a valid SIREN (for generated data)."""
    for key in "0123456789":
        if _luhn_ok(first_eight + key):
            return first_eight + key
    raise AssertionError("a Luhn key always exists")
