"""Compute the figures of the report: what the page shows, as plain JSON data.

Tops and totals come from the views' own SQL over the plays of the period. Days,
weeks and hours are bucketed here, in the report's time zone (the views can only
use UTC). Artists count as new in the month of their first play ever, so a
period that starts later still knows who was heard before it.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections import defaultdict

from listening_report.layout import (
    LISTENING_GAPS,
    normalized_instant,
    quote_identifier,
    read_table,
)
from listening_report.period import Period, parse_utc
from listening_report.views import VIEW_NAMES, Views

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
LOCAL_MINUTE = "%Y-%m-%d %H:%M"


def _rows(connection: t.Any, sql: str, params: tuple[t.Any, ...] = ()) -> list[dict[str, t.Any]]:
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


class ReportQueries:
    """Runs the views' SQL for one period, whether or not the views exist in the database."""

    def __init__(self, connection: t.Any, views: Views, period: Period) -> None:
        self.connection = connection
        self.views = views
        self.period = period
        where, self.params = period.plays_where()
        self.with_period = views.with_clause(where)
        self.with_all = views.with_clause()

    def rows(self, sql: str, params: tuple[t.Any, ...] = (), *, whole_history: bool = False) -> list:
        """Run `sql` (views named in braces) over the period's plays, or over all of them."""
        names = {view: self.views.name(view) for view in VIEW_NAMES}
        prefix, bound = (self.with_all, ()) if whole_history else (self.with_period, self.params)
        return _rows(self.connection, prefix + sql.format(**names), bound + params)


def tops(queries: ReportQueries, top_n: int) -> dict[str, dict[str, list[dict[str, t.Any]]]]:
    """Return the top `top_n` tracks, artists and albums, by plays and by minutes."""
    result: dict[str, dict[str, list[dict[str, t.Any]]]] = {}
    for kind, (view, label, key) in TOPS.items():
        result[kind] = {
            order: queries.rows(
                f"SELECT {TOP_COLUMNS[kind]} FROM {{{view}}} "
                f"ORDER BY {order_by}, {label}, {key} LIMIT ?",
                (top_n,),
            )
            for order, order_by in ORDERS.items()
        }
    return result


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def listening_over_time(plays: list[tuple[dt.datetime, int]]) -> dict[str, t.Any]:
    """Bucket local play times into days, weeks (from Monday) and weekday × hour.

    Returns per_day and per_week rows `[date, plays, ms_played]`, and the heatmap
    as 7 × 24 matrices (Monday first, hours 0-23) of plays and of ms_played.
    """
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    per_week: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    heat_plays = [[0] * 24 for _ in range(7)]
    heat_ms = [[0] * 24 for _ in range(7)]
    for moment, ms_played in plays:
        day = moment.date()
        for bucket in (per_day[day], per_week[_week_start(day)]):
            bucket[0] += 1
            bucket[1] += ms_played
        heat_plays[day.weekday()][moment.hour] += 1
        heat_ms[day.weekday()][moment.hour] += ms_played
    return {
        "per_day": [[day.isoformat(), *per_day[day]] for day in sorted(per_day)],
        "per_week": [[week.isoformat(), *per_week[week]] for week in sorted(per_week)],
        "weekday_hour": {"plays": heat_plays, "ms_played": heat_ms},
    }


def streaks(days: list[dt.date]) -> dict[str, t.Any]:
    """Return runs of consecutive listening days: the longest ones and the latest one."""
    runs: list[dict[str, t.Any]] = []
    for day in sorted(set(days)):
        if runs and day - dt.date.fromisoformat(runs[-1]["last_day"]) == dt.timedelta(days=1):
            runs[-1]["last_day"] = day.isoformat()
            runs[-1]["days"] += 1
        else:
            runs.append({"first_day": day.isoformat(), "last_day": day.isoformat(), "days": 1})
    longest = sorted(runs, key=lambda run: (-run["days"], _negated(run["last_day"])))
    return {
        "longest": longest[:STREAKS_LISTED],
        "latest": runs[-1] if runs else None,
    }


