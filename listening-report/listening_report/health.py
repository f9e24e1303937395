"""How the sync is doing, from the tap's `sync_runs` table and your own plays.

A scheduler that starts runs late loses plays: Spotify serves only the last 50. This module
measures the runs (runs per day, the pauses between them, gaps, the last successful run, the
refresh token's expiry) and, from the plays (every play once: the report's `plays`), how long
50 plays last at your busiest: the shortest span holding 50 consecutive plays (`busiest`).
Runs further apart than that can lose plays, so it is the longest safe interval between
runs, shown next to the measured pauses.

One SQL definition serves the views (`sync_health`, one row; `sync_runs_per_day`) and
`read_health`, which returns a `SyncHealth` for the report. Days are UTC days. `latest_run`
reads only the newest run (through the key index), for checks that run after every sync.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import date, timedelta

from libsql_access.schema import changed_views, quote_identifier

from listening_report import busiest
from listening_report.source_tables import (
    LayoutError,
    Table,
    normalized_instant,
    read_sources,
    read_table,
)
from listening_report.tables import TableNames

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from libsql_access.dbapi import Connection

SYNC_RUNS = "sync_runs"
BUSIEST_TABLE = "report_busiest_spans"
NO_SPAN = (
    "SELECT NULL AS day, NULL AS span_s, NULL AS first_played_at, NULL AS last_played_at WHERE 0"
)
VIEW_NAMES = ("sync_runs_per_day", "sync_health")


@dataclass(frozen=True)
class LatestRun:
    """The newest `sync_runs` record: the last successful run."""

    run_id: str
    started_at: str
    finished_at: str
    gap_detected: bool
    bookmark_before: str | None
    bookmark_after: str | None
    refresh_token_expires_on: date | None


@dataclass(frozen=True)
class DayOfRuns:
    """The runs of one UTC day."""

    day: str
    runs: int
    gaps: int
    plays_emitted: int
    longest_pause_s: float | None
    """Longest pause that ended this day (between a run and the one before it)."""


@dataclass(frozen=True)
class RunStart:
    """When a run started (UTC) and whether it found a gap."""

    started_at: str
    gap_detected: bool


@dataclass(frozen=True)
class Pause:
    """The time between two consecutive runs."""

    seconds: float
    after_run_at: str
    before_run_at: str


@dataclass(frozen=True)
class Span:
    """The shortest span of time holding WINDOW_PLAYS consecutive plays."""

    seconds: float
    first_play_at: str
    last_play_at: str


@dataclass(frozen=True)
class SyncHealth:
    """The figures of the report's "Sync health" section (and of the `sync_health` view)."""

    runs: int
    first_run_at: str | None
    last_successful_run_at: str | None
    """When the newest run finished (only successful runs leave a record)."""
    last_run_found_gap: bool | None
    runs_per_day: float | None
    """Runs per day from the first run's day to the last's."""
    days: tuple[DayOfRuns, ...]
    longest_pause: Pause | None
    median_pause_s: float | None
    gaps: int
    """Runs that found a gap (plays may have been lost before them)."""
    refresh_token_expires_on: date | None
    days_until_token_expires: int | None
    busiest_plays: Span | None
    """How long WINDOW_PLAYS plays lasted at your busiest; None with fewer plays."""
    pauses_longer_than_safe: int | None
    """Pauses at least as long as the longest safe interval."""

    @property
    def longest_safe_interval_s(self) -> float | None:
        """Runs further apart than this can lose plays (the busiest span of 50 plays)."""
        return None if self.busiest_plays is None else self.busiest_plays.seconds


def _instant(table: Table, column: str) -> str:
    return normalized_instant(table.column_expression(column))


def _runs_select(runs: Table) -> str:
    """Each run once: its times as stored, its start `t` as a Julian day, the pause before.

    `t` is UTC whatever the stored offset; the gap is 0/1. Ordered by `t` (a number, cheaper
    to sort than UTC text): UTC text is made only for the few runs shown (`_utc`).
    """
    started_at = runs.column_expression("started_at")
    return f"""SELECT
  started_at,
  finished_at,
  t,
  gap_detected,
  plays_emitted,
  refresh_token_expires_on,
  lag(started_at) OVER (ORDER BY t) AS previous_started_at,
  round((t - lag(t) OVER (ORDER BY t)) * 86400, 3) AS pause_s
FROM (
  SELECT
    {started_at} AS started_at,
    {runs.column_expression("finished_at")} AS finished_at,
    julianday(upper({started_at})) AS t,
    COALESCE({runs.column_expression("gap_detected")}, 0) AS gap_detected,
    COALESCE({runs.column_expression("plays_emitted")}, 0) AS plays_emitted,
    {runs.column_expression("refresh_token_expires_on")} AS refresh_token_expires_on
  FROM {quote_identifier(runs.name)}
)
WHERE t IS NOT NULL"""


