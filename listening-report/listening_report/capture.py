"""Which rows of the target's tables changed since the last refresh: triggers log their keys.

For each table of plays the report reads (`recently_played`, `streaming_history`), three
triggers write the key of every row inserted, deleted or changed (in a column the report
reads) to `report_changes`, in the same transaction as the write. A refresh reads only
those keys, whatever wrote them: a sync, a late play behind the bookmark, a re-import, an
`overwrite` load (a DELETE of every row, which triggers make SQLite run row by row), or
an ACTIVATE_VERSION clean-up. Rewriting a row unchanged (the tap sends the last 50 plays
again each run) logs nothing.

A table created or rebuilt without them (a first import, a table dropped and created
again) is noticed by `missing`: the next refresh rebuilds the report's tables and puts
the triggers back.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from libsql_access.schema import quote_identifier

from listening_report.source_tables import (
    EXPORT_KEY,
    EXPORT_PATHS,
    LIVE_KEY,
    LIVE_PATHS,
    Table,
)
from listening_report.tables import TableNames

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

EVENTS = ("insert", "update", "delete")
LIVE, EXPORT = "live", "export"


@dataclass(frozen=True)
class Captured:
    """A table of plays whose changes are logged under `source` (`live` or `export`)."""

    source: str
    table: Table

    @property
    def key(self) -> str:
        """The quoted column of the row's key, as `report_changes.id` holds it.

        Keys are top-level properties: a column in every layout.
        """
        return quote_identifier(LIVE_KEY if self.source == LIVE else EXPORT_KEY)

    def changed(self, names: TableNames) -> str:
        """SQL telling whether a row of the table changed since the last refresh."""
        changes = names.name("report_changes")
        return f"{self.key} IN (SELECT id FROM {changes} WHERE source = '{self.source}')"

    def read_columns(self) -> list[str]:
        """The table's columns the report reads (sorted)."""
        paths = LIVE_PATHS if self.source == LIVE else EXPORT_PATHS
        return sorted({column for path in paths if (column := self.table.column_of(path))})


def trigger_name(names: TableNames, source: str, event: str) -> str:
    """The unquoted name of the trigger logging `event` on the `source` table."""
    return f"{names.prefix}report_capture_{source}_{event}"


def missing(connection: Connection, names: TableNames, captured: list[Captured]) -> bool:
    """Tell whether any table of plays lacks one of its triggers."""
    wanted = {
        (trigger_name(names, c.source, event), c.table.name) for c in captured for event in EVENTS
    }
    if not wanted:
        return False
    marks = ", ".join("?" for _ in wanted)
    found = connection.execute(
        f"SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        tuple(name for name, _ in wanted),
    ).fetchall()
    return {(name, table) for name, table in found} != wanted


def drop_statements(names: TableNames) -> list[str]:
    """SQL dropping every trigger of the report (for both tables of plays)."""
    return [
        f"DROP TRIGGER IF EXISTS {quote_identifier(trigger_name(names, source, event))}"
        for source in (LIVE, EXPORT)
        for event in EVENTS
    ]


def create_statements(names: TableNames, captured: Captured) -> list[str]:
    """SQL creating the three triggers that log the changes of `captured`'s table."""
    table = quote_identifier(captured.table.name)
    changes = names.name("report_changes")

    def log(row: str) -> str:
        # Not INSERT OR IGNORE: a statement's own conflict clause overrides its triggers'
        # (SQLite), so under the target's upsert a key logged already failed the write.
        # A NULL key is skipped.
        key = f"{row}.{captured.key}"
        return (
            f"INSERT INTO {changes} (source, id) SELECT '{captured.source}', {key} "
            f"WHERE {key} IS NOT NULL ON CONFLICT DO NOTHING;"
        )

    changed = " OR ".join(
        f"OLD.{quote_identifier(column)} IS NOT NEW.{quote_identifier(column)}"
        for column in captured.read_columns()
    )
    name = {
        event: quote_identifier(trigger_name(names, captured.source, event)) for event in EVENTS
    }
    return [
        f"CREATE TRIGGER {name['insert']} AFTER INSERT ON {table}\nBEGIN {log('NEW')} END",
        f"CREATE TRIGGER {name['delete']} AFTER DELETE ON {table}\nBEGIN {log('OLD')} END",
        f"CREATE TRIGGER {name['update']} AFTER UPDATE ON {table}\nWHEN {changed}\n"
        f"BEGIN {log('OLD')} {log('NEW')} END",
    ]