def _negated(iso_day: str) -> int:
    """Sort key putting later days first."""
    return -dt.date.fromisoformat(iso_day).toordinal()


def new_artists(queries: ReportQueries) -> list[dict[str, t.Any]]:
    """Return, per local month of the period, the artists first heard then (ever)."""
    months: dict[str, dict[str, t.Any]] = {}
    discoveries = queries.rows(
        "SELECT artist_name, first_played_at FROM {artist_discoveries} "
        "ORDER BY first_played_at, artist_key",
        whole_history=True,
    )
    for row in discoveries:
        first = parse_utc(row["first_played_at"])
        if not queries.period.contains(first):
            continue
        month = first.astimezone(queries.period.timezone).strftime("%Y-%m")
        entry = months.setdefault(month, {"month": month, "count": 0, "first_names": []})
        entry["count"] += 1
        if len(entry["first_names"]) < NEW_ARTIST_NAMES:
            entry["first_names"].append(row["artist_name"])
    return [months[month] for month in sorted(months)]


def listening_gaps(connection: t.Any, table_prefix: str, period: Period) -> list[dict[str, t.Any]]:
    """Return the gaps the tap reported that touch the period, oldest first.

    Plays between `bookmark` (the newest play already stored) and
    `oldest_returned_played_at` (the oldest play Spotify still listed) may be lost.
    """
    table = read_table(connection, table_prefix + LISTENING_GAPS)
    if table is None:
        return []
    names = ("detected_at", "bookmark", "oldest_returned_played_at")
    columns = ", ".join(
        f"{normalized_instant(table.column_expression(name))} AS {name}" for name in names
    )
    gaps = []
    for row in _rows(connection, f"SELECT {columns} FROM {quote_identifier(table.name)}"):
        start, end = (parse_utc(row[n]) if row[n] else None for n in names[1:])
        if (end is not None and period.since is not None and end < period.since) or (
            start is not None and period.until is not None and start >= period.until
        ):
            continue
        gap = {name: _local(period, row[name]) for name in names}
        gap["hours"] = round((end - start).total_seconds() / 3600, 1) if start and end else None
        gaps.append(gap)
    return sorted(gaps, key=lambda gap: (gap["bookmark"] or "", gap["detected_at"] or ""))


def _local(period: Period, text: str | None) -> str | None:
    return period.local(text).strftime(LOCAL_MINUTE) if text else None


def build_report(
    connection: t.Any, views: Views, period: Period, top_n: int, table_prefix: str = ""
) -> dict[str, t.Any]:
    """Return every figure the HTML report shows, as JSON-ready data."""
    queries = ReportQueries(connection, views, period)
    [summary] = queries.rows(
        "SELECT plays, ms_played, tracks, artists, albums, first_played_at, last_played_at "
        "FROM {listening_summary}"
    )
    plays = [
        (period.local(row["played_at"]), row["ms_played"])
        for row in queries.rows("SELECT played_at, ms_played FROM {plays} ORDER BY played_at")
    ]
    over_time = listening_over_time(plays)
    days = [moment.date() for moment, _ in plays]
    return {
        "timezone": period.timezone.key,
        "since": period.since.isoformat() if period.since else None,
        "until": period.until.isoformat() if period.until else None,
        "top_n": top_n,
        "totals": {
            "plays": summary["plays"],
            "ms_played": summary["ms_played"] or 0,
            "tracks": summary["tracks"],
            "artists": summary["artists"],
            "albums": summary["albums"],
            "days": len(set(days)),
            "first_play": _local(period, summary["first_played_at"]),
            "last_play": _local(period, summary["last_played_at"]),
        },
        "top": tops(queries, top_n),
        **over_time,
        "streaks": streaks(days),
        "new_artists": new_artists(queries),
        "gaps": listening_gaps(connection, table_prefix, period),
    }
