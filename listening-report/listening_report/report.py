"""Compute the figures of the report: what the page shows, as plain JSON data.

All figures come from one statement. For the whole history they are read from the
report's tables (`FROM_TABLES`: the aggregates, with each UTC hour's plays turned into
local days, weeks and hours); for a period, from the views' own SQL run as a WITH clause
over the period's plays in `report_plays`; without current tables, over one merge of
every play. `played_at` is turned into local time so that days, weeks, hours and streaks
fall in the report's time zone. Only aggregates leave the database. Artists count as new
in the month of their first play ever, so a period that starts later still knows who was
heard before it.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter

from libsql_access.schema import quote_identifier

from listening_report import genres
from listening_report.aggregates import WEEK_START
from listening_report.health import Span, read_health, runs_since
from listening_report.period import (
    Period,
    aligned,
    local_seconds_sql,
    local_time_sql,
    offset_changes,
    parse_utc,
    utc_text,
)
from listening_report.source_tables import EARLIEST_PLAY, FUTURE_DAYS, GAP_COLUMNS
from listening_report.tables import TableNames
from listening_report.views import (
    QUARTER_SUMS,
    Views,
    floor_div_sql,
    streaks_sql,
    weekday_sql,
)

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

TOPS: dict[str, tuple[str, str, str]] = {
    # list: (view, label column, key column)
    "tracks": ("top_tracks", "track_name", "track_uri"),
    "artists": ("top_artists", "artist_name", "artist_key"),
    "albums": ("top_albums", "album_name", "album_key"),
}
TOP_COLUMNS: dict[str, str] = {
    "tracks": "track_uri, track_name, artist_names, album_name, plays, ms_played",
    "artists": "artist_key, artist_name, plays, ms_played, tracks",
    "albums": "album_key, album_name, artist_names, plays, ms_played, tracks",
}
ORDERS: dict[str, str] = {
    "by_plays": "plays DESC, ms_played DESC",
    "by_minutes": "ms_played DESC, plays DESC",
}
NEW_ARTIST_NAMES = 10
"""How many names of newly heard artists a month lists (the count is always complete)."""
STREAKS_LISTED = 5
HEALTH_DAYS = 30
"""How many local days, up to today, the chart of the sync's runs per day shows."""
LOCAL_MINUTE = "%Y-%m-%d %H:%M"


def _rows(
    connection: Connection, sql: str, params: tuple[t.Any, ...] = ()
) -> list[dict[str, t.Any]]:
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _json_rows(columns: str, source: str) -> str:
    """SQL for one JSON array holding the rows of `source` as objects."""
    fields = ", ".join(f"'{column.strip()}', {column.strip()}" for column in columns.split(","))
    return f"SELECT json_group_array(json_object({fields})) FROM {source}"


def _ranked(kind: str) -> str:
    """SQL for the rows of a top list that rank within N (a parameter) by plays or by minutes."""
    view, label, key = TOPS[kind]
    ranks = ", ".join(
        f"row_number() OVER (ORDER BY {order_by}, {label}, {key}) AS {order}"
        for order, order_by in ORDERS.items()
    )
    source = (
        f"(SELECT {TOP_COLUMNS[kind]}, {ranks} FROM {{{view}}}) "
        f"WHERE {' OR '.join(f'{order} <= ?' for order in ORDERS)}"
    )
    return _json_rows(f"{TOP_COLUMNS[kind]}, {', '.join(ORDERS)}", source)


# Each section is one JSON value; all come from one statement over the period's plays.
SECTIONS: dict[str, str] = {
    "summary": _json_rows("plays, ms_played, tracks, artists, albums, days", "{listening_summary}"),
    "per_day": _json_rows("day, plays, ms_played", "{listening_per_day}"),
    "per_week": _json_rows("week_start, plays, ms_played", "{listening_per_week}"),
    "weekday_hour": _json_rows("weekday, hour, plays, ms_played", "{listening_by_weekday_hour}"),
    "streaks": _json_rows("first_day, last_day, days", "{listening_streaks}"),
    "sources": _json_rows(
        "source, plays, ms_played",
        "(SELECT source, count(*) AS plays, sum(ms_played) AS ms_played FROM {plays} "
        "GROUP BY source ORDER BY source)",
    ),
    **{kind: _ranked(kind) for kind in TOPS},
}


