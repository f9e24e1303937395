"""Keep the report's tables current, recomputing only what the rows written since change.

The merge (`merge.py`) is local: a play's fate (duplicate, Account data twin, paired with
a live play) depends only on the rows within two 2-minute buckets of it
(`merge.BUCKET_S`), and a change of fate spreads at most two buckets further. The rest is
a few maps from names to keys (`report_*_uris`, `report_live_tracks`), kept from counts.
The copies keep every row SQLite can date, each marked `possible` or not: a row dated
before 2006 or more than a day after the refresh (`source_tables.possible_instant`) is no
play, as in the reference SQL. What is in the future moves on with time, so each refresh
first logs the rows a play can now have as changed (READMITTED). So a refresh, for the rows
`report_changes` lists (see `capture`):

1. replaces them in `report_live`/`report_export`, subtracting the old rows from the
   counts and adding the new ones, and marks `dirty` the buckets within two of each old
   and new live row, and within four of each export row (its fate's change reaches two
   buckets, and that change's effect on pairing two more);
2. updates the maps for the names whose counts changed; where a map's answer changes,
   the export rows it keys (±2 buckets) or credits are marked dirty too;
3. decides duplicates, Account data twins, keys and live twins again for the dirty
   buckets, reading two buckets around them (the reference SQL of `merge.py`, on fewer
   rows);
4. derives the plays of the dirty buckets again and keeps the difference from the stored
   ones as the delta (`report_plays_delta`), from which `report_plays` and every
   aggregate (`aggregates.py`) are updated.

Everything runs in one write transaction (BEGIN IMMEDIATE): a refresh that fails leaves the
tables and the change log as they were, and the next one does the work again. The first
refresh, a new layout or version of the report's SQL, or a table of plays without its
triggers rebuild everything: the same statements, on every row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import time
import typing as t
from dataclasses import dataclass

from listening_report import capture
from listening_report.aggregates import AGGREGATES, add_sql
from listening_report.capture import EXPORT, LIVE, Captured
from listening_report.merge import (
    EXPORT_HI,
    LIVE_TRACKS_COLUMNS,
    NEAR,
    PLAY_KEY,
    PlaySources,
    album_key_rows,
    artist_uri_rows,
    dropped_ctes,
    export_track_uri_rows,
    live_track_uri_rows,
    pairs,
    plays_select,
    timed,
)
from listening_report.source_tables import (
    PLAYS_COLUMNS,
    Sources,
    possible_instant,
    recently_played_select,
    streaming_history_select,
)
from listening_report.tables import (
    INPUT_INDEXES,
    INPUT_TABLES,
    PLAY_ROW,
    PLAYS_INDEXES,
    WORK_TABLES,
    TableNames,
)
from listening_report.views import Views

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

LIVE_TRACK_KEYS = "SELECT DISTINCT track_key AS k1 FROM {report_live} WHERE possible"
REACH = 2
"""Buckets around a row within which its pairing decisions depend on other rows."""
EXPORT_COLUMNS = (
    "id, source_format, played_at, ms_played, track_name, artist_name, album_name, uri,"
    " title, artist, is_play, possible, lo, hi, bucket"
)
LIVE_COLUMNS = f"{', '.join(PLAYS_COLUMNS)}, id, possible, lo, hi, bucket"
NOW_POSSIBLE = f"NOT possible AND {possible_instant('played_at')}"
"""Rows of the report's copies dated in the future at their refresh that plays can now have."""
READMITTED = (
    f"SELECT '{LIVE}' AS source, id FROM {{report_live}} WHERE {NOW_POSSIBLE}\n"
    f"UNION ALL\nSELECT '{EXPORT}', id FROM {{report_export}} WHERE {NOW_POSSIBLE}"
)
"""The (`source`, `id`) of the rows to read again: what is in the future moves on with time.

A row dated more than FUTURE_DAYS after a refresh is no play for it; the first refresh less
than FUTURE_DAYS before the row's time reads it again, as if the target had written it."""


