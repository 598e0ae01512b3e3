"""Uploaded import files: checked (size, type, content), kept only while the import reads them; the
tables' help and templates (what each import reads, a file to fill in)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats
from django.utils.translation import gettext

from prebill.core.refusals import gettext_noop

from . import activity, costs
from .portfolio import import_portfolio, load_portfolio_file
from .problems import ImportRejected, Problem, spreadsheet_date, spreadsheet_number
from .tables import FORMS, TableFile, canonical, check_table_type, column


@dataclass(frozen=True)
class Table:
    """A tabular import: its fields (required, optional) and how it runs on a file."""

    label: str  # msgid
    required: tuple[str, ...]
    optional: tuple[str, ...]
    run: Callable[[TableFile], dict]

    @property
    def fields(self) -> tuple[str, ...]:
        return canonical(self.required + self.optional)


TABLES: dict[str, Table] = {
    "time": Table(gettext_noop("Timesheet"), activity.TIME_COLUMNS, activity.TIME_OPTIONAL,
                  lambda source: {"time_entries": activity.import_time_csv(source)}),
    "metrics": Table(gettext_noop("Payroll metrics"), activity.METRIC_COLUMNS, activity.METRIC_OPTIONAL,
                     lambda source: {"unit_metrics": activity.import_metrics_csv(source)}),
    **{kind: Table(label, *costs.COLUMNS[kind], lambda source, kind=kind: {kind: costs.import_costs_csv(kind, source)})
       for kind, label in (("expenses", gettext_noop("Expenses")), ("purchases", gettext_noop("Purchases")),
                           ("overtime", gettext_noop("Overtime")))},
}
KINDS = ("portfolio", *TABLES)


def max_bytes() -> int:
    return settings.PREBILL_IMPORT_MAX_BYTES


def _mb(size: int) -> str:
    """A size in megabytes as the user reads numbers (12,5 in French), without a useless ",0"."""
    tenths = (Decimal(size) / 1024 / 1024).quantize(Decimal("0.1"))
    return formats.number_format(tenths, 0 if tenths == tenths.to_integral() else 1, use_l10n=True)


def import_upload(kind: str, upload: UploadedFile) -> dict[str, dict[str, int]]:
    """Import an uploaded file of `kind`; raises ImportRejected (nothing written) when it is not acceptable."""
    name = os.path.basename(upload.name or "") or "file"
    limit = max_bytes()
    if upload.size > limit:
        raise ImportRejected(name, [Problem(name, gettext_noop("the file has %(has)s MB, more than the %(size)s MB "
                                                               "an import accepts: split it"),
                                            has=_mb(upload.size), size=_mb(limit))])
    if kind == "portfolio":
        if not name.lower().endswith(".json"):
            raise ImportRejected(name, [Problem(name, gettext_noop("a %(suffix)s file is expected"), suffix=".json")])
        head = upload.read(4096)
        upload.seek(0)
        if b"\x00" in head:
            raise ImportRejected(name, [Problem(name, gettext_noop("the file is not text (binary content)"))])
    # Never the uploaded name on disk: a private temporary file, removed whatever happens.
    handle, temporary = tempfile.mkstemp(prefix="prebill-upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        if kind == "portfolio":
            try:
                return import_portfolio(load_portfolio_file(Path(temporary)), source=name)
            except ImportRejected as rejected:
                raise ImportRejected(name, rejected.problems) from None
        source = TableFile(name=name, path=Path(temporary))
        check_table_type(source)  # the name and the content agree before anything is read
        return TABLES[kind].run(source)
    finally:
        os.unlink(temporary)


# -- help and templates --------------------------------------------------------------------------


def column_help(kind: str) -> list[dict]:
    """What the page says of each column of an import: French and English names, required, form, example."""
    table = TABLES[kind]
    required = canonical(table.required)
    return [{"french": column(field).french, "english": field, "required": field in required,
             "form": FORMS[column(field).form], "example": column(field).example} for field in table.fields]


def template_csv(kind: str) -> bytes:
    """A CSV to fill in, as French Excel writes it: UTF-8 with BOM, semicolons, French headers, an example."""
    fields = TABLES[kind].fields
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([column(field).french for field in fields])
    writer.writerow([column(field).example for field in fields])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    """An Excel workbook to fill in: French headers, an example row with real dates and numbers, and a sheet
    that says what each column takes."""
    from openpyxl import Workbook  # only the templates and the imports of workbooks need it
    from openpyxl.styles import Font

    fields = TABLES[kind].fields
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Entries")[:31]
    sheet.append([column(field).french for field in fields])
    sheet.append([_typed(field) for field in fields])
    for index, field in enumerate(fields, start=1):
        cell = sheet.cell(row=2, column=index)
        form = column(field).form
        cell.number_format = {"date": "DD/MM/YYYY", "time": "HH:MM", "decimal": "#,##0.00", "percent": "General"}.get(form, "@")
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = max(14, len(column(field).french) + 4)
    sheet.freeze_panes = "A2"
    about = workbook.create_sheet(gettext("Columns")[:31])
    about.append([gettext("Column"), gettext("English name"), gettext("Required"), gettext("Form"), gettext("Example")])
    for line in column_help(kind):
        about.append([line["french"], line["english"], gettext("yes") if line["required"] else gettext("no"),
                      gettext(line["form"]), line["example"]])
    for letter, width in zip("ABCDE", (22, 22, 10, 50, 20), strict=True):
        about.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _typed(field: str) -> object:
    """The example of a column as Excel holds it: a date cell, a time cell, a number; text otherwise."""
    example, form = column(field).example, column(field).form
    if not example:
        return None
    if form == "date":
        return date.fromisoformat(spreadsheet_date(example))
    if form == "time":
        return time.fromisoformat(example)
    if form in ("decimal", "percent"):
        return Decimal(spreadsheet_number(example).replace(",", "."))
    return example  # a month stays text ("11/2026"): Excel would make a date of it
