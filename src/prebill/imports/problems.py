"""Problems found in an imported file: where (JSON path, line and column, field) and why.

A problem is a refusal located in the file (prebill.core.refusals.Refusal): its reason is an English msgid
marked with gettext_noop and its %(name)s parameters, kept untranslated in the problem and translated once
by the interface that shows it (`translated(gettext)`, `located(gettext)`): the import page and the API in
the request's language, the command line in the locale's. A parameter that is itself a word of the message
(the name of the value read: "hourly rate") is a `Term`, translated with the message.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from prebill.core.money import MoneyError, to_decimal
from prebill.core.refusals import Refusal, gettext_noop

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What spreadsheets write (prebill.imports.tables): "03/11/2026" or "3/11/26", "1 234,50" or "1234.50", "11/2026".
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_MIDNIGHT = re.compile(r"^(.+?)[ T]00:00(:00)?$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")
_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)")
_FRENCH_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+,\d+$")
_ENGLISH_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+\.\d+$")


class Term(str):
    """A msgid given as a parameter of a problem (what="hourly rate"): translated with the problem's message."""


class Place(str):
    """Where a problem is, as a msgid and its parameters ("line %(line)s, column %(column)s"): English as a
    string (the API's `loc`, the tests), translated by `Problem.located` for the pages and the command line."""

    message: str
    params: dict

    def __new__(cls, message: str, **params: object) -> Place:
        place = super().__new__(cls, message % params)
        place.message, place.params = message, params
        return place

    def translated(self, gettext) -> str:
        return gettext(self.message) % self.params

    @property
    def number(self) -> int:
        """Its line (of a text file) or row (of a sheet)."""
        return self.params["row"] if "row" in self.params else self.params["line"]

    def elsewhere(self, number: int) -> Place:
        """The same column on another line (or row): a place kept as its number only, a million rows long."""
        return Place(self.message, **{**self.params, "row" if "row" in self.params else "line": number})


def _translated_param(value: object, gettext) -> object:
    if isinstance(value, Place):
        return value.translated(gettext)
    return gettext(value) if isinstance(value, Term) else value


class Problem(Refusal):
    """One problem of a file: `where` it is, and why (`message` and `params`, as every refusal)."""

    def __init__(self, where: str, why: object, **params: object) -> None:
        super().__init__(why, where=where, **params)

    @classmethod
    def of(cls, where: str, refusal: Refusal) -> Problem:
        """A refusal met while checking (a MoneyError of the core, a service's EntryRefused) as the problem of `where`."""
        return cls(where, refusal.message, **refusal.params)

    @property
    def why(self) -> str:
        """The reason in English: the msgid with its parameters."""
        return Refusal.__str__(self)

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"

    def translated(self, gettext) -> str:
        """The reason in the active language (`gettext` is the interface's), its terms too."""
        params = {name: _translated_param(value, gettext) for name, value in self.params.items()}
        return Refusal(self.message, **params).translated(gettext)

    def located(self, gettext) -> str:
        """Where and why, in the active language."""
        return gettext("%(where)s: %(why)s") % {"where": _translated_param(self.where, gettext),
                                                 "why": self.translated(gettext)}


