"""SQL for the target: table DDL and evolution, upserts, and transactions.

Every identifier is quoted with `quote_identifier()`; every value is a bound parameter.
Each unit of work runs in one transaction that is retried, from a fresh
connection, when the failure is transient (server restarted, connection reset,
5xx, expired Hrana stream): `libsql_access.retry`.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import typing as t
from dataclasses import dataclass, field

from libsql_access import connection as conn_mod
from libsql_access.retry import RetryPolicy
from libsql_access.schema import quote_identifier, table_columns

from target_turso.sqltypes import UNTYPED, affinity

if t.TYPE_CHECKING:
    import logging

    from libsql_access.dbapi import Connection, Cursor, Parameters

T = t.TypeVar("T")


class DatabaseWriteError(Exception):
    """A unit of work failed (after any retries) and was rolled back."""


@dataclass
class TableShape:
    """What the database says about a table: columns in order and the primary key."""

    columns: dict[str, str] = field(default_factory=dict)
    """Column name -> declared type, in table order."""
    primary_key: list[str] = field(default_factory=list)
    unique_keys: list[list[str]] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        """Whether the table exists (SQLite tables have at least one column)."""
        return bool(self.columns)

    def has_unique(self, names: t.Sequence[str]) -> bool:
        """Whether `ON CONFLICT (names)` has a matching PRIMARY KEY or UNIQUE index."""
        wanted = sorted(names)
        return sorted(self.primary_key) == wanted or any(
            sorted(key) == wanted for key in self.unique_keys
        )


def read_shape(db: Connection, table: str) -> TableShape:
    """Read a table's columns, primary key and unique indexes (empty if no table)."""
    columns = table_columns(db, table)
    shape = TableShape(
        columns={column.name: column.declared_type for column in columns},
        primary_key=[
            column.name
            for column in sorted(columns, key=lambda column: column.primary_key)
            if column.primary_key
        ],
    )
    for (index,) in db.execute(
        'SELECT name FROM pragma_index_list(?) WHERE "unique" = 1', (table,)
    ).fetchall():
        rows = db.execute("SELECT name FROM pragma_index_info(?)", (index,)).fetchall()
        shape.unique_keys.append([row[0] for row in rows])
    return shape


def create_table(
    db: Connection, table: str, columns: dict[str, str], primary_key: t.Sequence[str]
) -> None:
    """CREATE TABLE with the given columns (name -> declared type) and primary key."""
    parts = [f"{quote_identifier(name)} {declared}".rstrip() for name, declared in columns.items()]
    if primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(quote_identifier(name) for name in primary_key)})")
    db.execute(f"CREATE TABLE IF NOT EXISTS {quote_identifier(table)} ({', '.join(parts)})")


def add_columns(db: Connection, table: str, columns: dict[str, str]) -> None:
    """ALTER TABLE ADD COLUMN for each new column (existing rows read NULL)."""
    quoted = quote_identifier(table)
    for name, declared in columns.items():
        db.execute(f"ALTER TABLE {quoted} ADD COLUMN {quote_identifier(name)} {declared}".rstrip())


class RepeatedKeyError(DatabaseWriteError):
    """A merge key cannot get its UNIQUE index: rows of the table repeat key values."""


def ensure_unique(db: Connection, table: str, key: t.Sequence[str]) -> None:
    """Add a UNIQUE index on `key` so an existing table accepts `ON CONFLICT (key)`.

    Raises:
        RepeatedKeyError: rows already repeat key values (left by `append-only`).
    """
    quoted = quote_identifier(table)
    listed = ", ".join(quote_identifier(name) for name in key)
    not_null = " AND ".join(f"{quote_identifier(name)} IS NOT NULL" for name in key)
    (repeated,) = db.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {quoted} WHERE {not_null} "
        f"GROUP BY {listed} HAVING count(*) > 1)"
    ).fetchone()
    if repeated:
        values = "key value" if repeated == 1 else "key values"
        msg = (
            f"Table {table!r} holds {repeated} {values} ({', '.join(key)}) in more than one "
            "row (left by load_method `append-only`), so `upsert` cannot build the "
            "UNIQUE index it merges on. Keep one row per key, e.g. DELETE FROM "
            f"{quoted} WHERE rowid NOT IN (SELECT max(rowid) FROM {quoted} "
            f"GROUP BY {listed}), or load this stream with `append-only`."
        )
        raise RepeatedKeyError(msg)
    digest = hashlib.sha256("\x00".join([table, *key]).encode()).hexdigest()[:8]
    db.execute(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {quote_identifier(f'{table}__key_{digest}')} "
        f"ON {quoted} ({listed})"
    )


