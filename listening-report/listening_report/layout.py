"""Read the tables target-turso wrote, whichever layout it used.

The target stores each top-level property of a record in a column, objects and
arrays as JSON text (`track`). With SDK schema flattening on, nested properties
become `track__album__name` columns instead, down to the flattening depth, and
whatever lies deeper stays JSON text. `column_expression` finds the deepest
column that holds a property and reads the rest of the path with `json_extract`,
so one definition of the plays covers every layout.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

FLATTEN_SEPARATOR = "__"

PLAYED_AT_FORMAT = "%Y-%m-%dT%H:%M:%fZ"
"""How every view spells an instant: UTC with milliseconds, so text order is time order."""

RECENTLY_PLAYED = "recently_played"
PLAYS_COLUMNS = (
    "played_at",
    "source",
    "track_key",
    "track_id",
    "track_name",
    "artists",
    "album_key",
    "album_name",
    "album_artists",
    "ms_played",
    "is_local",
)
"""The columns of the `plays` view: what every source of plays must provide."""
LISTENING_GAPS = "listening_gaps"


class LayoutError(Exception):
    """A table is missing or lacks the columns the report needs."""


def quote_identifier(name: str) -> str:
    """Quote an SQL identifier (table, view or column name)."""
    return '"' + name.replace('"', '""') + '"'


def table_columns(connection: t.Any, table: str) -> frozenset[str]:
    """Return the column names of `table`; empty when there is no such table."""
    rows = connection.execute("SELECT name FROM pragma_table_info(?)", (table,)).fetchall()
    return frozenset(row[0] for row in rows)


def normalized_instant(expression: str) -> str:
    """Return SQL turning an RFC 3339 date-time (any offset, any precision) into UTC text.

    upper() because RFC 3339 allows a lowercase `t` and `z`, which SQLite does not read.
    """
    return f"strftime('{PLAYED_AT_FORMAT}', upper({expression}))"


@dataclass(frozen=True)
class Table:
    """A table as stored by target-turso: its name and columns."""

    name: str
    columns: frozenset[str]

    def column_expression(self, path: str) -> str:
        """Return SQL reading the dotted property `path` (e.g. `track.album.name`).

        The value is NULL when no column holds the property.
        """
        parts = path.split(".")
        for depth in range(len(parts), 0, -1):
            column = FLATTEN_SEPARATOR.join(parts[:depth])
            if column in self.columns:
                if depth == len(parts):
                    return quote_identifier(column)
                # The JSON path is a constant of this module; views cannot bind parameters.
                json_path = "$." + ".".join(parts[depth:])
                return f"json_extract({quote_identifier(column)}, '{json_path}')"
        return "NULL"

    def holds(self, path: str) -> bool:
        """Tell whether some column holds the dotted property `path`."""
        return self.column_expression(path) != "NULL"


def read_table(connection: t.Any, name: str) -> Table | None:
    """Return the table `name`, or None when the database has no such table."""
    columns = table_columns(connection, name)
    return Table(name, columns) if columns else None


def recently_played_select(table: Table) -> str:
    """Return the SELECT turning `recently_played` rows into rows of the `plays` view.

    Minutes listened are an estimate: Spotify lists a play once it passed 30 s and
    says nothing of how long it lasted, so a play counts the track's full length.
    Tracks are keyed on their URI, which local files (whose `id` is null) have too.
    """
    missing = [path for path in ("played_at", "track.uri") if not table.holds(path)]
    if missing:
        msg = (
            f"Table {table.name!r} has no column for {', '.join(missing)}: "
            "is it the recently_played table written by target-turso? "
            "Check the table prefix setting."
        )
        raise LayoutError(msg)
    col = table.column_expression
    columns = {
        "played_at": normalized_instant(col("played_at")),
        "source": f"'{RECENTLY_PLAYED}'",
        "track_key": col("track.uri"),
        "track_id": col("track.id"),
        "track_name": col("track.name"),
        "artists": f"COALESCE({col('track.artists')}, '[]')",
        "album_key": f"COALESCE({col('track.album.uri')}, {col('track.album.name')})",
        "album_name": col("track.album.name"),
        "album_artists": f"COALESCE({col('track.album.artists')}, '[]')",
        "ms_played": f"COALESCE({col('track.duration_ms')}, 0)",
        "is_local": col("track.is_local"),
    }
    select = ",\n  ".join(f"{expression} AS {name}" for name, expression in columns.items())
    # A play whose time SQLite cannot read has no day, week or hour: it is left out.
    return (
        f"SELECT\n  {select}\nFROM {quote_identifier(table.name)}\n"
        f"WHERE {columns['played_at']} IS NOT NULL"
    )


def plays_select(connection: t.Any, table_prefix: str = "") -> str:
    """Return the SELECT of every play, one row per play, from the tables in the database.

    Each source of plays contributes a SELECT with the same columns; the `plays`
    view is their UNION ALL, and every other view builds on `plays`.
    """
    name = table_prefix + RECENTLY_PLAYED
    table = read_table(connection, name)
    if table is None:
        msg = (
            f"The database has no table {name!r}. Run the tap and target-turso first "
            "(meltano run tap-spotify-recent target-turso), or set the table prefix "
            "to the target's `table_prefix`."
        )
        raise LayoutError(msg)
    return recently_played_select(table)
