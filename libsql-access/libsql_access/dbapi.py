"""The part of the DB-API (PEP 249) the projects use, as typing Protocols.

`libsql_experimental` ships no type information; these Protocols say what `connect()`
returns, so a type checker sees every call on a connection. The client differs from the
DB-API, and from the standard library's sqlite3, in ways callers must know:

- Parameters are one tuple (a list is refused), and each `?` binds one element.
- `fetchall()` returns None, not an empty list, after a statement that returns no rows
  (DDL, INSERT). As in typeshed's sqlite3 stubs, rows and their values are typed `Any`:
  SQLite values are dynamically typed, and the caller knows the shape of its SELECT.
- `executescript` stops silently at a failing statement and returns None.
- Every error is a `ValueError`; its text tells what failed (see `libsql_access.connection`).
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Iterable

Parameters = tuple[t.Any, ...]
"""Values bound to a statement's `?` placeholders, in order (a tuple: the client refuses lists)."""

ColumnDescription = tuple[str, None, None, None, None, None, None]
"""A result column as the DB-API describes it: its name, then six fields the client leaves None."""


class Cursor(t.Protocol):
    """The result of `Connection.execute`."""

    @property
    def description(self) -> tuple[ColumnDescription, ...]:
        """One entry per result column; empty for a statement that returns no rows."""

    def fetchone(self) -> t.Any:
        """The next row as a tuple, or None when there is none."""

    def fetchall(self) -> list[t.Any]:
        """The remaining rows as tuples (None after a statement that returns no rows)."""


class Connection(t.Protocol):
    """An open libsql_experimental connection: a local file, or a server (sqld, Turso)."""

    def execute(self, sql: str, parameters: Parameters = (), /) -> Cursor:
        """Run one statement (over HTTP, one round trip)."""

    def executemany(self, sql: str, parameters: Iterable[Parameters], /) -> Cursor:
        """Run one statement per parameter tuple (over HTTP, one round trip each)."""

    def executescript(self, script: str, /) -> None:
        """Run `;`-separated statements (over HTTP, one round trip); stops at a failing one."""

    def commit(self) -> None:
        """Commit the open transaction, if any."""

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""

    def close(self) -> None:
        """Close the connection."""
