"""Files as clerks have them: French headers, Excel's semicolon CSV in Windows-1252, decimal commas, French
dates; problems at the real line of the file, under the column's own name; all or nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.costs.models import Expense, Purchase
from prebill.imports.activity import import_metrics_csv, import_time_csv
from prebill.imports.costs import import_costs_csv
from prebill.imports.problems import Checker, ImportRejected, spreadsheet_number
from prebill.imports.tables import ALIASES, TableFile, header_key
from tests import factories as f

pytestmark = pytest.mark.django_db

FRENCH_TIME = ("Identifiant;Date;Collaborateur;Mission;Heures;Facturable;Commentaire\r\n"
               "T1;03/11/2026;HÉLÈNE;E0001;7,5;oui;Révision des comptes\r\n"
               "T2;4/11/2026;HÉLÈNE;E0001;1 234,5;non;\r\n")


@pytest.fixture
def firm(org):
    client = f.client(code="C0001")
    engagement = f.engagement(client, "E0001")
    f.collaborator("HÉLÈNE")
    f.collaborator("JDUPONT")
    return engagement


def problems_of(importer, *args) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        importer(*args)
    return [str(p) for p in rejected.value.problems]


def test_excel_semicolon_csv_in_windows_1252_with_french_headers_is_imported(firm):
    source = TableFile("Temps novembre.csv", FRENCH_TIME.replace("1 234,5", "2,25").encode("cp1252"))

    counts = import_time_csv(source)

    assert counts == {"created": 2, "updated": 0, "unchanged": 0}
    first, second = TimeEntry.objects.order_by("external_id")
    assert (first.date, first.hours, first.billable, first.comment, first.collaborator.code) == (
        date(2026, 11, 3), Decimal("7.5"), "yes", "Révision des comptes", "HÉLÈNE")
    assert (second.date, second.hours, second.billable) == (date(2026, 11, 4), Decimal("2.25"), "no")


def test_utf8_with_a_bom_and_thousands_spaces_are_understood(firm):
    text = "\ufeff" + FRENCH_TIME.replace("1 234,5", "1\u00a0234,5")

    problems = problems_of(import_time_csv, TableFile("t.csv", text.encode("utf-8")))

    # Read right (1234.5 hours, the accents intact): refused only because no day has that many hours.
    assert problems == ["line 3, column Heures: hours must be more than 0 and at most 24, got 1234.5"]
    assert not TimeEntry.objects.exists()


def test_a_bad_line_7_is_reported_at_line_7_under_the_users_column_name(firm):
    # A quoted comment over two lines: record 6 starts on line 7 of the file.
    lines = ["Identifiant;Date;Collaborateur;Mission;Heures;Commentaire",
             "T1;03/11/2026;HÉLÈNE;E0001;1;",
             '"T2";03/11/2026;HÉLÈNE;E0001;1;"première ligne',
             'deuxième ligne"',
             "T3;05/11/2026;HÉLÈNE;E0001;1;",
             "T4;06/11/2026;HÉLÈNE;E0001;1;",
             "T5;31/11/2026;HÉLÈNE;E0001;douze;",
             "T6;09/11/2026;HÉLÈNE;E0001;1;"]
    source = TableFile("heures.csv", "\r\n".join(lines).encode("cp1252"))

    with pytest.raises(ImportRejected) as rejected:
        import_time_csv(source)

    assert rejected.value.source == "heures.csv"
    assert [str(p) for p in rejected.value.problems] == [
        "line 7, column Date: date 31/11/2026 is not a date of the calendar",
        "line 7, column Heures: hours is not a number: 'douze'",
    ]
    with translation.override("fr"):
        assert rejected.value.problems[0].located(translation.gettext).startswith("ligne 7, colonne Date : ")
    assert not TimeEntry.objects.exists()  # all or nothing: the five good lines are not imported either


def test_a_file_mixing_utf8_and_windows_1252_is_refused_at_its_line(firm):
    content = ("identifiant;date;collaborateur;mission;heures;commentaire\n"
               "T1;03/11/2026;HÉLÈNE;E0001;1;ok\n").encode() + (
               "T2;03/11/2026;JDUPONT;E0001;1;ok\nT3;03/11/2026;JDUPONT;E0001;1;ok\n"
               "T4;03/11/2026;JDUPONT;E0001;1;Révision\n").encode("cp1252")

    problems = problems_of(import_time_csv, TableFile("t.csv", content))

    assert problems == ["line 5: the file mixes encodings: line 2 is UTF-8, line 5 is Windows-1252; save it again "
                        "as CSV UTF-8"]
    assert not TimeEntry.objects.exists()


def test_a_byte_of_no_encoding_is_refused_at_its_line(firm):
    content = b"identifiant;date;collaborateur;mission;heures\nT1;03/11/2026;JDUPONT;E0001;1\nT2;\x81;x;y;1\n"

    assert problems_of(import_time_csv, TableFile("t.csv", content)) == [
        "line 3: byte 0x81 is a character of neither UTF-8 nor Windows-1252: save the file again as CSV UTF-8"]


def test_payroll_metrics_with_french_headers_months_and_numbers(firm):
    content = "Client;Indicateur;Période;Quantité\nC0001;BULLETINS;11/2026;1 234,5\nC0001;ENTREES;2026-12;3\n"

    import_metrics_csv(TableFile("paie.csv", content.encode("cp1252")))

    assert sorted(UnitMetric.objects.values_list("metric_code", "period", "quantity")) == [
        ("BULLETINS", date(2026, 11, 1), Decimal("1234.5")), ("ENTREES", date(2026, 12, 1), Decimal("3"))]


def test_expenses_and_purchases_with_french_amount_columns(firm):
    expenses = ("Collaborateur;Client;Mission;Date;Nature;Montant H.T.;Montant TTC;Taux de TVA (%);Refacturable\n"
                "HÉLÈNE;C0001;E0001;12/11/2026;Train Paris-Lyon;1 234,50;1 481,40;20 %;oui\n")
    purchases = ("client,date,fournisseur,référence,montant_ht,tva,majoration\n"
                 "C0001,2026-11-12,Papeterie Martin,FA-7,\"1,234.50\",20,15\n")

    import_costs_csv("expenses", TableFile("frais.csv", expenses.encode("cp1252")))
    import_costs_csv("purchases", TableFile("achats.csv", purchases.encode("utf-8")))

    expense = Expense.objects.get()
    assert (expense.amount_excluding_vat, expense.amount_including_vat, expense.vat_rate, expense.rebillable,
            expense.date) == (Decimal("1234.50"), Decimal("1481.40"), Decimal("20"), True, date(2026, 11, 12))
    purchase = Purchase.objects.get()
    assert (purchase.amount_excluding_vat, purchase.reference, purchase.markup_percent) == (
        Decimal("1234.50"), "FA-7", Decimal("15"))


def test_the_debours_column_meets_the_costs_import_under_its_french_name(firm):
    content = ("collaborateur;client;date;nature;montant HT;montant TTC;taux de TVA;débours\n"
               "JDUPONT;C0001;12/11/2026;Greffe;50;50;0;oui\n")

    import_costs_csv("expenses", TableFile("frais.csv", content.encode("cp1252")))

    assert Expense.objects.get().disbursement is True


def test_unknown_and_missing_columns_are_named_in_the_files_language(firm):
    french = problems_of(import_time_csv, TableFile("t.csv", b"collaborateur;mission;heures;couleur\n"))
    english = problems_of(import_time_csv, TableFile("t.csv", b"id,date,engagement,hours\n"))
    twice = problems_of(import_time_csv, TableFile("t.csv", b"identifiant;date;collaborateur;mission;heures;hours\n"))

    assert french == [
        "line 1: missing column(s): identifiant, date",
        "line 1: unknown column(s): couleur (expected identifiant, date, collaborateur, mission, heures, volet, tâche, "
        "facturable, activité, domaine, validé, commentaire)"]
    assert english == ["line 1: missing column(s): collaborator"]
    assert twice == ["line 1: column(s) given twice: heures / hours"]


def test_headers_match_without_case_accents_or_punctuation():
    assert {ALIASES[header_key(name)] for name in ("Montant H.T.", "montant_ht", "MONTANT HT", "amount_excluding_vat")} \
        == {"amount_excluding_vat"}
    assert ALIASES[header_key("Période")] == ALIASES[header_key("periode")] == "period"
    assert ALIASES[header_key("Débours")] == ALIASES[header_key("debours")] == "disbursement"


def test_numbers_and_dates_as_spreadsheets_write_them_and_the_json_formats_stay_strict():
    sheet, strict = Checker(spreadsheet=True), Checker()

    assert [spreadsheet_number(text) for text in ("1 234,50", "1\u202f234,50", "1.234,50", "1,234.50", "1234.50")] \
        == ["1234,50", "1234,50", "1234.50", "1234.50", "1234.50"]
    assert sheet.decimal("1 234,50", "x") == Decimal("1234.50")
    assert sheet.date("03/11/2026", "x") == sheet.date("2026-11-03", "x") == date(2026, 11, 3)
    assert sheet.month("11/2026", "x") == date(2026, 11, 1)
    assert strict.date("03/11/2026", "x") is None and strict.decimal("1 234,50", "x") is None
    assert [p.why for p in strict.problems] == ["date must be written YYYY-MM-DD, got '03/11/2026'",
                                                "value is not a number: '1 234,50'"]


def test_a_row_with_more_values_than_the_header_is_refused_where_it_is(firm):
    content = b"identifiant;date;collaborateur;mission;heures\nT1;03/11/2026;JDUPONT;E0001;1;extra\n"

    assert problems_of(import_time_csv, TableFile("t.csv", content)) == [
        "line 2: 6 fields where the header has 5"]