def _sections(views: Views, period: Period) -> tuple[dict[str, str], tuple[str, ...]]:
    """Return the SQL of each section (views named in braces) and their parameters' text.

    Beyond SECTIONS: the period's first and last play (UTC), the artists first heard in
    it (ever) and the gaps with the export's coverage, from the whole-history views.
    """
    where, params = period.plays_where("first_played_at")
    discoveries = (
        "(SELECT artist_name, first_played_at FROM {all_artist_discoveries}"
        f"{' WHERE ' + where if where else ''} ORDER BY first_played_at, artist_key)"
    )
    return {
        "range": "SELECT json_object('first', min(utc_played_at), 'last', max(utc_played_at)) "
        "FROM {plays}",
        **SECTIONS,
        "discoveries": _json_rows("artist_name, first_played_at", discoveries),
        "gaps": _json_rows(
            ", ".join((*GAP_COLUMNS, "status", "plays_filled_in")), "{all_listening_gap_coverage}"
        ),
    }, params


TOP_TABLES: dict[str, tuple[str, str, str]] = {
    # list: (table, its columns as the top view names them, the key as the table names it)
    "tracks": (
        "report_tracks",
        "track_key AS track_uri, track_name, artist_names, album_name, plays, ms_played",
        "track_key",
    ),
    "artists": ("report_artists", TOP_COLUMNS["artists"], "artist_key"),
    "albums": ("report_albums", TOP_COLUMNS["albums"], "album_key"),
}


def _top_from_table(kind: str) -> str:
    """SQL for the rows of a top list within N (a parameter per order) from its table.

    The top N by plays and the top N by minutes come from the table's indexes; ranked
    among themselves they rank as among all (every row ranking higher is one of them).
    """
    table, columns, table_key = TOP_TABLES[kind]
    _, label, key = TOPS[kind]
    candidates = "\n  UNION\n  ".join(
        f"SELECT * FROM (SELECT {columns} FROM {{{table}}} "
        f"ORDER BY {order_by}, {label}, {table_key} LIMIT ?)"
        for order_by in ORDERS.values()
    )
    ranks = ", ".join(
        f"row_number() OVER (ORDER BY {order_by}, {label}, {key}) AS {order}"
        for order, order_by in ORDERS.items()
    )
    return _json_rows(
        f"{TOP_COLUMNS[kind]}, {', '.join(ORDERS)}",
        f"(SELECT *, {ranks} FROM (\n  {candidates}\n))",
    )


def _local_figures(views: Views, minutes: int, local: str) -> list[str]:
    """Return CTEs of the views of days, weeks, hours and streaks in local time.

    They come from the plays per UTC hour (`report_hours`), whose quarters (`minutes` 15)
    or hours (60) fall whole in one local hour; `local` turns the Unix time `t` into local
    seconds.
    """
    if minutes == 60:
        spans = (
            f"SELECT hour * 3600 AS t, {QUARTER_SUMS[0]} AS plays, "
            f"{QUARTER_SUMS[1]} AS ms_played FROM {{report_hours}}"
        )
    else:
        spans = "\n  UNION ALL\n  ".join(
            f"SELECT hour * 3600 + {q * 900} AS t, q{q}_plays AS plays, q{q}_ms_played AS ms_played"
            f" FROM {{report_hours}} WHERE q{q}_plays"
            for q in range(4)
        )
    day = floor_div_sql("hour", 24)
    names = views.names()
    return [
        f"""m_hours AS MATERIALIZED (
  SELECT {floor_div_sql("local", 3600)} AS hour, sum(plays) AS plays, sum(ms_played) AS ms_played
  FROM (SELECT {local} AS local, plays, ms_played FROM (\n  {spans}\n  ))
  GROUP BY 1
)""",
        f"""m_days AS MATERIALIZED (
  SELECT date({day} * 86400, 'unixepoch') AS day, sum(plays) AS plays,
    sum(ms_played) AS ms_played
  FROM m_hours
  GROUP BY {day}
)""",
        f"{names['listening_per_day']} AS (SELECT day, plays, ms_played FROM m_days)",
        f"""{names["listening_per_week"]} AS (
  SELECT {WEEK_START.replace("played_at", "day")} AS week_start, sum(plays) AS plays,
    sum(ms_played) AS ms_played
  FROM m_days
  GROUP BY week_start
)""",
        f"""{names["listening_by_weekday_hour"]} AS (
  SELECT {weekday_sql(day)} AS weekday, hour - {day} * 24 AS hour, sum(plays) AS plays,
    sum(ms_played) AS ms_played
  FROM m_hours
  GROUP BY 1, 2
)""",
        f"{names['listening_streaks']} AS (\n{streaks_sql('SELECT day FROM m_days')}\n)",
        f"""{names["listening_summary"]} AS (
  SELECT
    (SELECT COALESCE(sum(plays), 0) FROM {{report_sources}}) AS plays,
    (SELECT sum(ms_played) FROM {{report_sources}}) AS ms_played,
    (SELECT count(*) FROM {{report_tracks}}) AS tracks,
    (SELECT count(*) FROM {{report_artists}}) AS artists,
    (SELECT count(*) FROM {{report_albums}}) AS albums,
    (SELECT count(*) FROM m_days) AS days
)""",
    ]


