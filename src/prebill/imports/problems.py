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


class Term(str):
    """A msgid given as a parameter of a problem (what="hourly rate"): translated with the problem's message."""


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
        params = {name: gettext(value) if isinstance(value, Term) else value for name, value in self.params.items()}
        return Refusal(self.message, **params).translated(gettext)

    def located(self, gettext) -> str:
        """Where and why, in the active language."""
        return gettext("%(where)s: %(why)s") % {"where": self.where, "why": self.translated(gettext)}


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
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

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
        if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}$", value) or not 1 <= int(value[5:]) <= 12:
            self.add(where, gettext_noop("period must be written YYYY-MM, got %(value)s"), value=repr(value))
            return None
        return date(int(value[:4]), int(value[5:]), 1)

    def rejected(self, source: str) -> ImportRejected:
        return ImportRejected(source, self.problems)


def json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
