"""The target's tables the report reads, and the SELECT of plays each source gives.

`read_sources` reads which tables target-turso wrote (`recently_played`,
`streaming_history`, `listening_gaps`) and their columns, and builds each source's SELECT
of plays, merged by `merge.merged_select`, with the gaps and the bounds of all plays.

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

from libsql_access.schema import quote_identifier, table_columns

from listening_report.merge import MIN_MS_PLAYED, TOLERANCE_S, merged_select, normalized_name

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

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
GAP_COLUMNS = ("detected_at", "bookmark", "oldest_returned_played_at")
STREAMING_HISTORY = "streaming_history"
EARLIEST_PLAY = "2006-01-01T00:00:00.000Z"
"""Spotify was founded in 2006: a play dated earlier comes from a wrong clock or bad data."""
FUTURE_DAYS = 1
"""How far past the time of the query a play may be dated (clocks are off) before it is
impossible (a damaged export: year 9999)."""
MAX_MS_PLAYED = 24 * 3_600_000
"""A stream is one track, episode or chapter: an export row said to last longer is damaged
(and a huge one would overflow SQLite's integer sums)."""


class LayoutError(Exception):
    """A table is missing or lacks the columns the report needs."""


def possible_instant(instant: str) -> str:
    """Return an SQL condition: the UTC text `instant` is a time a play can have.

    False for NULL (a time SQLite cannot read: no day, week or hour).
    """
    latest = f"strftime('{PLAYED_AT_FORMAT}', 'now', '+{FUTURE_DAYS} day')"
    return f"{instant} >= '{EARLIEST_PLAY}' AND {instant} < {latest}"


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

    def column_of(self, path: str) -> str | None:
        """Return the name of the column that holds the dotted property `path`, if any."""
        parts = path.split(".")
        for depth in range(len(parts), 0, -1):
            column = FLATTEN_SEPARATOR.join(parts[:depth])
            if column in self.columns:
                return column
        return None


def read_table(connection: Connection, name: str) -> Table | None:
    """Return the table `name`, or None when the database has no such table."""
    columns = frozenset(column.name for column in table_columns(connection, name))
    return Table(name, columns) if columns else None


LIVE_KEY = "played_at"
LIVE_PATHS = (
    "played_at",
    "track.uri",
    "track.id",
    "track.name",
    "track.artists",
    "track.album.uri",
    "track.album.name",
    "track.album.artists",
    "track.duration_ms",
    "track.is_local",
)
"""The properties of a live play the report reads (its key first)."""


def recently_played_select(table: Table, where: str = "", *, plays_only: bool = True) -> str:
    """Return the SELECT turning `recently_played` rows into rows of the `plays` view.

    Minutes listened are an estimate: Spotify lists a play once it passed 30 s and
    says nothing of how long it lasted, so a play counts the track's full length.
    Tracks are keyed on their URI, which local files (whose `id` is null) have too.
    `id` (the stored `played_at`, the table's key) tells plays apart for the merge.
    A play whose time SQLite cannot read, or no play can have, is left out, unless
    `plays_only` is off: then every row SQLite can date comes, with `possible` saying
    whether a play can have its time (the report's copy keeps them all, see `refresh`).
    `where` restricts the rows (SQL on the table's columns).
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
        # The track's length estimates the play's; one past MAX_MS_PLAYED is damaged: 0.
        "ms_played": (
            f"CASE WHEN {col('track.duration_ms')} BETWEEN 0 AND {MAX_MS_PLAYED} "
            f"THEN {col('track.duration_ms')} ELSE 0 END"
        ),
        "is_local": col("track.is_local"),
        "id": col("played_at"),
    }
    possible = possible_instant(columns["played_at"])
    if plays_only:
        conditions = [possible]
    else:
        columns["possible"] = f"({possible})"
        conditions = [f"{columns['played_at']} IS NOT NULL"]
    if where:
        conditions.append(where)
    select = ",\n  ".join(f"{expression} AS {name}" for name, expression in columns.items())
    return (
        f"SELECT\n  {select}\nFROM {quote_identifier(table.name)}\nWHERE {' AND '.join(conditions)}"
    )


EXPORT_KEY = "play_id"
EXPORT_PATHS = (
    "play_id",
    "source_format",
    "ended_at",
    "ms_played",
    "track_name",
    "artist_name",
    "album_name",
    "spotify_track_uri",
    "kind",
)
"""The properties of an export row the report reads (its key first)."""


def streaming_history_select(table: Table, where: str = "", *, plays_only: bool = True) -> str:
    """Return the SELECT of the export's plays of music, as `merge.merged_select` reads them.

    A row is a play of music (`is_play`) when it is a track (`kind` is null in Account data
    files that do not say) named or with a URI, lasting MIN_MS_PLAYED to MAX_MS_PLAYED,
    ending at a time a play can have (which leaves out times SQLite cannot read). Episodes
    and audiobooks are left out, unless `plays_only` is off: the report's copy of the export
    keeps every row, with `possible` saying whether a play can end at its time (any such
    row tells when the export starts and ends). `where` restricts the rows (SQL on the
    table's columns).
    """
    missing = [path for path in ("play_id", "ended_at", "ms_played") if not table.holds(path)]
    if missing:
        msg = (
            f"Table {table.name!r} has no column for {', '.join(missing)}: "
            "is it the streaming_history table written by target-turso?"
        )
        raise LayoutError(msg)
    col = table.column_expression
    columns = {
        "id": col("play_id"),
        "source_format": col("source_format"),
        "played_at": normalized_instant(col("ended_at")),
        "ms_played": col("ms_played"),
        "track_name": col("track_name"),
        "artist_name": col("artist_name"),
        "album_name": col("album_name"),
        "uri": col("spotify_track_uri"),
        "title": normalized_name(col("track_name")),
        "artist": normalized_name(col("artist_name")),
    }
    possible = possible_instant(columns["played_at"])
    is_play = (
        f"{columns['ms_played']} BETWEEN {MIN_MS_PLAYED} AND {MAX_MS_PLAYED}\n"
        f"  AND {possible}\n"
        f"  AND COALESCE({col('kind')}, 'track') = 'track'\n"
        f"  AND COALESCE({columns['uri']}, {columns['track_name']}) IS NOT NULL"
    )
    columns["is_play"] = f"({is_play})"
    if not plays_only:
        columns["possible"] = f"({possible})"
    select = ",\n  ".join(f"{expression} AS {name}" for name, expression in columns.items())
    conditions = [is_play] if plays_only else []
    if where:
        conditions.append(where)
    return f"SELECT\n  {select}\nFROM {quote_identifier(table.name)}" + (
        f"\nWHERE {' AND '.join(conditions)}" if conditions else ""
    )


def _empty_select(columns: tuple[str, ...]) -> str:
    return f"SELECT {', '.join(f'NULL AS {name}' for name in columns)} WHERE 0"


def _instants(table: Table, names: tuple[str, ...]) -> str:
    """SQL reading the date-time columns `names` of `table` as UTC text (LIMIT -1: once each)."""
    columns = ", ".join(
        f"{normalized_instant(table.column_expression(name))} AS {name}" for name in names
    )
    return f"SELECT {columns} FROM {quote_identifier(table.name)} LIMIT -1"


def export_spans_select(export: Table) -> str:
    """Return the SELECT of the first and last instant (`first`, `last`) of each export format.

    Every row counts (skips and podcasts too): all tell when the export was recording.
    Rows dated where no play can be (year 0001 or 9999) span nothing.
    """
    ended_at = normalized_instant(export.column_expression("ended_at"))
    return f"""SELECT source_format, min(ended_at) AS first, max(ended_at) AS last
FROM (
  SELECT {ended_at} AS ended_at, {export.column_expression("source_format")} AS source_format
  FROM {quote_identifier(export.name)}
  LIMIT -1
)
WHERE {possible_instant("ended_at")}
GROUP BY source_format"""


def listening_gaps_select(gaps: Table | None, spans: str | None) -> str:
    """Return the SELECT of the gaps the tap reported, with whether the export spans each.

    `spans` is the SELECT of the export's spans (see `export_spans_select`), None without
    an export. Columns: GAP_COLUMNS (UTC text) and `export_spans`: 1 when the plays of one
    export format run from the bookmark to the oldest returned play (each give or take
    TOLERANCE_S), so the export holds every play of the gap.
    """
    if gaps is None:
        return _empty_select((*GAP_COLUMNS, "export_spans"))
    if spans is None:
        return f"SELECT *, 0 AS export_spans FROM ({_instants(gaps, GAP_COLUMNS)})"
    after, before = (
        f"strftime('{PLAYED_AT_FORMAT}', {column}, '{sign}{TOLERANCE_S} seconds')"
        for column, sign in (("g.bookmark", "+"), ("g.oldest_returned_played_at", "-"))
    )
    return f"""SELECT
  g.*,
  EXISTS (
    SELECT 1 FROM ({spans})
    WHERE first <= COALESCE({after}, first) AND last >= COALESCE({before}, last)
  ) AS export_spans
FROM ({_instants(gaps, GAP_COLUMNS)}) AS g"""


def bounds_select(times: list[tuple[Table, str]]) -> str:
    """Return the SELECT of the first and last (`first`, `last`) of the (table, column) times."""
    times_select = "\nUNION ALL\n".join(
        f"SELECT {normalized_instant(table.column_expression(column))} AS t "
        f"FROM {quote_identifier(table.name)}"
        for table, column in times
    )
    return f"SELECT min(t) AS first, max(t) AS last FROM (\n{times_select}\n)"


@dataclass(frozen=True)
class Sources:
    """The SELECTs over the target's tables that the views build on."""

    plays: str
    """Every play, once: PLAYS_COLUMNS (the stored view's SQL, which any SQLite reads)."""
    plays_materialized: str
    """The same, faster with SQLite 3.35's MATERIALIZED hints (for the report's statement)."""
    gaps: str
    """The tap's listening gaps (see `listening_gaps_select`)."""
    bounds: str
    """The first and last instant of any play, live or exported, cheaply (no merge)."""
    live: Table | None
    """The live plays' table (`recently_played`), if any."""
    export: Table | None
    """The export's table (`streaming_history`), if any."""
    gaps_table: Table | None
    """The tap's listening gaps (`listening_gaps`), if any."""


def read_sources(connection: Connection, table_prefix: str = "") -> Sources:
    """Read the tables in the database and return the SELECTs of the views' sources.

    The live plays (`recently_played`) and the Spotify data export (`streaming_history`,
    when imported) each contribute a SELECT of plays; `merge` joins them without counting
    a play twice. Every view builds on the plays; `listening_gaps` may be absent.

    Raises:
        LayoutError: neither table of plays exists, or one lacks the columns it needs.
    """
    live, export, gaps = (
        read_table(connection, table_prefix + name)
        for name in (RECENTLY_PLAYED, STREAMING_HISTORY, LISTENING_GAPS)
    )
    if live is None and export is None:
        msg = (
            f"The database has no table {table_prefix + RECENTLY_PLAYED!r} (nor "
            f"{table_prefix + STREAMING_HISTORY!r}). Run the tap and target-turso first "
            "(meltano run tap-spotify-recent target-turso), or set the table prefix "
            "to the target's `table_prefix`."
        )
        raise LayoutError(msg)
    live_select = recently_played_select(live) if live else _empty_select((*PLAYS_COLUMNS, "id"))
    if export is None:
        plays = materialized = f"SELECT {', '.join(PLAYS_COLUMNS)} FROM (\n{live_select}\n)"
    else:
        export_select = streaming_history_select(export)
        plays = merged_select(live_select, export_select, PLAYS_COLUMNS)
        materialized = merged_select(live_select, export_select, PLAYS_COLUMNS, materialized=True)
    return Sources(
        plays=plays,
        plays_materialized=materialized,
        gaps=listening_gaps_select(gaps, export_spans_select(export) if export else None),
        bounds=bounds_select(
            [
                (table, column)
                for table, column in ((live, "played_at"), (export, "ended_at"))
                if table
            ]
        ),
        live=live,
        export=export,
        gaps_table=gaps,
    )
