"""Bulk import of rebillable costs: expenses, purchases and overtime CSV files, all or nothing.

Proofs are files and arrive through the web application or the API, never in a CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import time
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from prebill.core.refusals import gettext_noop
from prebill.core.vat import vat_rate_problem
from prebill.costs.models import Expense, Overtime, Purchase

from .problems import Checker
from .references import References
from .tables import TableFile, read_table

Where = Callable[[str], str]
# The débours flag's column, in English or in French (with or without its accent).
DISBURSEMENT_COLUMNS = ("disbursement", "debours", "débours")
COLUMNS = {
    "expenses": (("collaborator", "client", "date", "nature", "amount_excluding_vat", "amount_including_vat",
                  "vat_rate"), ("engagement", "rebillable", *DISBURSEMENT_COLUMNS)),
    "purchases": (("client", "date", "supplier", "amount_excluding_vat", "vat_rate"),
                  ("engagement", "reference", "rebillable", "markup_percent", "resale_price",
                   *DISBURSEMENT_COLUMNS)),
    "overtime": (("collaborator", "engagement", "date", "start", "end"), ("comment",)),
}


def _client_engagement(row: dict, where: Where, refs: References, checker: Checker, *, needed: bool = False):
    client = row.get("client", "")
    engagement = row.get("engagement", "")
    if "client" in row and client not in refs.clients:
        checker.add(where("client"), gettext_noop("unknown client %(code)s"), code=repr(client))
    if engagement and engagement not in refs.engagements:
        checker.add(where("engagement"), gettext_noop("unknown engagement %(code)s"), code=repr(engagement))
    elif engagement and client in refs.clients and refs.engagement_clients.get(engagement) not in (None, client):
        checker.add(where("engagement"), gettext_noop("engagement %(engagement)s belongs to another client than %(client)s"),
                    engagement=engagement, client=client)
    elif needed and not engagement:
        checker.add(where("engagement"), gettext_noop("an engagement is required"))
    return refs.clients.get(client), refs.engagements.get(engagement) if engagement else None


# Yes and no as clerks type them, and as Excel writes its booleans (VRAI/FAUX in French, TRUE/FALSE in English).
YES, NO = ("yes", "oui", "vrai", "true", "1", "x"), ("no", "non", "faux", "false", "0")


def _flag(row: dict, column: str, default: str, where: Where, checker: Checker) -> bool:
    value = (row.get(column) or default).strip().lower()
    if value not in YES + NO:
        checker.add(where(column), gettext_noop("%(column)s is yes or no, got %(value)s"), column=column,
                    value=repr(value))
    return value in YES


def _disbursement(row: dict, where: Where, checker: Checker) -> bool:
    """The débours flag (paid in the client's name), column `disbursement` or its French name `debours`; empty is
    no."""
    return _flag(row, next((name for name in DISBURSEMENT_COLUMNS if row.get(name)), "disbursement"), "no", where,
                 checker)


def _rate(row: dict, where: Where, checker: Checker) -> Decimal | None:
    rate = checker.decimal(row.get("vat_rate"), where("vat_rate"), what=gettext_noop("VAT rate"))
    if rate is not None and vat_rate_problem(rate):
        checker.add(where("vat_rate"), gettext_noop("VAT rate %(rate)s %% is out of range (0 to 100 excluded)"), rate=rate)
    return rate


def _time(value: str, where: str, checker: Checker) -> time | None:
    """A time of day as clerks type it: 9:00, 09:00, 9h00, 9h (and spreadsheets' 09:00:00)."""
    text = (value or "").strip().lower().replace("h", ":")
    text = text + "00" if text.endswith(":") else text
    try:
        hours, _, rest = text.partition(":")
        return time.fromisoformat(f"{int(hours):02d}:{rest}" if rest else "")
    except (TypeError, ValueError):
        checker.add(where, gettext_noop("a time is written HH:MM, got %(value)s"), value=repr(value))
        return None


def check_expense(row: dict, where: Where, refs: References, checker: Checker) -> Expense:
    client, engagement = _client_engagement(row, where, refs, checker)
    if row.get("collaborator", "") not in refs.collaborators:
        checker.add(where("collaborator"), gettext_noop("unknown collaborator %(code)s"), code=repr(row.get("collaborator")))
    excluding = checker.decimal(row.get("amount_excluding_vat"), where("amount_excluding_vat"), what=gettext_noop("amount"))
    including = checker.decimal(row.get("amount_including_vat"), where("amount_including_vat"), what=gettext_noop("amount"))
    if excluding is not None and including is not None and including < excluding:
        checker.add(where("amount_including_vat"), gettext_noop("the amount incl. VAT is below the amount excl. VAT"))
    if not row.get("nature"):
        checker.add(where("nature"), gettext_noop("say what the expense was for"))
    return Expense(collaborator_id=refs.collaborators.get(row.get("collaborator", "")), client_id=client,
                   engagement_id=engagement, date=checker.date(row.get("date"), where("date")),
                   nature=row.get("nature", "")[:100], amount_excluding_vat=excluding,
                   amount_including_vat=including, vat_rate=_rate(row, where, checker),
                   rebillable=_flag(row, "rebillable", "yes", where, checker), disbursement=_disbursement(row, where, checker))


def check_purchase(row: dict, where: Where, refs: References, checker: Checker) -> Purchase:
    client, engagement = _client_engagement(row, where, refs, checker)
    markup = checker.decimal(row.get("markup_percent"), where("markup_percent"), what=gettext_noop("markup"))
    resale = checker.decimal(row.get("resale_price"), where("resale_price"), what=gettext_noop("resale price"))
    if markup is not None and resale is not None:
        checker.add(where("resale_price"), gettext_noop("give a markup or a resale price, not both"))
    disbursement = _disbursement(row, where, checker)
    if disbursement and (markup is not None or resale is not None):
        checker.add(where("markup_percent" if markup is not None else "resale_price"), gettext_noop(
            "a cost paid in the client's name (débours) is re-billed at the exact amount paid: no markup nor resale "
            "price"))
    if not row.get("supplier"):
        checker.add(where("supplier"), gettext_noop("name the supplier"))
    return Purchase(client_id=client, engagement_id=engagement, date=checker.date(row.get("date"), where("date")),
                    supplier=row.get("supplier", "")[:100], reference=row.get("reference", "")[:100],
                    amount_excluding_vat=checker.decimal(row.get("amount_excluding_vat"),
                                                         where("amount_excluding_vat"), what=gettext_noop("amount")),
                    vat_rate=_rate(row, where, checker), rebillable=_flag(row, "rebillable", "yes", where, checker),
                    markup_percent=markup, resale_price=resale, disbursement=disbursement)


def check_overtime(row: dict, where: Where, refs: References, checker: Checker) -> Overtime:
    _, engagement = _client_engagement(row, where, refs, checker, needed=True)
    if row.get("collaborator", "") not in refs.collaborators:
        checker.add(where("collaborator"), gettext_noop("unknown collaborator %(code)s"), code=repr(row.get("collaborator")))
    start, end = _time(row.get("start"), where("start"), checker), _time(row.get("end"), where("end"), checker)
    if start is not None and start == end:
        checker.add(where("end"), gettext_noop("overtime starts and ends at different times"))
    return Overtime(collaborator_id=refs.collaborators.get(row.get("collaborator", "")), engagement_id=engagement,
                    date=checker.date(row.get("date"), where("date")), start=start, end=end,
                    comment=row.get("comment", "")[:200])


CHECKS = {"expenses": check_expense, "purchases": check_purchase, "overtime": check_overtime}


def check_costs(kind: str, located: Iterable[tuple[Where, dict]], refs: References, checker: Checker) -> list:
    return [CHECKS[kind](row, where, refs, checker) for where, row in located]


def write_costs(rows: list) -> int:
    if rows:
        type(rows[0]).objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def import_costs_csv(kind: str, path: Path | TableFile) -> dict[str, int]:
    """Import an expenses, purchases or overtime file (CSV or XLSX, prebill.imports.tables): every problem
    with its line and column, or all rows."""
    required, optional = COLUMNS[kind]
    checker, source = Checker(), TableFile.of(path)
    located = read_table(source, required=required, optional=optional, checker=checker)
    rows = check_costs(kind, located, References.from_database(), checker)
    if checker.problems:
        raise checker.rejected(source.name)
    with transaction.atomic():
        return {"created": write_costs(rows)}
