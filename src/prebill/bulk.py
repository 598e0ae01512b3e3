"""Bulk writes with plain SQL parameters, for the monthly run and imports of millions of rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

BATCH = 2000


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """INSERT rows (tuples in `columns` order) in batches of one executemany each."""
    return insert_into(model._meta.db_table, columns, rows)


def insert_into(table_name: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(table_name), ", ".join(map(quote, columns)), ", ".join(["%s"] * len(columns))
    )
    return _execute_many(sql, rows)


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert rows at disk speed: PostgreSQL's COPY, else INSERT batches (SQLite's executemany is as fast)."""
    if connection.vendor != "postgresql":
        return insert_rows(model, columns, rows)
    quote = connection.ops.quote_name
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """UPDATE by primary key; each row is the new values in `columns` order followed by the id."""
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE id = %s".format(
        quote(model._meta.db_table), ", ".join(f"{quote(c)} = %s" for c in columns)
    )
    return _execute_many(sql, rows)


def _execute_many(sql: str, rows: Iterable[Sequence]) -> int:
    count = 0
    batch: list[Sequence] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
