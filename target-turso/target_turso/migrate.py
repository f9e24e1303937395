"""Bring date-times that earlier versions stored to the canonical UTC text.

Up to version 0.1.0 the target kept a date-time verbatim when SQLite could read it
(`…Z`, `+05:30`, no offset), so one instant could be stored under several texts.
When a stream's table already exists, its date-time columns are checked in the
transaction that prepares the table, and every stored text that is not canonical
is rewritten. Rows that then repeat a key (one instant stored under two spellings,
hence two rows) are merged: the row already in canonical form wins, else the one
inserted last. Texts no instant can be read from are left as they are.

Each (table, column) is checked once: the table `<table_prefix>_target_turso_migrations`
records the columns done, so a scheduled run does not read (and Turso does not bill)
a whole table per date-time column every time.
"""

from __future__ import annotations

import datetime
import typing as t
from dataclasses import dataclass, field

from libsql_access.schema import quote_identifier

from target_turso.connector import InsertPlan
from target_turso.datetimes import InvalidDateTimeError, canonical_date_time

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

_WHOLE_SECONDS = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"


def _canonical_sql(column: str) -> tuple[str, tuple[str, ...]]:
    """SQL telling whether a column's text has the canonical shape, and its parameters.

    `YYYY-MM-DDTHH:MM:SS+00:00`, or with a fraction of digits ending in 1-9.
    """
    c = quote_identifier(column)
    sql = f"({c} GLOB ? OR ({c} GLOB ? AND substr({c}, 21, length({c}) - 26) NOT GLOB ?))"
    return sql, (f"{_WHOLE_SECONDS}+00:00", f"{_WHOLE_SECONDS}.*[1-9]+00:00", "*[^0-9]*")


@dataclass
class DateTimeRewrite:
    """What the rewrite of a table's stored date-times changed."""

    rewritten: int = 0
    """Distinct texts rewritten to their canonical form."""
    merged: int = 0
    """Rows deleted because, rewritten, they repeated another row's key."""
    unreadable: dict[str, int] = field(default_factory=dict)
    """Column -> distinct texts no instant can be read from (left as they are)."""


MIGRATIONS = "_target_turso_migrations"
"""Table (after the table prefix) of the migrations done, by table and column."""
CANONICAL_DATE_TIMES = "canonical-date-times"


def _unchecked(db: Connection, marks: str, table: str, columns: t.Sequence[str]) -> list[str]:
    """The columns of `table` whose stored date-times were never checked."""
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {quote_identifier(marks)} (table_name TEXT NOT NULL, "
        "column_name TEXT NOT NULL, migration TEXT NOT NULL, done_at TEXT NOT NULL, "
        "PRIMARY KEY (table_name, column_name, migration))"
    )
    done = {
        row[0]
        for row in db.execute(
            f"SELECT column_name FROM {quote_identifier(marks)} "
            "WHERE table_name = ? AND migration = ?",
            (table, CANONICAL_DATE_TIMES),
        ).fetchall()
    }
    return [column for column in columns if column not in done]


def canonical_date_times(
    db: Connection,
    table: str,
    columns: t.Sequence[str],
    unique_keys: t.Sequence[t.Sequence[str]],
    marks: str,
) -> DateTimeRewrite:
    """Rewrite the stored non-canonical date-times of `columns`, merging rows that collide.

    Runs inside the caller's transaction. `unique_keys` are the table's primary key
    and unique indexes (column lists); `marks` is the migrations table, where the
    columns checked are recorded so that later runs skip them.
    """
    result = DateTimeRewrite()
    if not columns:
        return result
    columns = _unchecked(db, marks, table, columns)
    if not columns:
        return result
    for statement, parameters in InsertPlan(
        marks, ["table_name", "column_name", "migration", "done_at"], ["?", "?", "?", "?"]
    ).statements([(table, column, CANONICAL_DATE_TIMES, _now()) for column in columns]):
        db.execute(statement, parameters)
    pairs: dict[str, str] = {}
    for column in columns:
        canonical, parameters = _canonical_sql(column)
        found = db.execute(
            f"SELECT DISTINCT {quote_identifier(column)} FROM {quote_identifier(table)} "
            f"WHERE typeof({quote_identifier(column)}) = 'text' AND NOT {canonical}",
            parameters,
        ).fetchall()
        for (text,) in found:
            try:
                pairs[text] = canonical_date_time(text)
            except InvalidDateTimeError:
                result.unreadable[column] = result.unreadable.get(column, 0) + 1
    if not pairs:
        return result
    result.rewritten = len(pairs)
    mapping = f"{table}__date_times"
    db.execute(
        f"CREATE TABLE {quote_identifier(mapping)} (old TEXT PRIMARY KEY, new TEXT NOT NULL)"
    )
    for statement, parameters in InsertPlan(mapping, ["old", "new"], ["?", "?"]).statements(
        list(pairs.items())
    ):
        db.execute(statement, parameters)
    for key in unique_keys:
        result.merged += _merge_colliding_rows(db, table, key, columns, mapping)
    for column in columns:
        c = quote_identifier(column)
        db.execute(
            f"UPDATE {quote_identifier(table)} "
            f"SET {c} = (SELECT new FROM {quote_identifier(mapping)} WHERE old = {c}) "
            f"WHERE {c} IN (SELECT old FROM {quote_identifier(mapping)})"
        )
    db.execute(f"DROP TABLE {quote_identifier(mapping)}")
    return result


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _merge_colliding_rows(
    db: Connection, table: str, key: t.Sequence[str], columns: t.Sequence[str], mapping: str
) -> int:
    """Delete the rows that would repeat `key` once rewritten; return how many.

    Of each group of rows with one key after the rewrite, the row needing no
    rewrite is kept, else the most recently inserted (highest rowid).
    """
    rewritten = [name for name in key if name in columns]
    if not rewritten:
        return 0
    mapped = quote_identifier(mapping)
    quoted = {name: quote_identifier(name) for name in key}
    partition = ", ".join(
        f"coalesce((SELECT new FROM {mapped} WHERE old = {quoted[name]}), {quoted[name]})"
        if name in rewritten
        else quoted[name]
        for name in key
    )
    stale = " + ".join(f"({quoted[name]} IN (SELECT old FROM {mapped}))" for name in rewritten)
    not_null = " AND ".join(f"{quoted[name]} IS NOT NULL" for name in key)
    deleted = db.execute(
        f"DELETE FROM {quote_identifier(table)} WHERE rowid IN (SELECT rowid FROM ("
        f"SELECT rowid, row_number() OVER (PARTITION BY {partition} "
        f"ORDER BY {stale}, rowid DESC) AS n FROM {quote_identifier(table)} WHERE {not_null}"
        f") WHERE n > 1) RETURNING 1"
    ).fetchall()
    return len(deleted)