def widen_columns(db: Connection, table: str, names: t.Collection[str]) -> None:
    """Redeclare columns without type affinity, keeping rows, key, indexes and triggers.

    SQLite cannot change a column's type in place; this is its documented table
    rebuild (create, copy, drop, rename), inside the caller's transaction. Views
    are dropped and recreated around it: renaming a table re-checks every view,
    and one naming the table would fail while the table is briefly absent
    (sqld does not allow `PRAGMA legacy_alter_table`, which would skip that check).
    """
    shape = read_shape(db, table)
    if all(affinity(shape.columns.get(name, UNTYPED)) == UNTYPED for name in names):
        return
    views = db.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'view' ORDER BY rowid"
    ).fetchall()
    dependents = db.execute(
        "SELECT sql FROM sqlite_schema WHERE type IN ('index', 'trigger') AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY rowid",
        (table,),
    ).fetchall()
    for name, _ in views:
        db.execute(f"DROP VIEW {quote_identifier(name)}")
    columns = {
        name: UNTYPED if name in names else declared for name, declared in shape.columns.items()
    }
    scratch = f"{table}__widening"
    create_table(db, scratch, columns, shape.primary_key)
    listed = ", ".join(quote_identifier(name) for name in columns)
    quoted, quoted_scratch = quote_identifier(table), quote_identifier(scratch)
    db.execute(f"INSERT INTO {quoted_scratch} ({listed}) SELECT {listed} FROM {quoted}")
    db.execute(f"DROP TABLE {quoted}")
    db.execute(f"ALTER TABLE {quoted_scratch} RENAME TO {quoted}")
    for (sql,) in dependents:
        db.execute(sql)
    for _, sql in views:
        db.execute(sql)


def retire_older_versions(
    db: Connection,
    table: str,
    version_column: str,
    version: int,
    mark_deleted: tuple[str, str] | None,
) -> int:
    """Retire rows of table versions before `version` (or none); return how many.

    `mark_deleted` is (column, timestamp): rows not yet marked get the timestamp;
    without it the rows are deleted.
    """
    column = quote_identifier(version_column)
    older = f"({column} IS NULL OR {column} < CAST(? AS INTEGER))"
    if mark_deleted is None:
        db.execute(f"DELETE FROM {quote_identifier(table)} WHERE {older}", (str(version),))
    else:
        deleted_at, now = quote_identifier(mark_deleted[0]), mark_deleted[1]
        db.execute(
            f"UPDATE {quote_identifier(table)} SET {deleted_at} = ? "
            f"WHERE {older} AND {deleted_at} IS NULL",
            (now, str(version)),
        )
    return db.execute("SELECT changes()").fetchone()[0]


