"""The report's own tables, in the database next to the target's: declared once here.

Three groups, all named `<table_prefix>report_<name>`:

- **inputs**: narrow copies of the target's rows (`report_live`, `report_export`), each
  marked `possible` (a time a play can have, as of its refresh), with what the merge decided
  for each (`dropped`, `track_key`, the live `report_twins`), and the counts and maps that
  give the export's plays their keys and credits;
- **plays and aggregates**: `report_plays` (every play once, as the `plays` view shows it),
  `report_play_artists`, and one table per figure (`report_tracks`, `report_days`, ...);
  `aggregates.AGGREGATES` declares those and how each follows the plays that changed;
- **bookkeeping**: `report_changes` (the keys of the target's rows written since the last
  refresh, logged by triggers, see `capture`), `report_state`, and work tables that every
  refresh empties before it commits.

SQL in this package names these tables in braces (`{report_plays}`); `TableNames` fills
them in with the prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from libsql_access.schema import quote_identifier

from listening_report.source_tables import PLAYS_COLUMNS

REPORT = "report_"

PLAY_ROW = (*PLAYS_COLUMNS, "play_key", "lo", "bucket")
"""The columns of `report_plays`: the `plays` view's, its key, its Unix second and bucket."""

INPUT_TABLES: dict[str, str] = {
    "report_state": "(name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
    # The triggers on the target's tables write here (see `capture`).
    "report_changes": "(source TEXT NOT NULL, id NOT NULL, PRIMARY KEY (source, id)) WITHOUT ROWID",
    "report_live": (
        f"({', '.join(PLAYS_COLUMNS)}, id PRIMARY KEY, possible INTEGER, lo INTEGER, hi INTEGER,"
        " bucket INTEGER)"
    ),
    "report_export": (
        "(id PRIMARY KEY, source_format, played_at, ms_played, track_name, artist_name,"
        " album_name, uri, title, artist, is_play INTEGER, possible INTEGER, lo INTEGER,"
        " hi INTEGER, bucket INTEGER, dropped INTEGER NOT NULL DEFAULT 0, track_key)"
    ),
    "report_twins": "(left_id PRIMARY KEY, right_id UNIQUE, left_ms_played)",
    "report_artist_uri_counts": (
        "(name NOT NULL, uri NOT NULL, plays INTEGER NOT NULL, PRIMARY KEY (name, uri))"
        " WITHOUT ROWID"
    ),
    "report_album_key_counts": (
        "(album NOT NULL, artist NOT NULL, album_key NOT NULL, plays INTEGER NOT NULL,"
        " PRIMARY KEY (album, artist, album_key)) WITHOUT ROWID"
    ),
    "report_track_uri_counts": (
        "(title NOT NULL, artist NOT NULL, uri NOT NULL, plays INTEGER NOT NULL,"
        " PRIMARY KEY (title, artist, uri)) WITHOUT ROWID"
    ),
    "report_artist_uris": "(name PRIMARY KEY, uri) WITHOUT ROWID",
    "report_album_uris": (
        "(album NOT NULL, artist NOT NULL, album_key, PRIMARY KEY (album, artist)) WITHOUT ROWID"
    ),
    "report_track_uris": (
        "(title NOT NULL, artist NOT NULL, uri, PRIMARY KEY (title, artist)) WITHOUT ROWID"
    ),
    "report_live_tracks": (
        "(track_key PRIMARY KEY, artists, album_key, album_name, album_artists) WITHOUT ROWID"
    ),
    "report_export_spans": "(source_format, first, last)",
    "report_plays": (
        f"({', '.join(PLAYS_COLUMNS)}, play_key TEXT PRIMARY KEY, lo INTEGER, bucket INTEGER)"
    ),
}

WORK_TABLES: dict[str, str] = {
    # Time buckets to recompute: `pairs` (duplicates, twins, keys), `plays` (the plays
    # rows); neither: context that the pairing of a `pairs` bucket reads.
    "report_dirty": "(bucket INTEGER PRIMARY KEY, pairs INTEGER NOT NULL, plays INTEGER NOT NULL)",
    # Keys of the counts and maps whose inputs changed (kind: artist, album, title, track,
    # format).
    "report_touched": "(kind TEXT NOT NULL, k1, k2, UNIQUE (kind, k1, k2))",
    "report_plays_delta": f"(sign INTEGER NOT NULL, {', '.join(PLAY_ROW)})",
}

# A rebuild creates each index once its table is filled (faster than filling an index).
INPUT_INDEXES: dict[str, tuple[str, str]] = {
    "report_live_bucket": ("report_live", "(bucket)"),
    "report_live_track": ("report_live", "(track_key, played_at, id) WHERE possible"),
    "report_export_bucket": ("report_export", "(bucket) WHERE is_play"),
    "report_export_format": ("report_export", "(source_format, played_at) WHERE possible"),
    "report_export_track": ("report_export", "(track_key) WHERE is_play"),
    "report_export_artist": ("report_export", "(artist) WHERE is_play"),
    "report_export_unnamed": ("report_export", "(title, artist) WHERE is_play AND uri IS NULL"),
    # Rows dated where no play can be: few, found at once (see `refresh.Refresh.readmit`).
    "report_live_impossible": ("report_live", "(played_at) WHERE NOT possible"),
    "report_export_impossible": ("report_export", "(played_at) WHERE NOT possible"),
    # A name's most played key is the first entry of its range.
    "report_artist_uri_best": ("report_artist_uri_counts", "(name, plays DESC, uri)"),
    "report_album_key_best": ("report_album_key_counts", "(album, artist, plays DESC, album_key)"),
    "report_track_uri_best": ("report_track_uri_counts", "(title, artist, plays DESC, uri)"),
}
PLAYS_INDEXES: dict[str, tuple[str, str]] = {
    # Covering what a day's, week's or month's figures read: their plays, through it alone.
    "report_plays_time": ("report_plays", "(played_at, track_key, ms_played)"),
    "report_plays_bucket": ("report_plays", "(bucket)"),
    "report_plays_track": ("report_plays", "(track_key, played_at, play_key)"),
    "report_plays_album": ("report_plays", "(album_key, played_at, play_key)"),
}


@dataclass(frozen=True)
class TableNames:
    """The report's tables named with the target's table prefix."""

    prefix: str = ""

    def name(self, table: str) -> str:
        """Return the quoted, prefixed name of the report table (or index) `table`."""
        return quote_identifier(self.prefix + table)

    def fill(self, sql: str, **extra: str) -> str:
        """Return `sql` with each `{report_...}` replaced by the table's quoted name."""
        return sql.format_map(_Names(self, extra))


class _Names(dict):
    """Fills `{report_x}` with the prefixed table name; other names come from `extra`."""

    def __init__(self, names: TableNames, extra: dict[str, str]) -> None:
        super().__init__(extra)
        self.names = names

    def __missing__(self, key: str) -> str:
        if not key.startswith(REPORT):
            raise KeyError(key)
        return self.names.name(key)
