"""Compute the figures of the report: what the page shows, as plain JSON data.

Every figure comes from the views' own SQL, run as a WITH clause over the plays of
the period, with `played_at` turned into local time so that the views' days, weeks,
hours and streaks fall in the report's time zone. Only aggregates leave the
database. Artists count as new in the month of their first play ever, so a period
that starts later still knows who was heard before it.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from functools import cached_property

from listening_report.layout import EARLIEST_PLAY, FUTURE_DAYS, GAP_COLUMNS
from listening_report.period import Period, local_time_sql, offset_changes, parse_utc, utc_text
from listening_report.views import Views

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


class ReportQueries:
    """Runs the views' SQL for one period, whether or not the views exist in the database."""

    def __init__(self, connection: t.Any, views: Views, period: Period) -> None:
        self.connection = connection
        self.views = views
        self.period = period

    @cached_property
    def stored_range(self) -> tuple[str | None, str | None]:
        """Return the first and last play of any source (UTC text): a cheap query, no merge."""
        [bounds] = _rows(self.connection, self.views.sources.bounds)
        return bounds["first"], bounds["last"]

    @cached_property
    def possible(self) -> tuple[dt.datetime, dt.datetime]:
        """Return the first and the end (exclusive) of the times a play can have."""
        now = dt.datetime.now(dt.timezone.utc)
        return parse_utc(EARLIEST_PLAY), now + dt.timedelta(days=FUTURE_DAYS)

    def impossible_times(self) -> bool:
        """Tell whether the database holds plays dated where no play can be (left out)."""
        earliest, latest = (utc_text(moment) for moment in self.possible)
        first, last = self.stored_range
        return bool(first and first < earliest) or bool(last and last >= latest)

    def _possible(self, utc: str | None) -> dt.datetime:
        """Return a stored instant moved into the possible ones (the offsets need no more)."""
        earliest, latest = self.possible
        moment = _instant(utc) if utc else latest
        return min(max(moment, earliest), latest) if moment else earliest

    def sections(self, top_n: int) -> dict[str, t.Any]:
        """Return every section, in local time, from one statement that merges the plays once.

        The UTC offsets to apply come from the first and last play of any source that can be.
        """
        changes = offset_changes(self.period.timezone, *map(self._possible, self.stored_range))
        local, local_params = local_time_sql("played_at", changes)
        where, where_params = self.period.plays_where()
        sections, discoveries_params = _sections(self.views, self.period)
        sql = "\nUNION ALL ".join(f"SELECT '{name}', ({body})" for name, body in sections.items())
        # Parameters in text order: the local time, the period, then each top list's N, then
        # the period of discoveries.
        params = (
            local_params + where_params + (top_n,) * len(ORDERS) * len(TOPS) + discoveries_params
        )
        with_clause = self.views.report_with_clause(where, played_at=local)
        rows = _rows(self.connection, with_clause + sql.format(**self.views.names()), params)
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
            for row in sorted(rows, key=lambda row, order=order: row[order])
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
        gap = {name: queries.local(row[name]) for name in GAP_COLUMNS}
        gap["minutes"] = round((end - start).total_seconds() / 60) if start and end else None
        gap["status"] = row["status"]
        gap["plays_filled_in"] = row["plays_filled_in"]
        gaps.append(gap)
    return gaps


def build_report(connection: t.Any, views: Views, period: Period, top_n: int) -> dict[str, t.Any]:
    """Return every figure the HTML report shows, as JSON-ready data."""
    queries = ReportQueries(connection, views, period)
    sections = queries.sections(top_n)
    [summary] = sections["summary"]
    earliest, latest = queries.possible
    # Plays dated before Spotify or in the future, in the database and left out (rarely).
    impossible = {"before": earliest.date().isoformat(), "after": f"{latest:%Y-%m-%d %H:%M} UTC"}
    return {
        **({"impossible_times": impossible} if queries.impossible_times() else {}),
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
    }
