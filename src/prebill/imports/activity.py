"""Imports of time entries (timesheets) and unit metrics (payroll), all or nothing."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.bulk import insert_rows
from prebill.core.refusals import gettext_noop

from .problems import Checker, Place
from .references import References
from .tables import TableFile, read_table

TIME_COLUMNS = ("id", "date", "collaborator", "engagement", "hours")
TIME_OPTIONAL = ("part", "task", "billable", "activity", "domain", "approved", "comment")
METRIC_COLUMNS = ("client", "metric", "period", "quantity")
METRIC_OPTIONAL = ("engagement",)
TRUE_WORDS = {"yes": True, "true": True, "1": True, "oui": True, "no": False, "false": False, "0": False,
              "non": False, "": False, "vrai": True, "faux": False}  # VRAI/FAUX: a French Excel's booleans
BILLABLE_WORDS = {"oui": "yes", "non": "no", "à décider": "undecided", "a decider": "undecided"}  # a clerk's French
CHUNK = 5000
BILLABLE_VALUES = frozenset(TimeEntry.Billable.values)
MAX_HOURS = Decimal(24)
# The common forms, read without the checker's general paths (a million rows: each microsecond is a second).
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_PLAIN_HOURS = re.compile(r"\d{1,2}(\.\d{1,2})?\Z")

Where = Callable[[str], str]


def check_time_row(row: dict, where: Where, refs: References, checker: Checker) -> dict | None:
    """Check one time row against the known codes; return it as codes and typed values."""
    before = len(checker.problems)
    entry_id = str(row.get("id") or "").strip()
    if not entry_id or len(entry_id) > 64:
        checker.add(where("id"), gettext_noop("an entry id of 1 to 64 characters is required"))
    day = _iso_day(row.get("date")) or checker.date(row.get("date"), where("date"))
    collaborator = row.get("collaborator") or ""
    if collaborator not in refs.collaborators:
        checker.add(where("collaborator"), gettext_noop("unknown collaborator %(code)s"), code=repr(collaborator))
    engagement = row.get("engagement") or ""
    if engagement not in refs.engagements:
        checker.add(where("engagement"), gettext_noop("unknown engagement %(code)s"), code=repr(engagement))
    part = row.get("part") or ""
    if part and engagement in refs.engagements and (engagement, part) not in refs.parts:
        checker.add(where("part"), gettext_noop("engagement %(engagement)s has no part %(part)s"), engagement=engagement,
                    part=repr(part))
    task = row.get("task") or ""
    if task and engagement in refs.engagements and (engagement, task) not in refs.tasks:
        checker.add(where("task"), gettext_noop("engagement %(engagement)s has no task %(task)s"), engagement=engagement,
                    task=repr(task))
    written = row.get("hours")
    if isinstance(written, str) and _PLAIN_HOURS.match(written):
        hours = Decimal(written)
    else:
        hours = checker.decimal(written, where("hours"), places=2, what=gettext_noop("hours"))
    if written in (None, ""):
        checker.add(where("hours"), gettext_noop("hours are required"))
    elif hours is not None and not Decimal(0) < hours <= MAX_HOURS:
        checker.add(where("hours"), gettext_noop("hours must be more than 0 and at most 24, got %(hours)s"), hours=hours)
    billable = (row.get("billable") or "yes").lower()
    billable = BILLABLE_WORDS.get(billable, billable)
    if billable not in BILLABLE_VALUES:
        checker.add(where("billable"), gettext_noop("billable must be yes, no or undecided, got %(value)s"),
                    value=repr(billable))
    approved = row.get("approved", False)
    if not isinstance(approved, bool):
        if str(approved).lower() not in TRUE_WORDS:
            checker.add(where("approved"), gettext_noop("approved must be yes or no, got %(value)s"), value=repr(approved))
        approved = TRUE_WORDS.get(str(approved).lower(), False)
    if len(checker.problems) > before:
        return None
    return {
        "external_id": entry_id, "date": day, "collaborator": collaborator, "engagement": engagement,
        "part": part, "task": task, "hours": hours, "billable": billable,
        "activity": row.get("activity") or "", "domain": row.get("domain") or "",
        "approved": approved, "comment": row.get("comment") or "",
    }


def _iso_day(value: object) -> date | None:
    """A date written YYYY-MM-DD, else None (the checker then reads or refuses the other forms)."""
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def check_metric_row(row: dict, where: Where, refs: References, checker: Checker) -> dict | None:
    before = len(checker.problems)
    client = row.get("client") or ""
    if client not in refs.clients:
        checker.add(where("client"), gettext_noop("unknown client %(code)s"), code=repr(client))
    engagement = row.get("engagement") or ""
    if engagement:
        if engagement not in refs.engagements:
            checker.add(where("engagement"), gettext_noop("unknown engagement %(code)s"), code=repr(engagement))
        elif client in refs.clients and refs.engagement_clients.get(engagement) not in (None, client):
            checker.add(where("engagement"), gettext_noop("engagement %(engagement)s belongs to another client than %(client)s"),
                        engagement=engagement, client=client)
    metric = row.get("metric") or ""
    if not metric or len(metric) > 30:
        checker.add(where("metric"), gettext_noop("a metric code of 1 to 30 characters is required"))
    period = checker.month(row.get("period"), where("period"))
    if row.get("quantity") in (None, ""):
        checker.add(where("quantity"), gettext_noop("quantity is required"))
    quantity = checker.decimal(row.get("quantity"), where("quantity"), places=4, what=gettext_noop("quantity"))
    if len(checker.problems) > before:
        return None
    return {"client": client, "engagement": engagement, "metric_code": metric, "period": period, "quantity": quantity}


def check_duplicates(rows: list[tuple[str, dict]], key: Callable[[dict], tuple], why: str, checker: Checker) -> None:
    """`why` is the problem's msgid; its %(other)s is where the same key was seen first."""
    seen: dict[tuple, str] = {}
    for where, row in rows:
        k = key(row)
        if k in seen:
            checker.add(where, why, other=seen[k])
        else:
            seen[k] = where


