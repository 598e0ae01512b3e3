"""SIREN, SIRET and VAT numbers are checked with their keys."""

import pytest

from prebill.core.identifiers import (
    french_vat_number,
    siren_problem,
    siren_with_key,
    siret_problem,
    vat_number_problem,
)


def test_valid_identifiers_pass():
    assert siren_problem("732829320") is None
    assert siret_problem("73282932000074") is None
    assert vat_number_problem("FR44732829320", siren="732829320") is None
    assert french_vat_number("404833048") == "FR83404833048"


@pytest.mark.parametrize(("siren", "why"), [("732829321", "checksum"), ("12345", "9 digits"), ("7328293A0", "9 digits")])
def test_bad_sirens_say_why(siren, why):
    assert why in siren_problem(siren)


def test_la_poste_establishments_follow_their_own_rule():
    assert siret_problem("35600000000001") is None
    assert siret_problem("35600000000002") == "SIRET checksum does not match"


def test_a_vat_number_must_carry_the_siren_and_its_key():
    assert "not the client's SIREN" in vat_number_problem("FR44732829320", siren="552100554")
    assert "does not match" in vat_number_problem("FR45732829320")
    assert vat_number_problem("BE0477472701") is None
    assert "country code" in vat_number_problem("12345")


def test_generated_sirens_are_valid():
    assert all(siren_problem(siren_with_key(f"{n:08d}")) is None for n in range(0, 10_000_000, 99_991))

