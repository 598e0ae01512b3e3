"""Excel workbooks: dates as real dates, numbers as numbers, errors at the sheet's row; the templates to
download, which open in Excel (openpyxl here) and import as they are; uploads checked on type and size."""

import csv
import io
import tempfile
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.costs.models import Expense, Overtime, Purchase
from prebill.imports.activity import import_time_csv
from prebill.imports.costs import import_costs_csv
from prebill.imports.problems import ImportRejected
from prebill.imports.tables import TableFile
from tests import factories as f

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def firm(org):
    """The codes of the templates' example lines."""
    client = f.client(code="C0001")
    engagement = f.engagement(client, "E0001")
    f.collaborator("JDUPONT")
    return engagement


def workbook(*rows, formats: dict[str, str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def preparer(client, user_with):
    client.force_login(user_with("preparer"))
    return client


def upload(client, kind, name, content: bytes):
    return client.post("/imports/", {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_a_timesheet_workbook_with_date_cells_and_number_cells_is_imported(firm):
    content = workbook(["Identifiant", "Date", "Collaborateur", "Mission", "Heures", "Validé"],
                       ["T1", datetime(2026, 11, 3), "JDUPONT", "E0001", 7.5, True],
                       ["T2", date(2026, 11, 4), "JDUPONT", "E0001", 2, "non"],
                       [None, None, None, None, None, None],
                       ["T3", "05/11/2026", "JDUPONT", "E0001", "1,25", None])

    assert import_time_csv(TableFile("temps.xlsx", content)) == {"created": 3, "updated": 0, "unchanged": 0}

    entries = {e.external_id: e for e in TimeEntry.objects.all()}
    assert (entries["T1"].date, entries["T1"].hours, entries["T1"].approved) == (date(2026, 11, 3), Decimal("7.5"), True)
    assert (entries["T2"].date, entries["T2"].hours, entries["T2"].approved) == (date(2026, 11, 4), Decimal("2"), False)
    assert (entries["T3"].date, entries["T3"].hours) == (date(2026, 11, 5), Decimal("1.25"))


def test_percentage_cells_time_cells_and_money_cells_of_the_costs(firm):
    expenses = workbook(["collaborateur", "client", "date", "nature", "montant HT", "montant TTC", "taux de TVA"],
                        ["JDUPONT", "C0001", datetime(2026, 11, 12), "Train", 84.5, 92.95, 0.1],
                        formats={"G2": "0%"})
    overtime = workbook(["collaborateur", "mission", "date", "début", "fin"],
                        ["JDUPONT", "E0001", date(2026, 11, 24), time(19, 0), time(23, 30)])

    import_costs_csv("expenses", TableFile("frais.xlsx", expenses))
    import_costs_csv("overtime", TableFile("hs.xlsx", overtime))

    expense = Expense.objects.get()
    assert (expense.amount_excluding_vat, expense.amount_including_vat, expense.vat_rate) == (
        Decimal("84.50"), Decimal("92.95"), Decimal("10"))
    assert (Overtime.objects.get().start, Overtime.objects.get().end) == (time(19, 0), time(23, 30))


def test_a_bad_sheet_row_7_is_reported_at_row_7_and_nothing_is_imported(firm):
    good = [[f"T{n}", date(2026, 11, n), "JDUPONT", "E0001", 1] for n in range(1, 6)]
    content = workbook(["identifiant", "date", "collaborateur", "mission", "heures"], *good[:4], [None] * 5,
                       ["T6", date(2026, 11, 6), "PERSONNE", "E0001", 25], good[4])

    with pytest.raises(ImportRejected) as rejected:
        import_time_csv(TableFile("temps.xlsx", content))

    assert [str(p) for p in rejected.value.problems] == [
        "row 7, column collaborateur: unknown collaborator 'PERSONNE'",
        "row 7, column heures: hours must be more than 0 and at most 24, got 25"]
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(("name", "content", "why"), [
    ("t.xlsx", b"PK\x03\x04 not really", "the file is not an Excel workbook (.xlsx) although its name says so"),
    ("t.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "an Excel 97-2003 (.xls) file cannot be read"),
    ("t.csv", None, "the file is not text: an Excel workbook?"),
    ("t.pdf", b"%PDF-1.4", "a .csv or .xlsx file is expected"),
])
def test_files_whose_name_and_content_disagree_are_refused(firm, name, content, why):
    if content is None:
        content = workbook(["identifiant"])
    with pytest.raises(ImportRejected) as rejected:
        import_time_csv(TableFile(name, content))

    assert rejected.value.problems[0].why.startswith(why)


def test_a_zip_without_the_workbook_parts_is_not_a_workbook(firm):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")

    with pytest.raises(ImportRejected, match="1 problem"):
        import_time_csv(TableFile("t.xlsx", out.getvalue()))


# -- the templates -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["time", "metrics", "expenses", "purchases", "overtime"])
def test_each_template_opens_in_a_spreadsheet_and_imports_as_it_is(firm, preparer, kind):
    as_xlsx = preparer.get(f"/imports/templates/{kind}.xlsx")
    as_csv = preparer.get(f"/imports/templates/{kind}.csv")

    assert as_xlsx.status_code == as_csv.status_code == 200
    assert as_xlsx["Content-Type"] == XLSX and as_xlsx["Content-Disposition"].startswith("attachment; filename=")
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    header, example = [[cell.value for cell in row] for row in sheet.iter_rows(max_row=2)]
    text = as_csv.content.decode("utf-8-sig")
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(text), delimiter=";")) == header  # the same French headers
    assert "mission" in header or "client" in header
    if kind in ("time", "expenses", "purchases", "overtime"):
        assert isinstance(example[header.index("date")], datetime)  # a real date cell

    first = upload(preparer, kind, "modele.xlsx", as_xlsx.content)
    assert first.status_code == 200, first.context.get("problems")
    second = upload(preparer, kind, "modele.csv", as_csv.content)
    assert second.status_code == 200, second.context.get("problems")
    model = {"time": TimeEntry, "metrics": UnitMetric, "expenses": Expense, "purchases": Purchase,
             "overtime": Overtime}[kind]
    assert model.objects.count() == (1 if kind in ("time", "metrics") else 2)  # time and metrics: upserted


def test_the_templates_are_for_those_who_import(client, user_with):
    anonymous = client.get("/imports/templates/time.xlsx")
    client.force_login(user_with("validator"))
    reader = client.get("/imports/templates/time.xlsx")
    client.force_login(user_with("preparer"))
    unknown, posted = client.get("/imports/templates/invoices.xlsx"), client.post("/imports/templates/time.csv")

    assert anonymous.status_code == 302 and reader.status_code == 403
    assert unknown.status_code == 404 and posted.status_code == 405


def test_the_page_says_what_each_import_reads(preparer):
    page = preparer.get("/imports/").content.decode()

    assert "collaborateur" in page and "montant HT" in page and "JJ/MM/AAAA" in page
    assert "/imports/templates/expenses.xlsx" in page and "docs/interchange.md" not in page


# -- uploads ---------------------------------------------------------------------------------------


def test_an_upload_is_never_written_under_the_users_file_name(firm, preparer, monkeypatch):
    made = []
    real = tempfile.mkstemp

    def spy(*args, **kwargs):
        made.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    content = "identifiant;date;collaborateur;mission;heures\nT1;03/11/2026;JDUPONT;E0001;1\n".encode("cp1252")

    response = upload(preparer, "time", "../../etc/cron.d/évil.csv", content)

    assert response.status_code == 200 and TimeEntry.objects.count() == 1
    assert made and all("evil" not in repr(call) and "évil" not in repr(call) for call in made)


def test_an_upload_over_the_size_setting_is_refused_clearly(firm, preparer, settings):
    settings.PREBILL_IMPORT_MAX_BYTES = 512 * 1024
    content = b"identifiant;date;collaborateur;mission;heures\n" + b"T1;03/11/2026;JDUPONT;E0001;1\n" * 22000

    response = upload(preparer, "time", "temps.csv", content)

    assert response.status_code == 422 and not TimeEntry.objects.exists()
    assert response.context["problems"] == [
        "temps.csv : le fichier fait 0,6 Mo, plus que les 0,5 Mo qu'accepte un import : découpez-le"]
