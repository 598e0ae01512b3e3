"""Entering customer orders and delivery notes by hand: the same checks as the imports."""

from __future__ import annotations

from django.db import transaction

from prebill.imports.orders import check_documents, refuse_billed_changes, write_documents
from prebill.imports.problems import Checker, Problem
from prebill.imports.references import References


def enter_document(row: dict, *, delivery: bool) -> list[Problem]:
    """Create or replace one order or delivery note; returns the problems (nothing written when any)."""
    refs, checker = References.from_database(), Checker()
    rows = check_documents([("form", row)], refs, checker, delivery=delivery)
    if not checker.problems:
        refuse_billed_changes(rows, refs, checker, delivery=delivery)
    if checker.problems:
        return checker.problems
    with transaction.atomic():
        write_documents(rows, refs, delivery=delivery)
    return []
