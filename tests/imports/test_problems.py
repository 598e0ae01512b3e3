"""A problem keeps its msgid and parameters: English in str(), the user's language where it is shown."""

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext

from prebill.core.refusals import gettext_noop
from prebill.imports.portfolio import import_portfolio
from prebill.imports.problems import Checker, ImportRejected

from .sample import portfolio


def shown(problems, language: str) -> list[str]:
    with translation.override(language):
        return [problem.located(gettext) for problem in problems]


def test_a_problem_is_a_msgid_with_its_parameters_translated_where_it_is_shown():
    checker = Checker()
    checker.add("line 2, column client", gettext_noop("unknown client %(code)s"), code=repr("NOPE"))
    checker.decimal("12.345", "$.collaborators[0].hourly_rate", what=gettext_noop("hourly rate"))
    checker.decimal("-1", "line 3, column quantity", places=4, what=gettext_noop("quantity"))
    checker.date("2026-02-30", "$.installments[0].due_date")

    unknown, decimals, negative, _day = checker.problems

    assert (unknown.where, unknown.message, unknown.params) == ("line 2, column client", "unknown client %(code)s",
                                                               {"code": "'NOPE'"})
    assert [str(p) for p in checker.problems] == [
        "line 2, column client: unknown client 'NOPE'",
        "$.collaborators[0].hourly_rate: hourly rate 12.345 has more than 2 decimals",
        "line 3, column quantity: quantity -1 is negative",
        "$.installments[0].due_date: date 2026-02-30 is not a date of the calendar"]
    assert shown(checker.problems, "en") == [str(p) for p in checker.problems]
    assert shown(checker.problems, "fr") == [
        "line 2, column client : client inconnu 'NOPE'",
        "$.collaborators[0].hourly_rate : taux horaire 12.345 : plus de 2 décimales",  # the term is translated too
        "line 3, column quantity : quantité -1 : valeur négative",
        "$.installments[0].due_date : date 2026-02-30 n'est pas une date du calendrier"]
    assert decimals.params["places"] == 2 and negative.params["value"] == "-1"


def test_a_refusal_of_the_core_met_while_checking_keeps_its_msgid():
    checker = Checker()

    assert checker.decimal(1.5, "$.articles[0].unit_price", what=gettext_noop("unit price")) is None
    assert checker.decimal("abc", "line 2, column amount", what=gettext_noop("amount")) is None

    float_given, not_a_number = checker.problems
    assert float_given.why == "unit price must be given as a decimal string, not a float (1.5)"
    assert not_a_number.message == "%(what)s is not a number: %(value)s"
    assert shown(checker.problems, "fr") == [
        "$.articles[0].unit_price : prix unitaire doit être donné en chaîne décimale, pas en nombre flottant (1.5)",
        "line 2, column amount : montant n'est pas un nombre : 'abc'"]


@pytest.mark.django_db
def test_a_portfolio_file_is_rejected_with_its_problems_in_either_language():
    data = portfolio()
    data["clients"][0]["colour"] = "blue"
    data["unit_metrics"][0]["client"] = "NOPE"
    with pytest.raises(ImportRejected) as structure:
        import_portfolio(data)
    data["clients"][0].pop("colour")
    data["collaborators"][0]["hourly_rate"] = Decimal("-80")
    with pytest.raises(ImportRejected) as codes:
        import_portfolio(data)

    assert shown(structure.value.problems, "fr") == ["$.clients[0] : champ(s) inconnu(s) : 'colour'"]
    assert shown(structure.value.problems, "en") == ["$.clients[0]: unknown field(s): 'colour'"]
    assert shown(codes.value.problems, "fr") == ["$.collaborators[0].hourly_rate : taux horaire -80 : valeur négative",
                                                 "$.unit_metrics[0].client : client inconnu 'NOPE'"]
    assert [str(p) for p in codes.value.problems] == ["$.collaborators[0].hourly_rate: hourly rate -80 is negative",
                                                      "$.unit_metrics[0].client: unknown client 'NOPE'"]