FROM_TABLES: dict[str, str] = {
    "range": "SELECT json_object('first', (SELECT min(played_at) FROM {report_plays}),"
    " 'last', (SELECT max(played_at) FROM {report_plays}))",
    **{
        name: SECTIONS[name]
        for name in ("summary", "per_day", "per_week", "weekday_hour", "streaks")
    },
    "sources": _json_rows(
        "source, plays, ms_played",
        "(SELECT source, plays, ms_played FROM {report_sources} ORDER BY source)",
    ),
    **{kind: _top_from_table(kind) for kind in TOPS},
    "discoveries": _json_rows(
        "artist_name, first_played_at",
        "(SELECT first_artist_name AS artist_name, first_played_at FROM {report_artists}"
        " ORDER BY first_played_at, artist_key)",
    ),
    "gaps": _json_rows(
        ", ".join((*GAP_COLUMNS, "status", "plays_filled_in")), "{listening_gap_coverage}"
    ),
}
"""The sections of the whole history, read from the report's tables (see `_local_figures`)."""


TABLES_BOUNDS = """SELECT
  (SELECT min(played_at) FROM {report_plays}) AS first,
  (SELECT max(played_at) FROM {report_plays}) AS last,
  EXISTS (SELECT 1 FROM {report_live} WHERE NOT possible)
    OR EXISTS (SELECT 1 FROM {report_export} WHERE NOT possible) AS impossible"""
"""The first and last play, and whether a stored row is dated where no play can be, read
from the report's tables through their indexes."""


@dataclass(frozen=True)
class StoredTimes:
    """What the report's statement needs to know of the stored times before it runs."""

    changes: list[tuple[dt.datetime, int]]
    """The UTC offsets of the period's time zone from the first to the last play."""
    impossible: bool
    """Whether the database holds plays dated where no play can be (left out)."""
    genres: bool = False
    """Whether the database has the tap's genre table (`artist_genres`)."""