TIME_FIELDS = ("collaborator_id", "engagement_id", "part_id", "task_id", "date", "hours", "billable", "activity",
               "domain", "approved", "comment")


def _time_values(row: dict, refs: References) -> tuple:
    """A checked row as the values of TIME_FIELDS."""
    engagement = row["engagement"]
    return (refs.collaborators[row["collaborator"]], refs.engagements[engagement],
            refs.parts[(engagement, row["part"])] if row["part"] else None,
            refs.tasks[(engagement, row["task"])] if row["task"] else None,
            row["date"], row["hours"], row["billable"], row["activity"], row["domain"], row["approved"], row["comment"])


def _stored_entries(external_ids: list[str]) -> dict[str, tuple]:
    """The stored entries of these ids: (id, *TIME_FIELDS) by external id, read in one plain query (the ORM's
    lookup preparation of thousands of parameters costs more than the query)."""
    if not external_ids:
        return {}
    quote = connection.ops.quote_name
    sql = "SELECT external_id, id, {} FROM {} WHERE external_id IN ({})".format(
        ", ".join(map(quote, [f"{name}" for name in TIME_FIELDS])), quote(TimeEntry._meta.db_table),
        ", ".join(["%s"] * len(external_ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, external_ids)
        rows = cursor.fetchall()
    if not rows:
        return {}
    # The database's own values as the model's Python types, to compare with the file's.
    converters = [TimeEntry._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
                  for name in TIME_FIELDS]
    return {external_id: (pk, *(field.to_python(value) if value is not None else None
                                for field, value in zip(converters, values, strict=True)))
            for external_id, pk, *values in rows}


def write_time_entries(rows: list[dict], refs: References) -> dict[str, int]:
    """Upsert time entries by external id; returns counts created / updated / unchanged."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        stored = _stored_entries([row["external_id"] for row in chunk])
        new, changed = [], []
        for row in chunk:
            values = _time_values(row, refs)
            entry = stored.get(row["external_id"])
            if entry is None:
                new.append((row["external_id"], *values))
            elif tuple(entry[1:]) != values:
                changed.append(TimeEntry(entry[0], row["external_id"], *values))
        # Timesheets bring hundreds of thousands of rows: COPY or plain executemany (prebill.bulk), not models.
        insert_rows(TimeEntry, ("external_id", *TIME_FIELDS), new)
        TimeEntry.objects.bulk_update(changed, list(TIME_FIELDS), batch_size=1000)
        counts["created"] += len(new)
        counts["updated"] += len(changed)
        counts["unchanged"] += len(chunk) - len(new) - len(changed)
    return counts


def write_unit_metrics(rows: list[dict], refs: References) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {
        (m.client_id, m.engagement_id, m.metric_code, m.period): m
        for m in UnitMetric.objects.filter(client_id__in={refs.clients[row["client"]] for row in rows})
    }
    new, changed = [], []
    for row in rows:
        key = (refs.clients[row["client"]], refs.engagements.get(row["engagement"]), row["metric_code"], row["period"])
        metric = existing.get(key)
        if metric is None:
            new.append(UnitMetric(client_id=key[0], engagement_id=key[1], metric_code=key[2], period=key[3],
                                  quantity=row["quantity"]))
        elif metric.quantity != row["quantity"]:
            metric.quantity = row["quantity"]
            changed.append(metric)
    UnitMetric.objects.bulk_create(new, batch_size=1000)
    UnitMetric.objects.bulk_update(changed, ["quantity"], batch_size=1000)
    counts.update(created=len(new), updated=len(changed), unchanged=len(rows) - len(new) - len(changed))
    return counts


def bring_drafts_in_step(refs: References, *, time_rows: Iterable[dict] = (), metric_rows: Iterable[dict] = ()) -> None:
    """Months already run show imported time and payroll quantities at once: their clients' facts are
    harvested again and their drafts follow, in the import's transaction."""
    from prebill.billing.services import bring_in_step  # billing builds on what imports write
    from prebill.engagements.models import Engagement

    engagements, clients, days = set(), set(), []
    for row in time_rows:
        engagements.add(refs.engagements[row["engagement"]])
        days.append(_day(row["date"]))
    for row in metric_rows:
        clients.add(refs.clients[row["client"]])
        days.append(_day(row["period"]))
    clients |= set(Engagement.objects.filter(pk__in=engagements).values_list("client_id", flat=True))
    if clients:
        bring_in_step(clients=clients, since=min(days))


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def checked_time_chunks(
    located: Iterable[tuple[Where, dict]], refs: References, checker: Checker
) -> Iterator[list[dict]]:
    """Checked time rows, a chunk at a time; problems (duplicates included) go to the checker.

    An entry already invoiced may change: what is owed changes, and the next run bills the difference
    (or shows the excess to credit); the invoice itself never changes.
    """
    from prebill.proforma.services import locked_time_entries  # the pro forma holds the lock

    locked = locked_time_entries()  # few: the time on pro formas waiting to be processed
    # Each id's line as a number, not as its Place (a million of those weigh 500 MB); a JSON path as it is.
    seen: dict[str, int | str] = {}
    chunk: list[tuple[Where, dict]] = []
    for where, row in located:
        value = check_time_row(row, where, refs, checker)
        if value is None:
            continue
        number = getattr(where, "number", None)
        if value["external_id"] in seen:
            here = where("id")
            other = seen[value["external_id"]]
            checker.add(here, gettext_noop("duplicate time entry id: also at %(other)s"),
                        other=here.elsewhere(other) if isinstance(here, Place) else other)
            continue
        seen[value["external_id"]] = number if number is not None else where("id")
        chunk.append((where, value))
        if len(chunk) >= CHUNK:
            _refuse_changes_to_locked(chunk, locked, refs, checker)
            yield [row for _, row in chunk]
            chunk = []
    if chunk:
        _refuse_changes_to_locked(chunk, locked, refs, checker)
        yield [row for _, row in chunk]


def _refuse_changes_to_locked(chunk: list[tuple[Where, dict]], locked: dict[str, str], refs: References,
                              checker: Checker) -> None:
    """A time entry on a pro forma (or on its pre-invoice) is locked: the same values pass, a change is refused."""
    mine = [row["external_id"] for _, row in chunk if row["external_id"] in locked]
    if not mine:
        return
    stored = _stored_entries(mine)
    for where, row in chunk:
        entry = stored.get(row["external_id"])
        if entry is not None and tuple(entry[1:]) != _time_values(row, refs):
            checker.add(where("id"), gettext_noop("time entry %(id)s cannot change: %(lock)s (process the pro forma "
                                                  "and validate its invoice first)"),
                        id=row["external_id"], lock=locked[row["external_id"]])


def check_time_rows(located: Iterable[tuple[Where, dict]], refs: References, checker: Checker) -> list[dict]:
    return [row for chunk in checked_time_chunks(located, refs, checker) for row in chunk]


def check_metric_rows(located: Iterable[tuple[Where, dict]], refs: References, checker: Checker) -> list[dict]:
    checked: list[tuple[str, dict]] = []
    for where, row in located:
        value = check_metric_row(row, where, refs, checker)
        if value is not None:
            checked.append((where("client"), value))
    check_duplicates(
        checked, lambda row: (row["client"], row["engagement"], row["metric_code"], row["period"]),
        gettext_noop("duplicate client, engagement, metric and period: also at %(other)s"), checker,
    )
    return [row for _, row in checked]


def import_time_csv(path: Path | TableFile) -> dict[str, int]:
    """Import a timesheet (CSV or XLSX, prebill.imports.tables); raises ImportRejected (nothing written) on any
    problem.

    Chunks are written as soon as they are checked, so memory stays flat on a million rows;
    the transaction is rolled back when any problem turns up, so the import stays all or nothing.
    """
    checker, source = Checker(), TableFile.of(path)
    refs = References.from_database()
    counts: Counter = Counter()
    touched: dict[str, dict] = {}  # one row per engagement and earliest date: what bring_drafts_in_step needs
    located = read_table(source, required=TIME_COLUMNS, optional=TIME_OPTIONAL, checker=checker)
    with transaction.atomic():
        for chunk in checked_time_chunks(located, refs, checker):
            if not checker.problems:
                counts.update(write_time_entries(chunk, refs))
                for row in chunk:
                    seen = touched.get(row["engagement"])
                    if seen is None or _day(row["date"]) < _day(seen["date"]):
                        touched[row["engagement"]] = row
        if checker.problems:
            raise checker.rejected(source.name)
        bring_drafts_in_step(refs, time_rows=touched.values())
    return {name: counts[name] for name in ("created", "updated", "unchanged")}


def import_metrics_csv(path: Path | TableFile) -> dict[str, int]:
    """Import payroll metrics (CSV or XLSX); raises ImportRejected (nothing written) on any problem."""
    checker, source = Checker(), TableFile.of(path)
    refs = References.from_database()
    located = read_table(source, required=METRIC_COLUMNS, optional=METRIC_OPTIONAL, checker=checker)
    rows = check_metric_rows(located, refs, checker)
    if checker.problems:
        raise checker.rejected(source.name)
    with transaction.atomic():
        counts = write_unit_metrics(rows, refs)
        bring_drafts_in_step(refs, metric_rows=rows)
        return counts
