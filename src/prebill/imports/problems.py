"""Problems found in an imported file: where (JSON path or line and column) and why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from prebill.core.money import MoneyError, to_decimal
from prebill.core.refusals import Refusal, gettext_noop

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Problem:
    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


class ImportRejected(Refusal):
    """The file has problems, each located in `problems`; nothing was written."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(gettext_noop("%(source)s: %(count)s problem(s); nothing was imported."), where=source,
                         source=source, count=len(problems))



class Checker:
    """Collects problems while reading values; each read returns None when the value is bad."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, why: str) -> None:
        self.problems.append(Problem(where, why))

    def decimal(
        self, value: object, where: str, *, places: int = 2, minimum: Decimal | None = Decimal(0),
        maximum: Decimal | None = None, what: str = "value",
    ) -> Decimal | None:
        if value is None or value == "":
            return None
        try:
            number = to_decimal(value, what=what)
        except MoneyError as error:
            self.add(where, str(error))
            return None
        if number.as_tuple().exponent < -places:
            self.add(where, f"{what} {value} has more than {places} decimals")
            return None
        if minimum is not None and number < minimum:
            self.add(where, f"{what} {value} is negative" if minimum == 0 else f"{what} {value} is below {minimum}")
            return None
        if maximum is not None and number > maximum:
            self.add(where, f"{what} {value} is above {maximum}")
            return None
        return number

    def date(self, value: object, where: str, *, what: str = "date") -> date | None:
        if not isinstance(value, str) or not _DATE.match(value):
            self.add(where, f"{what} must be written YYYY-MM-DD, got {value!r}")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add(where, f"{what} {value} is not a date of the calendar")
            return None

    def month(self, value: object, where: str) -> date | None:
        if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}$", value) or not 1 <= int(value[5:]) <= 12:
            self.add(where, f"period must be written YYYY-MM, got {value!r}")
            return None
        return date(int(value[:4]), int(value[5:]), 1)

    def rejected(self, source: str) -> ImportRejected:
        return ImportRejected(source, self.problems)


def json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
