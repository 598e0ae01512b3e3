"""Timesheet and payroll CSV imports: line-numbered errors, all or nothing, idempotent."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.billing.models import BillableItem
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.imports.activity import CHUNK, import_metrics_csv, import_time_csv
from prebill.imports.portfolio import import_portfolio
from prebill.imports.problems import ImportRejected

from .sample import portfolio

pytestmark = pytest.mark.django_db
TIME_HEADER = "id,date,collaborator,engagement,part,task,hours,billable,activity,approved\n"


@pytest.fixture
def loaded():
    data = portfolio()
    del data["time_entries"], data["unit_metrics"]
    import_portfolio(data)


def write(tmp_path, text: str, name: str = "file.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected_problems(importer, path) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        importer(path)
    return [str(p) for p in rejected.value.problems]


def test_a_timesheet_is_imported_and_a_second_import_changes_nothing(loaded, tmp_path):
    path = write(tmp_path, TIME_HEADER
                 + "T1,2026-11-02,JDU,E0001-TEN,REGIE,,7.5,yes,audit,yes\n"
                 + "T2,2026-11-03,PMA,E0001-TEN,,BILAN-1,2,undecided,,no\n")

    first = import_time_csv(path)
    second = import_time_csv(path)

    assert first == {"created": 2, "updated": 0, "unchanged": 0}
    assert second == {"created": 0, "updated": 0, "unchanged": 2}
    entry = TimeEntry.objects.get(external_id="T2")
    assert (entry.hours, entry.billable, entry.task.code, entry.approved) == (Decimal("2"), "undecided", "BILAN-1", False)


def test_semicolons_decimal_commas_and_a_bom_are_understood(loaded, tmp_path):
    path = write(tmp_path, "\ufeffid;date;collaborator;engagement;hours\nT1;2026-11-02;JDU;E0001-TEN;1,25\n")

    import_time_csv(path)

    assert TimeEntry.objects.get(external_id="T1").hours == Decimal("1.25")


def test_every_bad_line_is_reported_with_its_column_and_nothing_is_imported(loaded, tmp_path):
    path = write(tmp_path, TIME_HEADER
                 + "T1,2026-11-02,JDU,E0001-TEN,REGIE,,7.5,yes,audit,yes\n"
                 + "T2,2026-11-31,XXX,E0001-TEN,NOPART,,25,maybe,,perhaps\n"
                 + "T1,2026-11-04,JDU,E0001-TEN,,,1,,,\n")

    problems = rejected_problems(import_time_csv, path)

    assert problems == [
        "line 3, column date: date 2026-11-31 is not a date of the calendar",
        "line 3, column collaborator: unknown collaborator 'XXX'",
        "line 3, column part: engagement E0001-TEN has no part 'NOPART'",
        "line 3, column hours: hours must be more than 0 and at most 24, got 25",
        "line 3, column billable: billable must be yes, no or undecided, got 'maybe'",
        "line 3, column approved: approved must be yes or no, got 'perhaps'",
        "line 4, column id: duplicate time entry id: also at line 2, column id",
    ]
    assert not TimeEntry.objects.exists()


def test_a_missing_column_is_reported_on_the_header(loaded, tmp_path):
    path = write(tmp_path, "id,date,engagement,hours\nT1,2026-11-02,E0001-TEN,1\n")

    assert rejected_problems(import_time_csv, path) == ["line 1: missing column(s): collaborator"]


def test_a_time_entry_already_invoiced_may_change_and_only_the_difference_is_billed(loaded, tmp_path):
    import_time_csv(write(tmp_path, TIME_HEADER + "T1,2026-11-02,JDU,E0001-TEN,REGIE,,1,yes,,yes\n"))
    run_pre_billing(period=Period(2026, 11))
    BillableItem.objects.filter(time_entry__external_id="T1").update(status="billed", billed_quantity=1)

    import_time_csv(write(tmp_path, TIME_HEADER + "T1,2026-11-02,JDU,E0001-TEN,REGIE,,5,yes,,yes\n", "again.csv"))

    # The import brings the month already run in step at once: the 4 hours more are on its draft.
    assert TimeEntry.objects.get(external_id="T1").hours == Decimal("5")
    item = BillableItem.objects.get(time_entry__external_id="T1")
    assert (item.status, item.quantity, item.pre_invoice_line.quantity) == ("pending", Decimal("5"), Decimal("4"))
    assert item.pre_invoice_line.pre_invoice.period == date(2026, 11, 1)
    assert run_pre_billing(period=Period(2026, 11)).drafts_changed == 0


def test_payroll_metrics_are_upserted_per_client_metric_and_month(loaded, tmp_path):
    import_metrics_csv(write(tmp_path, "client,metric,period,quantity\nC0001,PAYSLIPS,2026-11,12\n"))

    counts = import_metrics_csv(write(tmp_path, "client,metric,period,quantity\nC0001,PAYSLIPS,2026-11,14\n", "b.csv"))

    assert counts == {"created": 0, "updated": 1, "unchanged": 0}
    assert UnitMetric.objects.get(client__code="C0001", period=date(2026, 11, 1)).quantity == Decimal("14")


def test_bad_payroll_lines_are_reported(loaded, tmp_path):
    path = write(tmp_path, "client,engagement,metric,period,quantity\n"
                           "C0001,,PAYSLIPS,2026-11,-3\n"
                           "C0404,,PAYSLIPS,13/2026,2\n")

    problems = rejected_problems(import_metrics_csv, path)

    assert problems == [
        "line 2, column quantity: quantity -3 is negative",
        "line 3, column client: unknown client 'C0404'",
        "line 3, column period: period must be written MM/YYYY (or YYYY-MM), got '13/2026'",
    ]


def test_a_problem_after_chunks_already_written_still_leaves_nothing_imported(loaded, tmp_path):
    good = "".join(f"T{n},2026-11-02,JDU,E0001-TEN,REGIE,,1,yes,,yes\n" for n in range(CHUNK + 10))
    path = write(tmp_path, TIME_HEADER + good + "BAD,2026-11-02,JDU,E0001-TEN,REGIE,,-1,yes,,yes\n")

    problems = rejected_problems(import_time_csv, path)

    assert problems == [f"line {CHUNK + 12}, column hours: hours -1 is negative"]
    assert not TimeEntry.objects.exists()
