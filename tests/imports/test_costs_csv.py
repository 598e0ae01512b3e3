"""Expenses, purchases and overtime CSV files: every problem with its line and column, or every row."""

from decimal import Decimal

import pytest

from prebill.costs.models import Expense, Overtime, Purchase
from prebill.imports.costs import import_costs_csv
from prebill.imports.problems import ImportRejected
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(org):
    engagement = f.engagement(f.client(code="ACME"), "P-1")
    f.collaborator("ANNE")
    return engagement


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_files_are_imported(acme, tmp_path):
    expenses = write(tmp_path, "e.csv", "collaborator;client;engagement;date;nature;amount_excluding_vat;"
                     "amount_including_vat;vat_rate;rebillable\nANNE;ACME;P-1;2026-11-10;Train;84.50;92.95;10;yes\n")
    purchases = write(tmp_path, "p.csv", "client,date,supplier,reference,amount_excluding_vat,vat_rate,markup_percent\n"
                      "ACME,2026-11-12,Dell,INV-7,200,20,15\n")
    overtime = write(tmp_path, "o.csv", "collaborator,engagement,date,start,end\nANNE,P-1,2026-11-24,19:00,23:30\n")

    counts = [import_costs_csv("expenses", expenses), import_costs_csv("purchases", purchases),
              import_costs_csv("overtime", overtime)]

    assert counts == [{"created": 1}] * 3
    assert Expense.objects.get().amount_including_vat == Decimal("92.95")
    assert Purchase.objects.get().markup_percent == Decimal("15")
    assert Overtime.objects.get().end.hour == 23


def test_bad_rows_are_all_reported_and_nothing_is_imported(acme, tmp_path):
    path = write(tmp_path, "e.csv", "collaborator,client,date,nature,amount_excluding_vat,amount_including_vat,"
                 "vat_rate\nANNE,ACME,2026-11-10,Train,84.50,92.95,10\nNOBODY,ACME,2026-13-01,,50,40,120\n")

    with pytest.raises(ImportRejected) as rejected:
        import_costs_csv("expenses", path)

    found = [str(p) for p in rejected.value.problems]
    assert "line 3, column collaborator: unknown collaborator 'NOBODY'" in found
    assert any(p.startswith("line 3, column date") for p in found)
    assert any(p.startswith("line 3, column nature") for p in found)
    assert any(p.startswith("line 3, column amount_including_vat") for p in found)
    assert any(p.startswith("line 3, column vat_rate") for p in found)
    assert not Expense.objects.exists()


def test_yes_and_no_and_times_as_clerks_and_spreadsheets_write_them(acme, tmp_path):
    expenses = write(tmp_path, "e.csv", "collaborator;client;engagement;date;nature;amount_excluding_vat;"
                     "amount_including_vat;vat_rate;rebillable\n"
                     "ANNE;ACME;P-1;2026-11-10;Train;84.50;92.95;10;VRAI\nANNE;ACME;P-1;2026-11-11;Taxi;10;11;10;FAUX\n")
    overtime = write(tmp_path, "o.csv", "collaborator,engagement,date,start,end\nANNE,P-1,2026-11-24,9:00,12h30\n"
                     "ANNE,P-1,2026-11-25,19h,23:00:00\n")

    import_costs_csv("expenses", expenses)
    import_costs_csv("overtime", overtime)

    assert dict(Expense.objects.values_list("nature", "rebillable")) == {"Train": True, "Taxi": False}
    assert sorted((o.start.strftime("%H:%M"), o.end.strftime("%H:%M")) for o in Overtime.objects.all()) == [
        ("09:00", "12:30"), ("19:00", "23:00")]


def test_a_time_that_is_not_one_is_refused_where_it_is(acme, tmp_path):
    overtime = write(tmp_path, "o.csv", "collaborator,engagement,date,start,end\nANNE,P-1,2026-11-24,neuf,25:00\n")

    with pytest.raises(ImportRejected) as rejected:
        import_costs_csv("overtime", overtime)

    found = [str(p) for p in rejected.value.problems]
    assert any(p.startswith("line 2, column start") for p in found)
    assert any(p.startswith("line 2, column end") for p in found)
