"""Named locks per concern, one lock order, and a bounded retry of whole transactions.

The lock order, everywhere (DESIGN.md section 8): the named lock of the concern first, then billable
items, then pre-invoices (drafts), then invoices, then series and journal counters. A service that
needs several takes them in that order, so two services never wait on each other in a cycle.

On PostgreSQL a named lock is a transaction-scoped advisory lock (`pg_advisory_xact_lock`), released
at COMMIT or ROLLBACK. SQLite runs every write transaction as BEGIN IMMEDIATE (config/database.py):
one writer at a time already, so a named lock is the database's own write lock there.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import time
from collections.abc import Callable
from datetime import date
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, OperationalError, connection, transaction

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 5


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name (advisory locks take a bigint)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def named_lock(name: str) -> None:
    """Hold the lock `name` until the current transaction ends. Must be called inside one."""
    if not connection.in_atomic_block:
        raise RuntimeError(f"the lock {name!r} is held by a transaction: call it inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])


def drafts_lock(period: date) -> None:
    """Whoever writes a month's drafts or bills their items: runs, rebuilds, validations."""
    named_lock(f"drafts:{period:%Y-%m}")


def journal_lock() -> None:
    """Whoever numbers journal entries."""
    named_lock("journal")


def is_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or SQLite's busy lock: retrying may succeed."""
    cause = getattr(error, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in ("40P01", "40001", "55P03"):
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def retrying(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` in its own transaction, again (up to ATTEMPTS times, with jitter) after a conflict.

    Only at the service boundary: inside an outer transaction the conflict is the outer one's to retry.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except DatabaseError as error:
                if attempt == ATTEMPTS or not is_conflict(error):
                    raise
                logger.warning("%s: conflict (%s), attempt %d of %d", func.__name__, error, attempt, ATTEMPTS)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    return wrapper