class ReportQueries:
    """Runs the views' SQL for one period.

    On the report's tables when they are current (`tables`), else on the target's tables,
    merging every play (the reference SQL). `now` (default: the current time) decides
    which times lie in the future.
    """

    def __init__(
        self,
        connection: Connection,
        views: Views,
        period: Period,
        *,
        tables: bool,
        now: dt.datetime | None = None,
    ) -> None:
        self.connection = connection
        self.views = views
        self.period = period
        self.tables = tables
        self.names = TableNames(views.prefix)
        self.now = now or dt.datetime.now(dt.timezone.utc)

    @cached_property
    def possible(self) -> tuple[dt.datetime, dt.datetime]:
        """Return the first and the end (exclusive) of the times a play can have."""
        return parse_utc(EARLIEST_PLAY), self.now + dt.timedelta(days=FUTURE_DAYS)

    def _possible(self, utc: str | None) -> dt.datetime:
        """Return a stored instant moved into the possible ones (the offsets need no more)."""
        earliest, latest = self.possible
        moment = _instant(utc) if utc else latest
        return min(max(moment, earliest), latest) if moment else earliest

    def stored_times(self) -> StoredTimes:
        """Read the first and last play and whether impossible times are stored: no merge.

        From the report's tables (`possible` as of their refresh) when they are current;
        else the first and last time of any row of the target's tables.
        """
        if self.tables:
            [bounds] = _rows(self.connection, self.names.fill(TABLES_BOUNDS))
            impossible = bool(bounds["impossible"])
        else:
            [bounds] = _rows(self.connection, self.views.sources.bounds)
            earliest, latest = (utc_text(moment) for moment in self.possible)
            first, last = bounds["first"], bounds["last"]
            impossible = bool(first and first < earliest) or bool(last and last >= latest)
        ends = (self._possible(bounds[end]) for end in ("first", "last"))
        genre_table = self.views.prefix + genres.ARTIST_GENRES
        [(has_genres,)] = self.connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (genre_table,)
        ).fetchall()
        return StoredTimes(
            offset_changes(self.period.timezone, *ends), impossible, genres=bool(has_genres)
        )

    def sections(
        self, top_n: int, changes: list[tuple[dt.datetime, int]], *, with_genres: bool = False
    ) -> dict[str, t.Any]:
        """Return every section, in local time, from one statement.

        The whole history comes from the report's tables (aggregates: a few thousand rows
        read); a period from its plays in `report_plays`; without current tables, from one
        merge of every play. `changes`: see `StoredTimes`. `with_genres`: also the section
        `genres` (see `genres.report_section`), last.
        """
        set_plays = genres.period_set_plays("{plays}")
        genre_params: tuple[t.Any, ...] = ()
        stored = self.tables and self.period.whole and aligned(changes, 15)
        if stored:
            minutes = 60 if aligned(changes, 60) else 15
            local, genre_params = local_seconds_sql("t", changes)
            with_clause = "WITH " + ",\n".join(_local_figures(self.views, minutes, local)) + "\n"
            sections = FROM_TABLES
            params = genre_params + (top_n,) * len(ORDERS) * len(TOPS)
            # The genres read `t` of report_artist_sets, turned into local time the same way.
            set_plays = (
                f"SELECT strftime('%Y-%m', {local}, 'unixepoch') AS month, artists, plays,"
                " ms_played FROM {report_artist_sets}"
            )
        else:
            local, local_params = local_time_sql("played_at", changes)
            where, where_params = self.period.plays_where()
            sections, discoveries_params = _sections(self.views, self.period)
            # Parameters in text order: the local time, the period, then each top list's N,
            # then the period of discoveries.
            params = (
                local_params
                + where_params
                + (top_n,) * len(ORDERS) * len(TOPS)
                + discoveries_params
            )
            with_clause = self.views.report_with_clause(where, played_at=local, stored=self.tables)
        if with_genres:
            sections = {**sections, "genres": genres.report_section(set_plays, stored=stored)}
            params += genre_params + (top_n,) * (1 + len(ORDERS))
        sql = "\nUNION ALL ".join(f"SELECT '{name}', ({body})" for name, body in sections.items())
        statement = self.names.fill(
            with_clause + sql,
            **self.views.names(),
            artist_genres=quote_identifier(self.views.prefix + genres.ARTIST_GENRES),
        )
        rows = _rows(self.connection, statement, params)
        return {name: json.loads(value) for name, value in (row.values() for row in rows)}

    def local(self, utc: str | None) -> str | None:
        """Return a UTC instant as local `YYYY-MM-DD HH:MM`; one out of the calendar as stored."""
        if not utc:
            return None
        try:
            return self.period.local(utc).strftime(LOCAL_MINUTE)
        except (ValueError, OverflowError):  # year 0, or 0001/9999 shifted past the calendar
            return utc


def _instant(utc: str) -> dt.datetime | None:
    """Return the instant of a view's UTC text, or None when no datetime can hold it."""
    try:
        return parse_utc(utc)
    except ValueError:
        return None


def tops(rows: list[dict[str, t.Any]], top_n: int) -> dict[str, list[dict[str, t.Any]]]:
    """Split the ranked rows of a top list into the top N by plays and by minutes."""
    return {
        order: [
            {name: value for name, value in row.items() if name not in ORDERS}
            for row in sorted(rows, key=itemgetter(order))
            if row[order] <= top_n
        ]
        for order in ORDERS
    }


