"""Reading CSV files from spreadsheets and time trackers: UTF-8 (BOM or not), comma or semicolon."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from prebill.core.refusals import gettext_noop

from .problems import Checker


def read_csv(
    path: Path, *, required: tuple[str, ...], optional: tuple[str, ...], checker: Checker
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) pairs; header problems are recorded and stop the reading."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        checker.add(str(path), gettext_noop("cannot open the file: %(reason)s"), reason=error.strerror)
        return
    with handle:
        try:
            header_line = handle.readline()
        except UnicodeDecodeError:
            checker.add("line 1", gettext_noop("the file is not UTF-8 text"))
            return
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        header = [name.strip().lower() for name in next(csv.reader([header_line], delimiter=delimiter), [])]
        missing = [name for name in required if name not in header]
        unknown = [name for name in header if name not in required + optional]
        if missing:
            checker.add("line 1", gettext_noop("missing column(s): %(columns)s"), columns=", ".join(missing))
        if unknown:
            checker.add("line 1", gettext_noop("unknown column(s): %(columns)s (expected %(expected)s)"),
                        columns=", ".join(unknown), expected=", ".join(required + optional))
        if missing or unknown:
            return
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for line_number, values in enumerate(reader, start=2):
                if not any(value.strip() for value in values):
                    continue
                if len(values) != len(header):
                    checker.add(f"line {line_number}", gettext_noop("%(count)s fields where the header has %(header)s"),
                                count=len(values), header=len(header))
                    continue
                yield line_number, {name: value.strip() for name, value in zip(header, values, strict=True)}
        except UnicodeDecodeError:
            checker.add(f"line {reader.line_num + 1}", gettext_noop("the file is not UTF-8 text"))
        except csv.Error as error:
            checker.add(f"line {reader.line_num}", gettext_noop("malformed CSV: %(reason)s"), reason=str(error))
