"""Names in SQL, and what the database says about its tables and views.

Identifiers are quoted, a table's columns read, views compared with the SQL that makes them.

Values are always bound as parameters; names (tables, columns, views, triggers) cannot be,
so every name that goes into SQL text goes through `quote_identifier`.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Mapping

    from libsql_access.dbapi import Connection


def quote_identifier(name: str) -> str:
    """Quote an SQLite identifier (any text except NUL), doubling embedded quotes.

    Raises:
        ValueError: the name holds a NUL character, which no SQLite name can.
    """
    if "\x00" in name:
        msg = f"SQLite names cannot contain NUL characters: {name!r}"
        raise ValueError(msg)
    return '"' + name.replace('"', '""') + '"'


class Column(t.NamedTuple):
    """A column of a table, as `PRAGMA table_info` describes it."""

    name: str
    declared_type: str
    """The type in the table's definition (`INTEGER`, `TEXT`, ...); empty when untyped."""
    primary_key: int
    """The column's position in the primary key, from 1; 0 when not part of it."""


def table_columns(connection: Connection, table: str) -> list[Column]:
    """Return the columns of `table` in table order; empty when there is no such table."""
    rows = connection.execute(
        "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", (table,)
    ).fetchall()
    return [Column(name, declared, pk) for name, declared, pk in rows]


def _as_compared(sql: str | None) -> str | None:
    return None if sql is None else "".join(sql.split()).casefold()


def changed_views(connection: Connection, wanted: Mapping[str, str]) -> list[str]:
    """Return the views of `wanted` that are missing or were made by other SQL, in its order.

    `wanted` maps each view's name to its `CREATE VIEW` statement (write it without comments).
    White space and letter case do not count: sqld (Turso) stores a view's SQL as its parser
    renders it (its own spacing, keywords such as `KEY` in capitals, comments dropped), so
    comparing the text as written would find every view changed on every run.
    """
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    stored = dict(
        connection.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'view' AND name IN ({marks})",
            tuple(wanted),
        ).fetchall()
    )
    return [
        name for name, sql in wanted.items() if _as_compared(stored.get(name)) != _as_compared(sql)
    ]
