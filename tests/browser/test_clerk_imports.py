"""A clerk imports, through the import page, the files Excel gives her: a French semicolon CSV in
Windows-1252 (decimal commas, dates DD/MM/YYYY) and a workbook (.xlsx); a bad line is shown where it is."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from prebill.activity.models import TimeEntry
from prebill.costs.models import Expense
from tests import factories as f

from .conftest import log_in

TIMESHEET = ("Identifiant;Date;Collaborateur;Mission;Heures;Facturable;Commentaire\r\n"
             "T1;03/11/2026;HÉLÈNE;E0001;7,5;oui;Révision des comptes\r\n"
             "T2;04/11/2026;HÉLÈNE;E0001;1,25;non;Réunion\r\n")


@pytest.fixture
def clerk(transactional_db):
    f.organisation()
    f.engagement(f.client(code="C0001"), "E0001")
    f.collaborator("HÉLÈNE")
    user = User.objects.create_user(username="claire", password="facturation-2026")
    user.groups.add(Group.objects.get_or_create(name="preparer")[0])
    return user


def expenses_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Collaborateur", "Client", "Mission", "Date", "Nature", "Montant HT", "Montant TTC", "Taux de TVA"])
    sheet.append(["HÉLÈNE", "C0001", "E0001", date(2026, 11, 12), "Train Paris-Lyon", 84.5, 92.95, 10])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_clerk_imports_an_excel_csv_and_a_workbook_through_the_import_page(page, clerk, tmp_path):
    timesheet = tmp_path / "Temps novembre.csv"
    timesheet.write_bytes(TIMESHEET.encode("cp1252"))
    workbook = tmp_path / "Frais novembre.xlsx"
    workbook.write_bytes(expenses_workbook())
    bad = tmp_path / "Temps erreur.csv"
    bad.write_bytes((TIMESHEET + "T3;05/11/2026;HÉLÈNE;E0001;1;oui;\r\nT4;06/11/2026;HÉLÈNE;E0001;1;oui;\r\n"
                     "T5;07/11/2026;HÉLÈNE;E0001;1;oui;\r\nT6;31/11/2026;HÉLÈNE;E0001;2,5;oui;\r\n").encode("cp1252"))
    log_in(page)
    page.goto(page.base_url + "/imports/")

    # The help is on the page: the columns of the timesheet, their forms, an example.
    time_form = page.locator("form[data-test=import-time]")
    time_form.locator("summary").click()
    expect(time_form.locator("[data-test=columns] table")).to_contain_text("collaborateur")
    expect(time_form.locator("[data-test=columns] table")).to_contain_text("JJ/MM/AAAA")

    # The template downloads and opens as a workbook with the French headers.
    with page.expect_download() as download:
        time_form.locator("[data-test=template-xlsx]").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:5] == ["identifiant", "date", "collaborateur", "mission", "heures"]

    # Excel's "CSV (séparateur: point-virgule)": Windows-1252, decimal commas, French dates.
    time_form.locator("input[type=file]").set_input_files(str(timesheet))
    time_form.locator("button").click()
    expect(page.locator("[data-test=counts]")).to_contain_text("2 created")
    entry = TimeEntry.objects.get(external_id="T1")
    assert (entry.date, entry.hours, entry.comment) == (date(2026, 11, 3), Decimal("7.5"), "Révision des comptes")

    # An Excel workbook of expenses: date and number cells.
    expenses_form = page.locator("form[data-test=import-expenses]")
    expenses_form.locator("input[type=file]").set_input_files(str(workbook))
    expenses_form.locator("button").click()
    expect(page.locator("[data-test=counts]")).to_contain_text("1 created")
    expense = Expense.objects.get()
    assert (expense.date, expense.amount_excluding_vat, expense.vat_rate) == (date(2026, 11, 12), Decimal("84.50"),
                                                                             Decimal("10"))

    # A bad line 7: said in French at line 7 under the file's column name; nothing of the file imported.
    time_form = page.locator("form[data-test=import-time]")
    time_form.locator("input[type=file]").set_input_files(str(bad))
    time_form.locator("button").click()
    expect(page.locator("[data-test=problems]")).to_contain_text(
        "ligne 7, colonne Date : date 31/11/2026 n'est pas une date du calendrier")
    assert not TimeEntry.objects.filter(external_id="T3").exists()
