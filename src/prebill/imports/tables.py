"""Clerks' tables, the one reading of every tabular import: a file (name and bytes) to located rows.

A CSV file is read in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or Windows-1252 (Excel's
"CSV (séparateur: point-virgule)"), detected, with commas, semicolons or tabs; an XLSX workbook is read on its
first sheet, dates and numbers as Excel holds them. Column names are French or English (`COLUMNS`, the one
alias table), matched without case, accents or punctuation. Each row comes with `where(field)`: the real line
of the file (the header being line 1) or the sheet row, and the column as the user named it.

Values stay text here; the checker reading them (prebill.imports.problems.Checker, marked `spreadsheet`)
understands "1 234,50", "03/11/2026" and "11/2026" besides the ISO forms.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from prebill.core.refusals import gettext_noop

from .problems import Checker, ImportRejected, Place, Problem

Where = Callable[[str], str]
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
UNZIPPED_LIMIT = 500 * 1024 * 1024  # an XLSX inflating beyond this is refused (a zip bomb, or not a clerk's table)


@dataclass(frozen=True)
class Column:
    """A field of the imports: its canonical name (the API's, the English header), the French header of the
    templates, the other names clerks give it, the form of its values and an example in the French form."""

    name: str
    french: str
    form: str  # a key of FORMS
    example: str = ""
    aliases: tuple[str, ...] = ()


FORMS = {
    "code": gettext_noop("a code known to prebill"),
    "text": gettext_noop("free text"),
    "date": gettext_noop("date DD/MM/YYYY (or YYYY-MM-DD)"),
    "month": gettext_noop("month MM/YYYY (or YYYY-MM)"),
    "decimal": gettext_noop("number, decimal comma or point (1 234,50 or 1234.50)"),
    "percent": gettext_noop("percentage, a number (20 or 5,5)"),
    "time": gettext_noop("time HH:MM"),
    "yes/no": gettext_noop("oui or non (yes or no)"),
    "billable": gettext_noop("oui, non or à décider (yes, no or undecided)"),
}

# The one alias table: every tabular import reads its columns through it.
COLUMNS: dict[str, Column] = {c.name: c for c in (
    Column("id", "identifiant", "text", "T-2026-0001", ("id saisie", "numero de saisie", "ref saisie")),
    Column("date", "date", "date", "03/11/2026", ("jour", "date de la depense", "date d achat")),
    Column("collaborator", "collaborateur", "code", "JDUPONT",
           ("collaboratrice", "intervenant", "intervenante", "code collaborateur", "salarie")),
    Column("client", "client", "code", "C0001", ("code client",)),
    Column("engagement", "mission", "code", "E0001", ("code mission", "dossier")),
    Column("part", "volet", "code", "", ("code volet",)),
    Column("task", "tâche", "code", "", ("code tache",)),
    Column("hours", "heures", "decimal", "7,5", ("nombre d heures", "nb heures", "duree", "temps")),
    Column("billable", "facturable", "billable", "oui"),
    Column("activity", "activité", "text", "audit"),
    Column("domain", "domaine", "text", ""),
    Column("approved", "validé", "yes/no", "oui", ("approuve", "valide par le responsable")),
    Column("comment", "commentaire", "text", "Révision des comptes", ("commentaires", "remarque")),
    Column("metric", "indicateur", "code", "BULLETINS", ("metrique", "code indicateur", "unite")),
    Column("period", "période", "month", "11/2026", ("mois",)),
    Column("quantity", "quantité", "decimal", "12", ("nombre", "qte")),
    Column("nature", "nature", "text", "Train Paris-Lyon", ("objet", "libelle", "motif")),
    Column("amount_excluding_vat", "montant HT", "decimal", "84,50", ("ht", "montant hors taxes", "amount excl vat")),
    Column("amount_including_vat", "montant TTC", "decimal", "92,95", ("ttc", "montant toutes taxes comprises",
                                                                       "amount incl vat")),
    Column("vat_rate", "taux de TVA", "percent", "10", ("tva", "taux tva", "vat")),
    Column("rebillable", "refacturable", "yes/no", "oui", ("a refacturer",)),
    Column("disbursement", "débours", "yes/no", "non", ("debours", "disbursements")),
    Column("supplier", "fournisseur", "text", "Papeterie Martin", ()),
    Column("reference", "référence", "text", "FA-2026-117", ("ref", "numero de facture")),
    Column("markup_percent", "majoration %", "percent", "15", ("majoration", "marge", "markup")),
    Column("resale_price", "prix de revente", "decimal", "", ("prix refacture", "resale")),
    Column("start", "début", "time", "19:00", ("heure de debut", "de")),
    Column("end", "fin", "time", "21:30", ("heure de fin", "a")),
)}


def header_key(name: str) -> str:
    """A header as matched: no case, accents, dots or punctuation ("Montant H.T." and "montant_ht" alike)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace(".", "")
    return re.sub(r"[^a-z0-9%]+", " ", plain).replace("%", " ").strip()


ALIASES: dict[str, str] = {}
for _column in COLUMNS.values():
    for _name in (_column.name, _column.french, *_column.aliases):
        ALIASES.setdefault(header_key(_name), _column.name)


def canonical(names: tuple[str, ...]) -> tuple[str, ...]:
    """An import's column names as fields of the table, each once (an import may list a field's aliases)."""
    return tuple(dict.fromkeys(ALIASES.get(header_key(name), name) for name in names))


def column(name: str) -> Column:
    """The column of a canonical field; a field not in the table yet (added by an import) reads as itself."""
    return COLUMNS.get(name) or Column(name, name, "text")


@dataclass(frozen=True)
class TableFile:
    """An import file as received: the name the user gave it (shown in problems, never used as a path) and
    its content, held in memory or, for a big upload, in a private temporary file."""

    name: str
    content: bytes | None = None
    path: Path | None = None

    @classmethod
    def of(cls, source: Path | TableFile) -> TableFile:
        return source if isinstance(source, TableFile) else cls(name=str(source), path=Path(source))

    def open(self) -> BinaryIO:
        return io.BytesIO(self.content) if self.content is not None else self.path.open("rb")

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def _refused(source: TableFile, why: str, **params: object) -> ImportRejected:
    return ImportRejected(source.name, [Problem(source.name, why, **params)])


def check_table_type(source: TableFile) -> str:
    """'csv' or 'xlsx', from the name and the content agreeing; raises ImportRejected (a clear why) otherwise."""
    try:
        with source.open() as handle:
            head = handle.read(4096)
    except OSError as error:
        raise _refused(source, gettext_noop("cannot open the file: %(reason)s"), reason=error.strerror) from None
    if source.suffix == ".xls" or head.startswith(OLE_MAGIC):
        raise _refused(source, gettext_noop("an Excel 97-2003 (.xls) file cannot be read: save it as an Excel "
                                            "workbook (.xlsx) or as CSV"))
    if source.suffix == ".xlsx":
        if not head.startswith(ZIP_MAGIC) or not _is_workbook(source):
            raise _refused(source, gettext_noop("the file is not an Excel workbook (.xlsx) although its name says so"))
        return "xlsx"
    if source.suffix not in TABLE_SUFFIXES:
        raise _refused(source, gettext_noop("a .csv or .xlsx file is expected"))
    if head.startswith(ZIP_MAGIC):
        raise _refused(source, gettext_noop("the file is not text: an Excel workbook? name it .xlsx, or save it as CSV"))
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refused(source, gettext_noop("the file is not text (binary content)"))
    return "csv"


def _is_workbook(source: TableFile) -> bool:
    """An XLSX is a zip with the OOXML parts: the content types and the workbook; not inflating past the limit."""
    try:
        with source.open() as handle, zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names and inflated <= UNZIPPED_LIMIT


def read_table(
    source: Path | TableFile, *, required: tuple[str, ...], optional: tuple[str, ...], checker: Checker
) -> Iterator[tuple[Where, dict[str, str]]]:
    """Yield (where, row) pairs, rows keyed by canonical field; problems go to the checker (a header problem
    stops the reading). A refused type or encoding raises ImportRejected. The checker is marked `spreadsheet`."""
    source = TableFile.of(source)
    checker.spreadsheet = True
    kind = check_table_type(source)
    place = _row_place(kind)
    rows = _xlsx_rows(source) if kind == "xlsx" else _csv_rows(source, checker)
    for number, values in rows:  # noqa: B007 (the header's line, used below)
        if any(value.strip() for value in values):
            break
    else:
        checker.add(place(1), gettext_noop("the file is empty: a header line names the columns"))
        return
    header = _header(values, required, optional, place(number), checker)
    if header is None:
        return
    fields, label = header
    named = [(index, field) for index, field in enumerate(fields) if field is not None]
    unnamed = [index for index, field in enumerate(fields) if field is None]
    width = len(fields)
    for number, values in rows:
        if not "".join(values).strip():
            continue
        extra = len(values) > width and "".join(values[width:]).strip()
        if extra or (kind == "csv" and len(values) < width):  # a sheet's row stops at its last value
            checker.add(place(number), gettext_noop("%(count)s fields where the header has %(header)s"),
                        count=len(values), header=width)
            continue
        if len(values) < width:
            values = [*values, *[""] * (width - len(values))]
        for index in unnamed:
            if values[index].strip():
                checker.add(place(number, _column_letter(index) if kind == "xlsx" else str(index + 1)),
                            gettext_noop("a value in a column without a name: name the column or empty it"))
        yield RowPlace(place, number, label), {field: values[index].strip() for index, field in named}


class RowPlace:
    """Where a row's fields are: called with a field, the Place of its cell; `number` is the row's line (or row
    of a sheet), known without building a Place (a million rows are read)."""

    __slots__ = ("label", "number", "place")

    def __init__(self, place: Callable[..., Place], number: int, label: Callable[[str], str]):
        self.place, self.number, self.label = place, number, label

    def __call__(self, field: str) -> Place:
        return self.place(self.number, self.label(field))


def _row_place(kind: str) -> Callable[..., Place]:
    """The place of a row (and of one of its columns): lines of a text file, rows of a sheet."""
    if kind == "xlsx":
        def place(row: int, name: str | None = None) -> Place:
            if name is None:
                return Place(gettext_noop("row %(row)s"), row=row)
            return Place(gettext_noop("row %(row)s, column %(column)s"), row=row, column=name)
    else:
        def place(line: int, name: str | None = None) -> Place:
            if name is None:
                return Place(gettext_noop("line %(line)s"), line=line)
            return Place(gettext_noop("line %(line)s, column %(column)s"), line=line, column=name)
    return place


def _header(values: list[str], required: tuple[str, ...], optional: tuple[str, ...], where: str,
            checker: Checker) -> tuple[list[str | None], Callable[[str], str]] | None:
    """The canonical field of each column (None: an empty header) and the user's name of a field; None when
    the header is refused. Names the file lacks are given in its language (English when all its headers are)."""
    required, allowed = canonical(required), canonical(required + optional)
    fields: list[str | None] = []
    unknown, seen, doubled = [], {}, []
    for name in values:
        name = name.strip()
        key = header_key(name)
        field = ALIASES.get(key) or next((field for field in allowed if header_key(field) == key), None)
        if name and field not in allowed:
            unknown.append(name)
        elif field in seen:
            doubled.append(f"{seen[field]} / {name}")
        elif field:
            seen[field] = name
        fields.append(field if field in allowed else None)
    english = all(header_key(name) == header_key(field) for field, name in seen.items())
    named = (lambda field: field) if english else (lambda field: column(field).french)
    missing = [named(field) for field in required if field not in seen]
    if missing:
        checker.add(where, gettext_noop("missing column(s): %(columns)s"), columns=", ".join(missing))
    if unknown:
        checker.add(where, gettext_noop("unknown column(s): %(columns)s (expected %(expected)s)"),
                    columns=", ".join(unknown), expected=", ".join(named(field) for field in allowed))
    if doubled:
        checker.add(where, gettext_noop("column(s) given twice: %(columns)s"), columns=", ".join(doubled))
    if missing or unknown or doubled:
        return None
    return fields, lambda field: seen.get(field) or named(field)


# -- CSV ------------------------------------------------------------------------------------------


def _csv_rows(source: TableFile, checker: Checker) -> Iterator[tuple[int, list[str]]]:
    """(line of the file where the record starts, its fields); decoding problems raise ImportRejected."""
    encoding = detect_encoding(source)
    with source.open() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        first = ""
        for first in text:
            if first.strip():
                break
        delimiter = max(";,\t", key=first.count) if any(sep in first for sep in ";,\t") else ","
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        start = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                checker.add(Place(gettext_noop("line %(line)s"), line=reader.line_num),
                            gettext_noop("malformed CSV: %(reason)s"), reason=str(error))
                return
            yield start, values
            start = reader.line_num + 1


def detect_encoding(source: TableFile) -> str:
    """UTF-8 (BOM or not), UTF-16 with its BOM, else Windows-1252; a file mixing UTF-8 and Windows-1252
    lines, or holding bytes of neither, is refused with its line."""
    with source.open() as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        else:
            encoding = "utf-8"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        first_utf8 = first_other = None
        for line_number, line in enumerate(handle, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                first_utf8 = first_utf8 or line_number
            except UnicodeDecodeError:
                first_other = first_other or line_number
                try:
                    line.decode("cp1252")
                except UnicodeDecodeError as error:
                    raise ImportRejected(source.name, [Problem(
                        Place(gettext_noop("line %(line)s"), line=line_number),
                        gettext_noop("byte %(byte)s is a character of neither UTF-8 nor Windows-1252: save the file "
                                     "again as CSV UTF-8"), byte=f"0x{line[error.start]:02X}")]) from None
            if first_utf8 and first_other:
                raise ImportRejected(source.name, [Problem(
                    Place(gettext_noop("line %(line)s"), line=first_other),
                    gettext_noop("the file mixes encodings: line %(utf8)s is UTF-8, line %(other)s is Windows-1252; "
                                 "save it again as CSV UTF-8"), utf8=first_utf8, other=first_other)])
    return "cp1252"


# -- XLSX -----------------------------------------------------------------------------------------


def _xlsx_rows(source: TableFile) -> Iterator[tuple[int, list[str]]]:
    """(sheet row, its cells as text) of the workbook's first sheet."""
    from openpyxl import load_workbook  # only the imports of workbooks need it

    try:
        handle = source.open()
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, KeyError) for one cause: not a readable workbook
        raise _refused(source, gettext_noop("the Excel workbook cannot be read: save it again as .xlsx")) from None
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            yield number, [cell_text(cell) for cell in cells]
    finally:
        workbook.close()
        handle.close()


def cell_text(cell) -> str:
    """A cell as the text the checks read: dates ISO, times HH:MM, numbers exact (a percentage cell, 0.2
    shown 20 %, gives 20), booleans yes/no."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (getattr(cell, "number_format", "") or ""):
            number *= 100
        text = format(number.normalize(), "f")
        return text
    return str(value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