@dataclass
class InsertPlan:
    """A multi-row INSERT (or upsert) for fixed columns, split into statements.

    `placeholders` holds one SQL expression per column (`?` or the two-parameter
    expression of untyped columns); rows are flat parameter sequences.
    """

    table: str
    columns: list[str]
    placeholders: list[str]
    conflict_key: list[str] | None = None
    rows_per_statement: int = 500
    max_parameters: int = 30000

    def __post_init__(self) -> None:
        self.parameters_per_row = sum(p.count("?") for p in self.placeholders)
        self.chunk = max(
            1,
            min(self.rows_per_statement, self.max_parameters // max(1, self.parameters_per_row)),
        )
        self._row_sql = f"({', '.join(self.placeholders)})"
        listed = ", ".join(quote_identifier(c) for c in self.columns)
        self._head = f"INSERT INTO {quote_identifier(self.table)} ({listed}) VALUES "
        self._tail = ""
        if self.conflict_key:
            updates = [c for c in self.columns if c not in self.conflict_key]
            target = ", ".join(quote_identifier(c) for c in self.conflict_key)
            if updates:
                sets = ", ".join(
                    f"{quote_identifier(c)} = excluded.{quote_identifier(c)}" for c in updates
                )
                self._tail = f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
            else:
                self._tail = f" ON CONFLICT ({target}) DO NOTHING"
        self._full_sql = self.sql(self.chunk)

    def sql(self, rows: int) -> str:
        """The statement text for `rows` rows."""
        return self._head + ", ".join(itertools.repeat(self._row_sql, rows)) + self._tail

    def statements(self, rows: t.Sequence[t.Sequence[t.Any]]) -> t.Iterator[tuple[str, tuple]]:
        """Yield (sql, parameters) per chunk; parameters are one flat tuple."""
        flatten = itertools.chain.from_iterable
        for start in range(0, len(rows), self.chunk):
            chunk = rows[start : start + self.chunk]
            sql = self._full_sql if len(chunk) == self.chunk else self.sql(len(chunk))
            yield sql, tuple(flatten(chunk))


class TursoConnector:
    """One libSQL connection for the whole run, and transactions with bounded retries."""

    retry = RetryPolicy(attempts=5, first_delay_s=0.25)
    """Transient errors: 5 tries in all, the whole transaction each time, 0.25 s doubling."""

    def __init__(
        self, database_url: str | None, auth_token: str | None, logger: logging.Logger
    ) -> None:
        self.database_url = database_url or conn_mod.DEFAULT_DATABASE_URL
        self._auth_token = auth_token
        self.logger = logger
        self._db: Connection | None = None
        self.round_trips = 0
        """Statements sent (each is one HTTP round trip to a remote server)."""

    @property
    def over_http(self) -> bool:
        """Whether the database is a server (sqld, Turso) rather than a local file."""
        return conn_mod.is_remote(self.database_url)

    @property
    def where(self) -> str:
        """The database, fit for messages."""
        return conn_mod.redact_url(self.database_url)

    def _connection(self) -> Connection:
        if self._db is None:
            self._db = conn_mod.connect(self.database_url, self._auth_token)
        return self._db

    def _drop_connection(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(ValueError):  # already broken: why we drop it
                db.close()

    def object_names(self) -> list[str]:
        """Names of the database's tables and views."""
        return self.transaction(
            lambda db: [
                row[0]
                for row in self.execute(
                    db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                ).fetchall()
            ],
            "the list of tables",
            writes=False,
        )

    def execute(self, db: Connection, sql: str, parameters: Parameters = ()) -> Cursor:
        """Run one statement, counting round trips."""
        self.round_trips += 1
        return db.execute(sql, parameters)

    def transaction(
        self, work: t.Callable[[Connection], T], what: str, *, writes: bool = True
    ) -> T:
        """Run `work(db)` in one transaction; retry transient failures from scratch.

        A writing transaction takes the write lock up front (`BEGIN IMMEDIATE`):
        work that reads and then writes would otherwise fail with SQLITE_BUSY when
        another connection (Meltano's state lock heartbeat) commits in between.

        Raises:
            DatabaseConnectionError: the database cannot be opened (bad token,
                unreachable after retries, missing folder).
            DatabaseWriteError: the work failed; it was rolled back.
        """
        attempts = 0

        def once() -> T:
            nonlocal attempts
            attempts += 1
            db = self._connection()
            try:
                self.execute(db, "BEGIN IMMEDIATE" if writes else "BEGIN")
                result = work(db)
                db.commit()
            except (DatabaseWriteError, ValueError):
                self._rollback()
                raise
            self.round_trips += 1
            return result

        try:
            return self.retry.run(
                once,
                on_retry=lambda error, attempt, pause: self._retry_later(
                    error, what, attempt, pause
                ),
            )
        except ValueError as error:
            detail = conn_mod.describe_error(error, self.database_url, self._auth_token)
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            msg = f"Could not write {what}{tries}; it was rolled back. {detail}"
            raise DatabaseWriteError(msg) from None

    def _rollback(self) -> None:
        if self._db is None:
            return
        try:
            self._db.rollback()
        except ValueError:
            self._drop_connection()

    def _retry_later(self, error: Exception, what: str, attempt: int, delay: float) -> None:
        detail = (
            str(error)
            if isinstance(error, conn_mod.DatabaseConnectionError)
            else conn_mod.describe_error(error, self.database_url, self._auth_token)
        )
        self.logger.warning(
            "Transient error writing %s (attempt %d of %d): %s Retrying in %.2f s.",
            what,
            attempt,
            self.retry.attempts,
            detail,
            delay,
        )
        self._drop_connection()

    def close(self) -> None:
        """Close the connection (a later transaction reopens it)."""
        self._drop_connection()