def _utc(column: str) -> str:
    """SQL for a stored date-time of `_runs_select` as UTC text."""
    return normalized_instant(column)


def _per_day_select(runs: Table) -> str:
    return f"""SELECT
  date(t) AS day,
  count(*) AS runs,
  sum(gap_detected) AS gaps,
  sum(plays_emitted) AS plays_emitted,
  max(pause_s) AS longest_pause_s
FROM ({_runs_select(runs)})
GROUP BY day
ORDER BY day"""


def _health_select(runs: Table, busiest_span: str, today: str) -> str:
    """One row of figures; `today` is SQL for the current date (a view has no parameters).

    `busiest_span`: SQL for the busiest span of WINDOW_PLAYS plays (`_busiest_select`).
    """
    return f"""WITH runs AS (
{_runs_select(runs)}
),
pauses AS (SELECT * FROM runs WHERE pause_s IS NOT NULL),
latest AS (SELECT * FROM runs ORDER BY t DESC LIMIT 1),
longest AS (SELECT * FROM pauses ORDER BY pause_s DESC, t LIMIT 1),
busiest AS (
  SELECT span_s, first_played_at AS first_play_at, last_played_at AS last_play_at
  FROM ({busiest_span})
)
SELECT
  (SELECT count(*) FROM runs) AS runs,
  (SELECT {_utc("started_at")} FROM runs ORDER BY t LIMIT 1) AS first_run_at,
  {_utc("latest.finished_at")} AS last_successful_run_at,
  latest.gap_detected AS last_run_found_gap,
  (SELECT round(count(*) / (julianday(date(max(t))) - julianday(date(min(t))) + 1), 2)
    FROM runs) AS runs_per_day,
  longest.pause_s AS longest_pause_s,
  {_utc("longest.previous_started_at")} AS longest_pause_after,
  {_utc("longest.started_at")} AS longest_pause_before,
  (SELECT pause_s FROM pauses ORDER BY pause_s
    LIMIT 1 OFFSET (SELECT (count(*) - 1) / 2 FROM pauses)) AS median_pause_s,
  (SELECT COALESCE(sum(gap_detected), 0) FROM runs) AS gaps,
  date(latest.refresh_token_expires_on) AS refresh_token_expires_on,
  CAST(julianday(date(latest.refresh_token_expires_on)) - julianday({today}) AS INTEGER)
    AS days_until_token_expires,
  busiest.span_s AS longest_safe_interval_s,
  busiest.first_play_at AS busiest_first_play_at,
  busiest.last_play_at AS busiest_last_play_at,
  (SELECT count(*) FROM pauses WHERE pause_s >= busiest.span_s) AS pauses_longer_than_safe
FROM (SELECT 1) AS one
LEFT JOIN latest
LEFT JOIN longest
LEFT JOIN busiest"""


def _busiest_select(connection: Connection, table_prefix: str, *, stored: bool | None) -> str:
    """SQL for the busiest span of WINDOW_PLAYS plays: one `busiest_spans` row, or none.

    None with fewer plays. From the report's table `report_busiest_spans` when `stored`
    (None: when it exists), else from every play merged once (the reference SQL of
    `busiest_spans`: seconds on a long history). No table of plays: no span.
    """
    names = TableNames(table_prefix)
    if stored is None:
        stored = read_table(connection, table_prefix + BUSIEST_TABLE) is not None
    if stored:
        return busiest.BUSIEST.format(spans=names.name(BUSIEST_TABLE))
    try:
        sources = read_sources(connection, table_prefix)
    except LayoutError:
        return NO_SPAN
    spans = busiest.REFERENCE.format(plays=f"(\n{sources.plays}\n)")
    return busiest.BUSIEST.format(spans=f"(\n{spans}\n)")


def _read_runs(connection: Connection, table_prefix: str) -> Table | None:
    return read_table(connection, table_prefix + SYNC_RUNS)


def create_views(connection: Connection, table_prefix: str = "") -> list[str]:
    """Create `sync_runs_per_day` and `sync_health` (with the table prefix), or replace them.

    A view is replaced only when its SQL changed (a new layout, the report's tables created
    since). Returns the names of the views created or replaced: none while the database has no
    `sync_runs` table (the tap writes it from its first run on), nor when they are current.
    """
    runs = _read_runs(connection, table_prefix)
    if runs is None:
        return []
    bodies = {
        "sync_runs_per_day": _per_day_select(runs),
        "sync_health": _health_select(
            runs, _busiest_select(connection, table_prefix, stored=None), "date('now')"
        ),
    }
    wanted = {
        table_prefix + name: f"CREATE VIEW {quote_identifier(table_prefix + name)} AS\n{body}"
        for name, body in bodies.items()
    }
    names = changed_views(connection, wanted)
    for name in names:
        connection.execute(f"DROP VIEW IF EXISTS {quote_identifier(name)}")
        connection.execute(wanted[name])
    if names:
        connection.commit()
    return names


