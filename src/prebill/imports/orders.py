"""Customer orders and delivery notes in the portfolio format: checked with their JSON paths, then upserted.

A document is identified by its client and number. Re-importing it unchanged changes nothing; changing
its lines is refused once it has been billed against (an order line with allocations, a delivered line
already billed), because the remainders and invoices depend on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from prebill.core.money import round_money
from prebill.core.refusals import gettext_noop
from prebill.orders.models import CustomerOrder, DeliveryNote, DeliveryNoteLine, OrderLine

from .problems import Checker, Problem
from .references import References

Located = Iterable[tuple[str, dict]]  # (JSON path of the row, row)


def check_documents(located: Located, refs: References, checker: Checker, *, delivery: bool) -> list[dict]:
    """Typed documents, codes resolved to ids when the database knows them (the file's own codes: None)."""
    checked, seen = [], {}
    for path, row in located:
        key = (row["client"], row["number"])
        if key in seen:
            checker.add(f"{path}.number", gettext_noop("duplicate document %(number)s of client %(client)s: also at %(other)s"),
                        number=repr(row["number"]), client=row["client"], other=seen[key])
            continue
        seen[key] = path
        if row["client"] not in refs.clients:
            checker.add(f"{path}.client", gettext_noop("unknown client %(code)s"), code=repr(row["client"]))
        engagement = row.get("engagement") or ""
        if engagement and engagement not in refs.engagements:
            checker.add(f"{path}.engagement", gettext_noop("unknown engagement %(code)s"), code=repr(engagement))
        elif engagement and refs.engagement_clients.get(engagement, row["client"]) != row["client"]:
            checker.add(f"{path}.engagement", gettext_noop("engagement %(engagement)s is not one of client %(client)s"),
                        engagement=engagement, client=row["client"])
        if delivery and not engagement:
            checker.add(f"{path}.engagement", gettext_noop("a delivery note names the engagement it was delivered for"))
        day = checker.date(row["date"], f"{path}.date")
        lines = []
        for i, line in enumerate(row["lines"]):
            where = f"{path}.lines[{i}]"
            if line["article"] not in refs.articles:
                checker.add(f"{where}.article", gettext_noop("unknown article %(code)s"), code=repr(line["article"]))
            quantity = checker.decimal(line["quantity"], f"{where}.quantity", places=4, minimum=Decimal("0.0001"),
                                       what=gettext_noop("quantity"))
            price = checker.decimal(line["unit_price"], f"{where}.unit_price", places=4, what=gettext_noop("unit price"))
            lines.append({"article": line["article"], "designation": line.get("designation", "")[:500],
                          "quantity": quantity, "unit_price": price})
        checked.append({"path": path, "client": row["client"], "engagement": engagement, "number": row["number"],
                        "date": day, "lines": lines})
    return checked


def _lines_of(document) -> list[tuple]:
    return [(line.article_id, line.designation, line.quantity, line.unit_price) for line in document.lines.all()]


def _wanted(row: dict, refs: References) -> list[tuple]:
    return [(refs.articles[line["article"]], line["designation"] or "", line["quantity"], line["unit_price"])
            for line in row["lines"]]


def refuse_billed_changes(rows: list[dict], refs: References, checker: Checker, *, delivery: bool) -> None:
    """A document already billed against keeps its lines: a changed re-import is refused, where it is."""
    model = DeliveryNote if delivery else CustomerOrder
    billed = Q(lines__manual_element__isnull=False) if delivery else Q(lines__allocations__isnull=False)
    keys = [(refs.clients.get(row["client"]), row["number"]) for row in rows]
    clients = {client for client, _ in keys if client}
    existing = {(d.client_id, d.number): d for d in model.objects.filter(
        billed, client_id__in=clients, number__in=[n for _, n in keys]).distinct().prefetch_related("lines")}
    for row, key in zip(rows, keys, strict=True):
        document = existing.get(key)
        if document is not None and _lines_of(document) != _wanted(row, refs):
            checker.add(f"{row['path']}.lines", gettext_noop("%(number)s has been billed against: its lines cannot change"),
                        number=row["number"])


def write_documents(rows: list[dict], refs: References, *, delivery: bool) -> dict[str, int]:
    """Upsert by client and number; lines are replaced when they differ (never on a billed document)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    model = DeliveryNote if delivery else CustomerOrder
    for row in rows:
        client_id, engagement_id = refs.clients[row["client"]], refs.engagements.get(row["engagement"])
        document = model.objects.filter(client_id=client_id, number=row["number"]).first()
        header = {"engagement_id": engagement_id, "date": row["date"]}
        if document is None:
            document = model.objects.create(client_id=client_id, number=row["number"], **header)
            counts["created"] += 1
        elif (document.engagement_id, document.date) == (engagement_id, row["date"]) and \
                _lines_of(document) == _wanted(row, refs):
            counts["unchanged"] += 1
            continue
        else:
            model.objects.filter(pk=document.pk).update(**header)
            document.lines.all().delete()
            counts["updated"] += 1
        for position, line in enumerate(row["lines"], start=1):
            values = {"position": position, "article_id": refs.articles[line["article"]],
                      "designation": line["designation"], "quantity": line["quantity"],
                      "unit_price": line["unit_price"]}
            if delivery:
                DeliveryNoteLine.objects.create(note=document, **values)
            else:
                amount = round_money(line["quantity"] * line["unit_price"])
                OrderLine.objects.create(order=document, amount=amount, remaining_quantity=line["quantity"],
                                         remaining_amount=amount, **values)
    return counts


def enter_document(row: dict, *, delivery: bool) -> list[Problem]:
    """Create or replace one order or delivery note typed by hand, with the same checks as the imports;
    returns the problems (nothing written when any)."""
    refs, checker = References.from_database(), Checker()
    rows = check_documents([("form", row)], refs, checker, delivery=delivery)
    if not checker.problems:
        refuse_billed_changes(rows, refs, checker, delivery=delivery)
    if checker.problems:
        return checker.problems
    with transaction.atomic():
        write_documents(rows, refs, delivery=delivery)
    return []