def listening_over_time(sections: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return plays per local day and week, the weekday x hour heatmap and the streaks.

    per_day and per_week rows are `[date, plays, ms_played]` (weeks start on Monday);
    the heatmap is two 7 x 24 matrices (Monday first, hours 0-23).
    """
    result: dict[str, t.Any] = {
        name: sorted(list(row.values()) for row in sections[name])
        for name in ("per_day", "per_week")
    }
    heatmap = {"plays": [[0] * 24 for _ in range(7)], "ms_played": [[0] * 24 for _ in range(7)]}
    for cell in sections["weekday_hour"]:
        for measure, matrix in heatmap.items():
            matrix[cell["weekday"]][cell["hour"]] = cell[measure]
    result["weekday_hour"] = heatmap
    # Longest first, and among equals the latest first, as the view orders them.
    by_end = sorted(sections["streaks"], key=lambda run: run["last_day"], reverse=True)
    longest = sorted(by_end, key=lambda run: run["days"], reverse=True)
    result["streaks"] = {"longest": longest[:STREAKS_LISTED], "latest": next(iter(by_end), None)}
    return result


def new_artists(
    queries: ReportQueries, discoveries: list[dict[str, t.Any]]
) -> list[dict[str, t.Any]]:
    """Return, per local month of the period, the artists first heard then (ever)."""
    months: dict[str, dict[str, t.Any]] = {}
    for row in discoveries:
        month = queries.period.local(row["first_played_at"]).strftime("%Y-%m")
        entry = months.setdefault(month, {"month": month, "count": 0, "first_names": []})
        entry["count"] += 1
        if len(entry["first_names"]) < NEW_ARTIST_NAMES:
            entry["first_names"].append(row["artist_name"])
    return list(months.values())


def listening_gaps(
    queries: ReportQueries, coverage: list[dict[str, t.Any]]
) -> list[dict[str, t.Any]]:
    """Return the gaps the tap reported that touch the period, oldest first.

    Plays between `bookmark` (the newest play already stored) and
    `oldest_returned_played_at` (the oldest play Spotify still listed) may be lost, unless
    the export covers the gap (`status`: covered, partly covered or open).
    """
    since, until = queries.period.since, queries.period.until
    gaps = []
    for row in coverage:
        start, end = (_instant(row[name]) if row[name] else None for name in GAP_COLUMNS[1:])
        if (end and since and end < since) or (start and until and start >= until):
            continue
        gap: dict[str, str | int | None] = {name: queries.local(row[name]) for name in GAP_COLUMNS}
        gap["minutes"] = round((end - start).total_seconds() / 60) if start and end else None
        gap["status"] = row["status"]
        gap["plays_filled_in"] = row["plays_filled_in"]
        gaps.append(gap)
    return gaps


def genre_figures(section: dict[str, t.Any], top_n: int) -> dict[str, t.Any]:
    """Return the genre figures: tops, plays without a genre, and genres per local month.

    `per_month` lists the local months with plays, and for each genre shown over time (the
    top N by listening time), then `null` (plays with genres, none of them shown) and the
    plays without a genre (`genres.NO_GENRE`, `genres.NOT_LOOKED_UP`), its plays and
    listening time per month (0 when none). A play counts once for each genre of its
    artists, so a month's rows add up to more than its plays.
    """
    rows: list[list[t.Any]] = section["per_month"]
    months = sorted({month for month, *_ in rows})
    shown = [row["genre"] for row in tops(section["top"], top_n)["by_minutes"]]
    order = [*shown, None, genres.NO_GENRE, genres.NOT_LOOKED_UP]
    index = {month: i for i, month in enumerate(months)}
    series = {
        genre: {"plays": [0] * len(months), "ms_played": [0] * len(months)} for genre in order
    }
    for month, genre, plays, ms_played in rows:
        series[genre]["plays"][index[month]] = plays
        series[genre]["ms_played"][index[month]] = ms_played
    return {
        "top": tops(section["top"], top_n),
        "without": {row.pop("genre"): row for row in section["without"]},
        "genres": section["genres"],
        "per_month": {
            "months": months,
            "rows": [
                {"genre": genre, **series[genre]} for genre in order if any(series[genre]["plays"])
            ],
        },
    }


def _span(queries: ReportQueries, span: Span | None) -> dict[str, t.Any] | None:
    if span is None:
        return None
    return {
        "seconds": span.seconds,
        "first_play": queries.local(span.first_play_at),
        "last_play": queries.local(span.last_play_at),
    }


def sync_health(queries: ReportQueries) -> dict[str, t.Any]:
    """Return the "Sync health" section, in the report's time zone, whatever the period.

    `busiest`: how long the busiest 50 consecutive plays lasted (the longest safe interval
    between runs; None with fewer plays). `runs`: None while no run is recorded (no
    `sync_runs` table: the tap wrote none yet, or an older tap), else the figures of
    `health.read_health`, the token's days counted from the local today, and the runs per
    local day over the last HEALTH_DAYS days, `[day, runs, runs that found a gap]`.
    """
    zone = queries.period.timezone
    today = queries.now.astimezone(zone).date()
    health = read_health(
        queries.connection, queries.views.prefix, today, stored=queries.tables, per_day=False
    )
    section: dict[str, t.Any] = {"busiest": _span(queries, health.busiest_plays), "runs": None}
    if not health.runs:
        return section
    first_day = today - dt.timedelta(days=HEALTH_DAYS - 1)
    since, until = (
        dt.datetime.combine(day, dt.time(), tzinfo=zone)
        for day in (first_day, today + dt.timedelta(days=1))
    )
    per_day = {(first_day + dt.timedelta(days=n)).isoformat(): [0, 0] for n in range(HEALTH_DAYS)}
    for run in runs_since(
        queries.connection, utc_text(since), utc_text(until), queries.views.prefix
    ):
        counts = per_day.get(queries.period.local(run.started_at).date().isoformat())
        if counts is not None:  # a midnight that a time zone skips may shift a bound
            counts[0] += 1
            counts[1] += run.gap_detected
    pause = health.longest_pause
    section["runs"] = {
        "count": health.runs,
        "first_run": queries.local(health.first_run_at),
        "last_successful_run": queries.local(health.last_successful_run_at),
        "last_run_found_gap": health.last_run_found_gap,
        "runs_per_day": health.runs_per_day,
        "median_pause_s": health.median_pause_s,
        "longest_pause": None
        if pause is None
        else {
            "seconds": pause.seconds,
            "after": queries.local(pause.after_run_at),
            "before": queries.local(pause.before_run_at),
        },
        "pauses_longer_than_safe": health.pauses_longer_than_safe,
        "gaps": health.gaps,
        "token_expires_on": None
        if health.refresh_token_expires_on is None
        else health.refresh_token_expires_on.isoformat(),
        "token_days_left": health.days_until_token_expires,
        "per_day": [[day, *counts] for day, counts in per_day.items()],
    }
    return section


def build_report(
    connection: Connection,
    views: Views,
    period: Period,
    top_n: int,
    *,
    tables: bool,
    stored: StoredTimes | None = None,
    now: dt.datetime | None = None,
) -> dict[str, t.Any]:
    """Return every figure the HTML report shows, as JSON-ready data.

    `tables`: the report's tables are current (see `refresh`); else the figures come from
    the target's tables, merging every play (slower, the same figures). `stored`: what
    `ReportQueries.stored_times` read, if known, so that the report's one statement is
    the first on `connection`. `now`: see `ReportQueries`.
    """
    queries = ReportQueries(connection, views, period, tables=tables, now=now)
    stored = stored or queries.stored_times()
    sections = queries.sections(top_n, stored.changes, with_genres=stored.genres)
    [summary] = sections["summary"]
    earliest, latest = queries.possible
    # Plays dated before Spotify or in the future, in the database and left out (rarely).
    impossible = {"before": earliest.date().isoformat(), "after": f"{latest:%Y-%m-%d %H:%M} UTC"}
    return {
        **({"impossible_times": impossible} if stored.impossible else {}),
        "timezone": period.timezone.key,
        "since": period.since.isoformat() if period.since else None,
        "until": period.until.isoformat() if period.until else None,
        "top_n": top_n,
        "totals": {
            **summary,
            "ms_played": summary["ms_played"] or 0,
            "first_play": queries.local(sections["range"]["first"]),
            "last_play": queries.local(sections["range"]["last"]),
        },
        # Plays per source: recently_played (live only), streaming_history (export only), both.
        "sources": {row.pop("source"): row for row in sections["sources"]},
        "top": {kind: tops(sections[kind], top_n) for kind in TOPS},
        **listening_over_time(sections),
        "new_artists": new_artists(queries, sections["discoveries"]),
        "gaps": listening_gaps(queries, sections["gaps"]),
        # Only with the tap's genre table: without it the page says how to turn genres on.
        **({"genres": genre_figures(sections["genres"], top_n)} if stored.genres else {}),
        "health": sync_health(queries),
    }