def _steps(reach: int, *, zero: bool = True) -> str:
    """A CTE `m_steps` of the integers from -reach to reach."""
    steps = ", ".join(f"({step})" for step in range(-reach, reach + 1) if zero or step)
    return f"m_steps (step) AS (VALUES {steps})"


@dataclass(frozen=True)
class Scope:
    """Which rows a refresh recomputes: the dirty ones, or all (`full`, a rebuild)."""

    full: bool

    def buckets(self, column: str, which: str) -> str:
        """SQL telling whether `column` is a bucket to recompute.

        `which`: `pairs` (fates decided again), `plays` (plays derived again) or `context`
        (any bucket the decisions read).
        """
        if self.full:
            return "1"
        condition = {"pairs": " WHERE pairs", "plays": " WHERE pairs OR plays", "context": ""}
        return f"{column} IN (SELECT bucket FROM {{report_dirty}}{condition[which]})"

    def keys(self, kind: str, every: str) -> str:
        """SQL for the keys (`k1`, `k2`) of `kind` whose map may change.

        In a rebuild, every key: `every` (a SELECT of `k1`, `k2`).
        """
        if self.full:
            return every
        return f"SELECT k1, k2 FROM {{report_touched}} WHERE kind = '{kind}'"

    def touched(self, kind: str, *columns: str) -> str:
        """SQL telling whether the key `columns` may have a new answer in the map of `kind`."""
        if self.full:
            return "1"
        keys = ", ".join(f"k{n}" for n in range(1, len(columns) + 1))
        target = columns[0] if len(columns) == 1 else f"({', '.join(columns)})"
        return f"{target} IN (SELECT {keys} FROM {{report_touched}} WHERE kind = '{kind}')"

    @property
    def delta(self) -> str:
        """The relation of the plays that changed, signed (every play, in a rebuild)."""
        if self.full:
            return "(SELECT 1 AS sign, * FROM {report_plays})"
        return "{report_plays_delta}"


@dataclass
class Outcome:
    """What a refresh did."""

    rebuilt: bool
    changes: int
    """Rows of the target's tables written since the last refresh, and rows whose time a
    play can now have (READMITTED); 0 for a rebuild."""
    views: list[str]
    """The views created (a rebuild creates them again)."""
    seconds: float


