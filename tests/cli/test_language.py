"""The command line speaks one language a run, the locale's: French under a French LANG, English otherwise."""

import re
from datetime import date

import pytest

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.cli.main import main
from prebill.core.periods import Period
from tests import factories as f
from tests.web.test_french_labels import english_in

# What only French text has: its accented letters and its words of the messages below.
FRENCH = re.compile(r"[éèêàùç]|\b(?:pré-facture|préfacture|écriture|avoir|éléments|lignes|erreur)\b", re.IGNORECASE)


def _say(capsys, language: str, monkeypatch, *argv: str) -> tuple[int, str]:
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", language)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture
def month(firm):
    for fee in ("100.00", "250.00"):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), fee)])
    run_pre_billing(period=Period(2026, 11))
    return list(PreInvoice.objects.order_by("pk").values_list("pk", flat=True))


def test_each_run_speaks_its_locales_language_only(month, capsys, monkeypatch):
    first, second = month
    french = [_say(capsys, "fr_FR.UTF-8", monkeypatch, *argv) for argv in (
        ("run", "--period", "2026-11"), ("validate", str(first), "--date", "2026-11-30"),
        ("validate", str(first), "--date", "2026-11-30"), ("post", "F2026-000001"), ("post", "F2026-000001"),
        ("run", "--period", "2026-13"))]
    english = [_say(capsys, "en_US.UTF-8", monkeypatch, *argv) for argv in (
        ("run", "--period", "2026-11"), ("validate", str(second), "--date", "2026-11-30"),
        ("validate", str(second), "--date", "2026-11-30"), ("post", "F2026-000002"), ("post", "F2026-000002"),
        ("run", "--period", "2026-13"))]

    assert [code for code, _ in french] == [code for code, _ in english] == [0, 0, 2, 0, 2, 2]
    for _, said in french:  # every message French: no English word, no raw code
        assert english_in(said) == [], said
    for _, said in english:
        assert not FRENCH.search(said), said
    assert "Pré-facturation de 2026-11" in french[0][1], french[0][1]
    assert "Pre-billing of 2026-11" in english[0][1], english[0][1]
    assert "écriture comptable VE000001" in french[3][1] and "VE000002" in english[3][1]
    assert french[5][1].startswith("erreur : ") and english[5][1].startswith("error: ")