def _as_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def read_health(
    connection: Connection,
    table_prefix: str = "",
    today: date | None = None,
    *,
    stored: bool | None = None,
    per_day: bool = True,
) -> SyncHealth:
    """The sync's health; `today` (default: the current UTC date) counts the token's days.

    `stored`: read the busiest span from the report's tables (None: when they exist), else
    merge every play for it (see `_busiest_select`). `per_day`: read `days` too (another
    pass over the runs; the report counts them per local day instead, see `runs_since`).
    """
    runs = _read_runs(connection, table_prefix)
    busiest_span = _busiest_select(connection, table_prefix, stored=stored)
    if runs is None:
        span = connection.execute(busiest_span).fetchone()
        return SyncHealth(
            0, None, None, None, None, (), None, None, 0, None, None,
            busiest_plays=None if span is None else Span(*span[1:]),
            pauses_longer_than_safe=None,
        )  # fmt: skip
    today_text = (today or date.today()).isoformat()
    cursor = connection.execute(_health_select(runs, busiest_span, "?"), (today_text,))
    row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    days = connection.execute(_per_day_select(runs)).fetchall() if per_day else ()
    return SyncHealth(
        runs=row["runs"],
        first_run_at=row["first_run_at"],
        last_successful_run_at=row["last_successful_run_at"],
        last_run_found_gap=None
        if row["last_run_found_gap"] is None
        else bool(row["last_run_found_gap"]),
        runs_per_day=row["runs_per_day"],
        days=tuple(DayOfRuns(*day) for day in days),
        longest_pause=None
        if row["longest_pause_s"] is None
        else Pause(row["longest_pause_s"], row["longest_pause_after"], row["longest_pause_before"]),
        median_pause_s=row["median_pause_s"],
        gaps=row["gaps"],
        refresh_token_expires_on=_as_date(row["refresh_token_expires_on"]),
        days_until_token_expires=row["days_until_token_expires"],
        busiest_plays=None
        if row["longest_safe_interval_s"] is None
        else Span(
            row["longest_safe_interval_s"],
            row["busiest_first_play_at"],
            row["busiest_last_play_at"],
        ),
        pauses_longer_than_safe=row["pauses_longer_than_safe"]
        if row["longest_safe_interval_s"] is not None
        else None,
    )


def runs_since(
    connection: Connection, since: str, until: str, table_prefix: str = ""
) -> list[RunStart]:
    """The runs started from the UTC instant `since` until `until` (excluded), oldest first.

    The report counts them per local day. None without a `sync_runs` table.
    """
    runs = _read_runs(connection, table_prefix)
    if runs is None:
        return []
    started_at = _instant(runs, "started_at")
    gap = runs.column_expression("gap_detected")
    run_id = quote_identifier("run_id")
    # Through the key index: `run_id` starts with the UTC start (a day more: any offset).
    rows = connection.execute(
        f"SELECT * FROM (\n  SELECT {started_at} AS started_at, COALESCE({gap}, 0)\n"
        f"  FROM {quote_identifier(runs.name)} WHERE {run_id} >= ? AND {run_id} < ?\n)\n"
        "WHERE started_at >= ? AND started_at < ? ORDER BY started_at",
        (_day_after(since, -1), _day_after(until, 1), since, until),
    ).fetchall()
    return [RunStart(started_at, bool(gap)) for started_at, gap in rows]


def _day_after(instant: str, days: int) -> str:
    return (date.fromisoformat(instant[:10]) + timedelta(days=days)).isoformat()


_LATEST_COLUMNS: Sequence[str] = (
    "run_id",
    "started_at",
    "finished_at",
    "gap_detected",
    "bookmark_before",
    "bookmark_after",
    "refresh_token_expires_on",
)


def latest_run(connection: Connection, table_prefix: str = "") -> LatestRun | None:
    """The newest run, read through the `run_id` key index (one row, not the whole table).

    None when the database has no `sync_runs` table or it is empty.
    """
    runs = read_table(connection, table_prefix + SYNC_RUNS)
    if runs is None:
        return None
    columns = ", ".join(runs.column_expression(name) for name in _LATEST_COLUMNS)
    row = connection.execute(
        f"SELECT {columns} FROM {quote_identifier(runs.name)} "
        f"ORDER BY {quote_identifier('run_id')} DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    values = dict(zip(_LATEST_COLUMNS, row, strict=True))
    return LatestRun(
        run_id=values["run_id"],
        started_at=values["started_at"],
        finished_at=values["finished_at"],
        gap_detected=bool(values["gap_detected"]),
        bookmark_before=values["bookmark_before"],
        bookmark_after=values["bookmark_after"],
        refresh_token_expires_on=_as_date(values["refresh_token_expires_on"]),
    )