class Refresh:
    """The refresh of the report's tables for the target's tables that `sources` read."""

    def __init__(self, sources: Sources, prefix: str = "") -> None:
        self.sources = sources
        self.names = TableNames(prefix)
        self.views = Views(sources, prefix)
        self.captured = [
            Captured(source, table)
            for source, table in ((LIVE, sources.live), (EXPORT, sources.export))
            if table is not None
        ]

    # -- SQL ---------------------------------------------------------------------------

    def _captured(self, source: str) -> Captured | None:
        return next((c for c in self.captured if c.source == source), None)

    def _changed(self, source: str, scope: Scope) -> str:
        """SQL telling whether a row of the report's `source` table (its `id`) changed."""
        if scope.full:
            return "1"
        return f"id IN (SELECT id FROM {{report_changes}} WHERE source = '{source}')"

    def _load(self, scope: Scope) -> list[str]:
        """SQL copying the changed rows of the target's tables into the report's."""
        statements = []
        live, export = self._captured(LIVE), self._captured(EXPORT)
        if live:
            where = "" if scope.full else live.changed(self.names)
            rows = timed(recently_played_select(live.table, where, plays_only=False))
            statements.append(
                f"INSERT OR IGNORE INTO {{report_live}} ({LIVE_COLUMNS})\n"
                f"SELECT {LIVE_COLUMNS} FROM (\n{rows}\n)\nORDER BY id"
            )
        if export:
            where = "" if scope.full else export.changed(self.names)
            rows = timed(streaming_history_select(export.table, where, plays_only=False), EXPORT_HI)
            statements.append(
                f"INSERT OR IGNORE INTO {{report_export}} ({EXPORT_COLUMNS}, track_key)\n"
                f"SELECT {EXPORT_COLUMNS}, uri FROM (\n{rows}\n)\nORDER BY id"
            )
        return statements

    def _changed_rows(self, scope: Scope) -> tuple[str, str]:
        """The report's live rows and export plays that changed (as relations)."""
        return (
            f"(SELECT * FROM {{report_live}} WHERE possible AND {self._changed(LIVE, scope)})",
            f"(SELECT * FROM {{report_export}} WHERE is_play AND {self._changed(EXPORT, scope)})",
        )

    def _mark_changed(self, scope: Scope) -> str:
        """SQL marking dirty the buckets whose fates a changed row may change.

        A live row changes the pairing of the rows within REACH of it; an export row also
        the fates of the export rows within REACH (duplicates, Account data twins), whose
        change changes the pairing REACH further.
        """
        live, export = self._changed_rows(scope)
        return f"""WITH {_steps(2 * REACH)}
INSERT INTO {{report_dirty}} (bucket, pairs, plays)
SELECT DISTINCT bucket + step, 1, 1 FROM (
  SELECT bucket, step FROM {live}, m_steps WHERE abs(step) <= {REACH}
  UNION ALL
  SELECT bucket, step FROM {export}, m_steps
)
WHERE true
ON CONFLICT (bucket) DO UPDATE SET pairs = 1, plays = 1"""

    def _touch(self, scope: Scope) -> str:
        """SQL listing the keys of the maps whose counts the changed rows change."""
        live, export = self._changed_rows(scope)
        all_export = f"(SELECT * FROM {{report_export}} WHERE {self._changed(EXPORT, scope)})"
        return f"""INSERT OR IGNORE INTO {{report_touched}} (kind, k1, k2)
SELECT 'artist', name, '' FROM ({artist_uri_rows(live)})
UNION SELECT 'album', album, artist FROM ({album_key_rows(live)})
UNION SELECT 'title', title, artist FROM ({live_track_uri_rows(live)})
UNION SELECT 'title', title, artist FROM ({export_track_uri_rows(export)})
UNION SELECT 'track', track_key, '' FROM {live} WHERE track_key IS NOT NULL
UNION SELECT 'format', source_format, '' FROM {all_export}"""

    def _counts(self, scope: Scope, sign: int) -> list[str]:
        """SQL adding (`sign` 1) or subtracting (-1) the changed rows to the counts."""
        live, export = self._changed_rows(scope)
        plays = {"plays": f"{sign} * plays"}
        statements = [
            add_sql(
                "{report_artist_uri_counts}",
                "name, uri",
                plays,
                f"SELECT name, uri, plays FROM ({artist_uri_rows(live)})",
            ),
            add_sql(
                "{report_album_key_counts}", "album, artist, album_key", plays, album_key_rows(live)
            ),
            add_sql(
                "{report_track_uri_counts}",
                "title, artist, uri",
                plays,
                f"{live_track_uri_rows(live)}\nUNION ALL\n{export_track_uri_rows(export)}",
            ),
        ]
        if sign < 0:
            return statements
        return [
            *statements,
            *(
                f"DELETE FROM {table} WHERE plays = 0 AND {scope.touched(kind, *key)}"
                for table, kind, key in (
                    ("{report_artist_uri_counts}", "artist", ("name",)),
                    ("{report_album_key_counts}", "album", ("album", "artist")),
                    ("{report_track_uri_counts}", "title", ("title", "artist")),
                )
            ),
        ]

    @staticmethod
    def _most_played(scope: Scope, kind: str, counts: str, key: tuple[str, ...], value: str) -> str:
        """SQL for the `value` with the most plays in `counts` of each key that may change.

        `merge.most_played` by the primary key of `counts`: ties go to the smallest value,
        and `counts` holds no key without plays.
        """
        every = ", ".join(f"{column} AS k{n}" for n, column in enumerate(key, 1))
        keys = scope.keys(kind, f"SELECT DISTINCT {every} FROM {counts}")
        match = " AND ".join(f"c.{column} = k.k{n}" for n, column in enumerate(key, 1))
        named = ", ".join(f"k.k{n} AS {column}" for n, column in enumerate(key, 1))
        return f"""SELECT * FROM (
  SELECT {named}, (
    SELECT {value} FROM {counts} AS c WHERE {match} ORDER BY plays DESC, {value} LIMIT 1
  ) AS {value}
  FROM ({keys}) AS k
)
WHERE {value} IS NOT NULL"""

    def _maps(self, scope: Scope) -> list[str]:
        """SQL updating the maps for the touched keys.

        Where an answer changes, the export rows it keys or credits are marked dirty first.
        """
        maps = [
            # (map, kind, key columns, value columns, new answers, export rows it serves)
            (
                "{report_artist_uris}",
                "artist",
                ("name",),
                ("uri",),
                self._most_played(scope, "artist", "{report_artist_uri_counts}", ("name",), "uri"),
                "e.artist = c.name",
                "0",
            ),
            (
                "{report_album_uris}",
                "album",
                ("album", "artist"),
                ("album_key",),
                self._most_played(
                    scope, "album", "{report_album_key_counts}", ("album", "artist"), "album_key"
                ),
                "e.artist = c.artist AND lower(trim(e.album_name)) = c.album",
                "0",
            ),
            (
                "{report_track_uris}",
                "title",
                ("title", "artist"),
                ("uri",),
                self._most_played(
                    scope, "title", "{report_track_uri_counts}", ("title", "artist"), "uri"
                ),
                "e.title = c.title AND e.artist = c.artist AND e.uri IS NULL",
                "1",
            ),
            (
                "{report_live_tracks}",
                "track",
                ("track_key",),
                tuple(LIVE_TRACKS_COLUMNS.split(", ")[1:]),
                # The latest live play of each track, found through its index.
                f"SELECT {', '.join(f'l.{c}' for c in LIVE_TRACKS_COLUMNS.split(', '))}\n"
                f"FROM ({scope.keys('track', LIVE_TRACK_KEYS)}) AS k\n"
                "JOIN {report_live} AS l ON l.id = (\n"
                "  SELECT id FROM {report_live} WHERE track_key = k.k1 AND possible\n"
                "  ORDER BY played_at DESC, id DESC LIMIT 1\n)",
                "e.track_key = c.track_key",
                "0",
            ),
        ]
        statements = []
        for table, kind, key, value, answers, serves, repair in maps:
            if not scope.full:
                statements.append(
                    self._mark_changed_answers(table, kind, key, value, answers, serves, repair)
                )
            statements += [
                f"DELETE FROM {table} WHERE {scope.touched(kind, *key)}",
                f"INSERT INTO {table} ({', '.join((*key, *value))})\n{answers}",
            ]
        return statements

    @staticmethod
    def _mark_changed_answers(
        table: str,
        kind: str,
        key: tuple[str, ...],
        value: tuple[str, ...],
        answers: str,
        serves: str,
        repair: str,
    ) -> str:
        """SQL marking the buckets of the export plays whose map answer changes.

        The keys whose answer changes are those whose old and new (key, value) rows differ.
        `repair` 1: the answer is the row's key, so its pairing is decided again (±REACH);
        0: only its credits change.
        """
        columns = ", ".join((*key, *value))
        keys = ", ".join(key)
        steps = _steps(REACH) if repair == "1" else "m_steps (step) AS (VALUES (0))"
        return f"""WITH {steps},
m_new AS MATERIALIZED (
{answers}
),
m_old AS MATERIALIZED (
  SELECT {columns} FROM {table} WHERE {Scope(full=False).touched(kind, *key)}
),
m_changed AS MATERIALIZED (
  SELECT {keys} FROM (SELECT * FROM m_old EXCEPT SELECT * FROM m_new)
  UNION
  SELECT {keys} FROM (SELECT * FROM m_new EXCEPT SELECT * FROM m_old)
)
INSERT INTO {{report_dirty}} (bucket, pairs, plays)
SELECT DISTINCT e.bucket + step, {repair}, 1
FROM m_changed AS c
CROSS JOIN {{report_export}} AS e ON e.is_play AND {serves}
CROSS JOIN m_steps
WHERE true
ON CONFLICT (bucket) DO UPDATE SET pairs = max(pairs, excluded.pairs), plays = 1"""

    def _decide(self, scope: Scope) -> list[str]:
        """SQL deciding again duplicates, Account data twins, keys and live twins."""
        context = scope.buckets("bucket", "context")
        export = (
            "SELECT id, source_format, uri, title, artist, ms_played, lo, hi, bucket\n"
            f"  FROM {{report_export}} WHERE is_play AND {context}"
        )
        dropped = ",\n".join(
            f"{name} AS{' MATERIALIZED' if once else ''} (\n{body}\n)"
            for name, body, once in [
                (*NEAR, False),
                ("m_context", export, True),
                *dropped_ctes("m_context"),
            ]
        )
        core = scope.buckets("bucket", "pairs")
        statements = []
        if not scope.full:
            statements.append(
                f"WITH {_steps(REACH, zero=False)}\n"
                "INSERT INTO {report_dirty} (bucket, pairs, plays)\n"
                "SELECT bucket + step, 0, 0 FROM {report_dirty}, m_steps WHERE pairs\n"
                "ON CONFLICT (bucket) DO NOTHING"
            )
        # Only the rows whose fate changes are written.
        statements.append(
            f"WITH {dropped}\nUPDATE {{report_export}} SET dropped = 1\n"
            f"WHERE id IN (SELECT id FROM m_dropped) AND NOT dropped AND {core}"
        )
        if not scope.full:  # a rebuild starts with every row kept
            statements.append(
                f"WITH {dropped}\nUPDATE {{report_export}} SET dropped = 0\n"
                f"WHERE dropped AND is_play AND {core} AND id NOT IN (SELECT id FROM m_dropped)"
            )
        # An Account data row has no URI: it takes the track heard under its names (a row
        # with a URI is keyed on it when loaded).
        statements.append(
            "UPDATE {report_export}\nSET track_key = COALESCE(\n"
            "  (SELECT uri FROM {report_track_uris} AS u\n"
            "   WHERE u.title = {report_export}.title AND u.artist = {report_export}.artist),\n"
            f"  json_array(artist, title)\n)\nWHERE is_play AND uri IS NULL AND {core}"
        )
        if not scope.full:
            statements.append(
                f"DELETE FROM {{report_twins}}\n"
                f"WHERE left_id IN (SELECT id FROM {{report_export}} WHERE is_play AND {core})\n"
                f"  OR right_id IN (SELECT id FROM {{report_live}} WHERE {core})"
            )
        statements.append(
            f"""WITH {NEAR[0]} AS ({NEAR[1]}),
m_live AS MATERIALIZED (
  SELECT id, track_key, lo, hi, bucket FROM {{report_live}} WHERE possible AND {context}
),
m_export AS MATERIALIZED (
  SELECT id, track_key, ms_played, lo, hi, bucket FROM {{report_export}}
  WHERE is_play AND NOT dropped AND {context}
)
INSERT INTO {{report_twins}} (left_id, right_id, left_ms_played)
SELECT left_id, right_id, left_ms_played FROM (
{pairs("m_export", "m_live", "track_key")}
)
WHERE left_id IN (SELECT id FROM m_export WHERE {core})
  OR right_id IN (SELECT id FROM m_live WHERE {core})"""
        )
        return statements

    def _plays(self, scope: Scope) -> list[str]:
        """SQL deriving the plays of the dirty buckets again; the difference is the delta."""
        tables = PlaySources(
            live="{report_live}",
            export="{report_export}",
            twins="{report_twins}",
            live_tracks="{report_live_tracks}",
            artist_uris="{report_artist_uris}",
            album_uris="{report_album_uris}",
        )
        columns = ", ".join(PLAY_ROW)
        derived = plays_select(
            tables,
            PLAYS_COLUMNS,
            live_where=f"l.possible AND {scope.buckets('l.bucket', 'plays')}",
            export_where=f"e.is_play AND NOT e.dropped AND {scope.buckets('e.bucket', 'plays')}",
            keyed=True,
        )
        if scope.full:
            return [f"INSERT INTO {{report_plays}} ({columns})\n{derived}\nORDER BY {PLAY_KEY}"]
        return [
            f"""WITH m_new AS MATERIALIZED (
{derived}
),
m_old AS MATERIALIZED (
  SELECT {columns} FROM {{report_plays}} WHERE {scope.buckets("bucket", "plays")}
)
INSERT INTO {{report_plays_delta}} (sign, {columns})
SELECT 1, * FROM (SELECT * FROM m_new EXCEPT SELECT * FROM m_old)
UNION ALL
SELECT -1, * FROM (SELECT * FROM m_old EXCEPT SELECT * FROM m_new)""",
            f"DELETE FROM {{report_plays}}\n"
            f"WHERE {PLAY_KEY} IN (SELECT {PLAY_KEY} FROM {{report_plays_delta}} WHERE sign < 0)",
            f"INSERT INTO {{report_plays}} ({columns})\n"
            f"SELECT {columns} FROM {{report_plays_delta}} WHERE sign > 0",
        ]

    def _spans(self, scope: Scope) -> list[str]:
        """SQL recomputing the first and last instant of each export format that changed."""
        formats = scope.keys("format", "SELECT DISTINCT source_format AS k1 FROM {report_export}")
        changed = f"source_format IN ({formats})"
        if not scope.full:  # IN misses NULL, the format of rows that do not say
            changed = f"EXISTS (SELECT 1 FROM ({formats}) WHERE k1 IS source_format)"
        return [
            f"DELETE FROM {{report_export_spans}} WHERE {changed}",
            f"""INSERT INTO {{report_export_spans}} (source_format, first, last)
SELECT * FROM (
  SELECT DISTINCT k1,
    (SELECT min(played_at) FROM {{report_export}} WHERE source_format IS k.k1 AND possible),
    (SELECT max(played_at) FROM {{report_export}} WHERE source_format IS k.k1 AND possible)
      AS last
  FROM ({formats}) AS k
)
WHERE last IS NOT NULL""",
        ]

    def statements(self, scope: Scope) -> list[str]:
        """Every statement of a refresh (`scope.full`: a rebuild), with the tables named."""
        sql: list[str] = []
        if scope.full:
            sql += self._load(scope)
            sql += self._counts(scope, 1)
        else:
            sql += [f"INSERT OR IGNORE INTO {{report_changes}} (source, id)\n{READMITTED}"]
            sql += [self._mark_changed(scope), self._touch(scope), *self._counts(scope, -1)]
            sql += [
                f"DELETE FROM {{report_live}} WHERE {self._changed(LIVE, scope)}",
                f"DELETE FROM {{report_export}} WHERE {self._changed(EXPORT, scope)}",
            ]
            sql += self._load(scope)
            sql += [self._mark_changed(scope), self._touch(scope), *self._counts(scope, 1)]
        if scope.full:
            sql += self._indexes(INPUT_INDEXES)
        sql += self._maps(scope)
        sql += self._decide(scope)
        sql += self._plays(scope)
        if scope.full:
            sql += self._indexes(PLAYS_INDEXES)
        for aggregate in AGGREGATES:
            sql += aggregate.statements
            if scope.full:
                sql += self._indexes(aggregate.indexes)
        sql += self._spans(scope)
        if not scope.full:
            sql += [f"DELETE FROM {{{table}}}" for table in (*WORK_TABLES, "report_changes")]
        return [self.names.fill(statement, delta=self.names.fill(scope.delta)) for statement in sql]

    def schema(self) -> list[str]:
        """SQL creating the report's tables (a rebuild creates the indexes once filled)."""
        tables = {**INPUT_TABLES, **WORK_TABLES}
        for aggregate in AGGREGATES:
            tables.update(aggregate.tables)
        return [f"CREATE TABLE {{{name}}} {columns}" for name, columns in tables.items()]

    @staticmethod
    def _indexes(indexes: dict[str, tuple[str, str]]) -> list[str]:
        return [
            f"CREATE INDEX {{{name}}} ON {{{table}}} {columns}"
            for name, (table, columns) in indexes.items()
        ]

    @staticmethod
    def tables() -> list[str]:
        """The report's tables (without the prefix)."""
        return [*INPUT_TABLES, *WORK_TABLES, *(n for a in AGGREGATES for n in a.tables)]

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of everything that decides the tables' contents: layout and SQL."""
        definition = [
            self.schema(),
            self.statements(Scope(full=True)),
            self.statements(Scope(full=False)),
            self.views.definitions(),
            [
                statement
                for c in self.captured
                for statement in capture.create_statements(self.names, c)
            ],
        ]
        return hashlib.sha256(json.dumps(definition).encode()).hexdigest()

    # -- running -----------------------------------------------------------------------

    def pending(self, connection: Connection) -> int | None:
        """Return how many changes wait (0: the tables are current); None: a rebuild is due.

        Reads only: a report with a read-only token uses the tables when this is 0.
        """
        state = self.names.name("report_state")
        exists = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
            (self.names.prefix + "report_state",),
        ).fetchone()[0]
        if not exists:
            return None
        row = connection.execute(f"SELECT value FROM {state} WHERE name = 'fingerprint'").fetchone()
        if row is None or row[0] != self.fingerprint:
            return None
        if capture.missing(connection, self.names, self.captured):
            return None
        return self._changes(connection, readmitted=True)

    def run(self, connection: Connection, *, batch: bool = True) -> Outcome:
        """Bring the report's tables up to date, in one write transaction.

        `batch`: send the statements of an incremental refresh as one script (one round
        trip to a remote database instead of one per statement). The client stops a script
        silently at a failing statement: the script's last statement empties the change
        log, so a log left with rows means it failed; the work is then rolled back and done
        again statement by statement, which raises the error.

        Raises:
            LayoutError: a table has the name of one of the report's views.
        """
        start = time.perf_counter()
        # IMMEDIATE: take the write lock now, so a sync committing meanwhile cannot fail
        # the read-then-write with SQLITE_BUSY; the sync waits for this refresh instead.
        connection.execute("BEGIN IMMEDIATE")
        try:
            pending = self.pending(connection)
            views: list[str] = []
            if pending is None:
                views = self._rebuild(connection)
            elif pending and batch:
                connection.executescript(";\n".join(self.statements(Scope(full=False))) + ";")
                if self._changes(connection):
                    connection.rollback()
                    return self.run(connection, batch=False)
            elif pending:
                for statement in self.statements(Scope(full=False)):
                    connection.execute(statement)
            connection.execute("COMMIT")
        except Exception:
            # A refused write can leave the server's stream unusable; the first error is the news.
            with contextlib.suppress(Exception):
                connection.rollback()
            raise
        return Outcome(
            rebuilt=pending is None,
            changes=pending or 0,
            views=views,
            seconds=time.perf_counter() - start,
        )

    def _changes(self, connection: Connection, *, readmitted: bool = False) -> int:
        """How many changes the log holds; `readmitted`: and rows to read again (READMITTED)."""
        sql = "SELECT count(*) FROM {report_changes}"
        if readmitted:
            sql = f"SELECT ({sql}) + (SELECT count(*) FROM (\n{READMITTED}\n))"
        return connection.execute(self.names.fill(sql)).fetchone()[0]

    def _rebuild(self, connection: Connection) -> list[str]:
        """Drop and fill every table of the report, create the views and the triggers."""
        self.views.check(connection)
        for statement in capture.drop_statements(self.names):
            connection.execute(statement)
        for table in self.tables():
            connection.execute(f"DROP TABLE IF EXISTS {self.names.name(table)}")
        for statement in [*map(self.names.fill, self.schema()), *self.statements(Scope(full=True))]:
            connection.execute(statement)
        views = self.views.create(connection)
        for captured in self.captured:
            for statement in capture.create_statements(self.names, captured):
                connection.execute(statement)
        state = self.names.name("report_state")
        connection.execute(
            f"INSERT INTO {state} (name, value) VALUES ('fingerprint', ?), ('rebuilt_at', ?)",
            (self.fingerprint, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")),
        )
        return views