class ImportRejected(Refusal):
    """The file has problems, each located in `problems`; nothing was written."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(gettext_noop("%(source)s: %(count)s problem(s); nothing was imported."), where=source,
                         source=source, count=len(problems))


class Checker:
    """Collects problems while reading values; each read returns None when the value is bad.

    `what` names the value read in the problems: a msgid (gettext_noop("hourly rate")), translated with them.
    `spreadsheet`: the values come from a clerk's table (prebill.imports.tables sets it), where dates are also
    written DD/MM/YYYY, months MM/YYYY and numbers "1 234,50"; the JSON formats keep their one form.
    """

    def __init__(self, *, spreadsheet: bool = False) -> None:
        self.problems: list[Problem] = []
        self.spreadsheet = spreadsheet

    def add(self, where: str, why: str, **params: object) -> None:
        """A problem at `where`: `why` is a gettext_noop msgid, `params` fill its %(name)s placeholders."""
        self.problems.append(Problem(where, why, **params))

    def refused(self, where: str, refusal: Refusal) -> None:
        """A refusal of the core or of a service, met at `where`."""
        self.problems.append(Problem.of(where, refusal))

    def decimal(
        self, value: object, where: str, *, places: int = 2, minimum: Decimal | None = Decimal(0),
        maximum: Decimal | None = None, what: str = gettext_noop("value"),
    ) -> Decimal | None:
        if value is None or value == "":
            return None
        what = Term(what)
        if self.spreadsheet and isinstance(value, str):
            value = spreadsheet_number(value)
        try:
            number = to_decimal(value, what=what)
        except MoneyError as error:
            self.refused(where, error)
            return None
        if number.as_tuple().exponent < -places:
            self.add(where, gettext_noop("%(what)s %(value)s has more than %(places)s decimals"),
                     what=what, value=value, places=places)
            return None
        if minimum is not None and number < minimum:
            if minimum == 0:
                self.add(where, gettext_noop("%(what)s %(value)s is negative"), what=what, value=value)
            else:
                self.add(where, gettext_noop("%(what)s %(value)s is below %(minimum)s"), what=what, value=value,
                         minimum=minimum)
            return None
        if maximum is not None and number > maximum:
            self.add(where, gettext_noop("%(what)s %(value)s is above %(maximum)s"), what=what, value=value,
                     maximum=maximum)
            return None
        return number

    def date(self, value: object, where: str, *, what: str = gettext_noop("date")) -> date | None:
        if self.spreadsheet and isinstance(value, str):
            iso = spreadsheet_date(value)
            if not _DATE.match(iso):
                self.add(where, gettext_noop("%(what)s must be written DD/MM/YYYY (or YYYY-MM-DD), got %(value)s"),
                         what=Term(what), value=repr(value))
                return None
            try:
                return date.fromisoformat(iso)
            except ValueError:
                self.add(where, gettext_noop("%(what)s %(value)s is not a date of the calendar"), what=Term(what),
                         value=value)
                return None
        if not isinstance(value, str) or not _DATE.match(value):
            self.add(where, gettext_noop("%(what)s must be written YYYY-MM-DD, got %(value)s"), what=Term(what),
                     value=repr(value))
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add(where, gettext_noop("%(what)s %(value)s is not a date of the calendar"), what=Term(what),
                     value=value)
            return None

    def month(self, value: object, where: str) -> date | None:
        if self.spreadsheet and isinstance(value, str):
            month = spreadsheet_month(value)
            if not re.match(r"^\d{4}-\d{2}$", month) or not 1 <= int(month[5:]) <= 12:
                self.add(where, gettext_noop("period must be written MM/YYYY (or YYYY-MM), got %(value)s"),
                         value=repr(value))
                return None
            value = month
        if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}$", value) or not 1 <= int(value[5:]) <= 12:
            self.add(where, gettext_noop("period must be written YYYY-MM, got %(value)s"), value=repr(value))
            return None
        return date(int(value[:4]), int(value[5:]), 1)

    def rejected(self, source: str) -> ImportRejected:
        return ImportRejected(source, self.problems)


def spreadsheet_number(text: str) -> str:
    """A number as a spreadsheet writes it, in the form Decimal reads: "1 234,50" (spaces or non-breaking
    spaces between thousands), "1.234,50", "1,234.50", "1234.50", "20 %" or "84,50 €" become "1234.50"...;
    anything else is returned as it was, for the checks to refuse with the user's text."""
    number = _SPACES.sub("", text.strip()).removesuffix("%").removesuffix("€").strip()
    if _FRENCH_THOUSANDS.match(number):
        return number.replace(".", "").replace(",", ".")
    if _ENGLISH_THOUSANDS.match(number):
        return number.replace(",", "")
    return number  # one decimal comma: to_decimal reads it


def spreadsheet_date(text: str) -> str:
    """A date as a spreadsheet writes it ("03/11/2026", "3/11/26", "03/11/2026 00:00", "2026-11-03"), as
    YYYY-MM-DD; anything else is returned as it was. Two-digit years are of this century."""
    text = text.strip()
    midnight = _MIDNIGHT.match(text)
    if midnight:
        text = midnight.group(1)
    found = _DAY_MONTH_YEAR.match(text)
    if not found:
        return text
    day, month, year = found.groups()
    return f"{int(year) + (2000 if len(year) == 2 else 0):04d}-{int(month):02d}-{int(day):02d}"


def spreadsheet_month(text: str) -> str:
    """A month as a spreadsheet writes it ("11/2026", "2026-11", or the first day of the month, which is what
    Excel makes of "11/2026" typed in a cell), as YYYY-MM; anything else is returned as it was."""
    text = text.strip()
    found = _MONTH_YEAR.match(text)
    if found:
        return f"{found.group(2)}-{int(found.group(1)):02d}"
    day = spreadsheet_date(text)
    if _DATE.match(day) and day.endswith("-01"):
        return day[:7]
    return text


def json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
