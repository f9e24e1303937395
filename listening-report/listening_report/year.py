"""Your year in review: the figures of one page per calendar year, and of this year so far.

A year runs from local midnight on 1 January to local midnight on the next, in the report's
time zone: a play at 23:30 on 31 December counts for that year wherever UTC puts it. Each
year's figures come from one statement over the report's tables: the year's plays in
`report_plays` through its index of play times (covering: time, track, length), their
credits in `report_play_artists` by key, the names in `report_tracks`/`_artists`/`_albums`,
and the artists first heard that year from `report_artists` through its index of first
plays. No merge, no play outside the year read (a year of 30,000 plays: see the README's
Performance). The figures mean what the report's mean: tops by plays, then minutes, then
name; days, hours and streaks local; artists discovered = first play ever in the year.

Each year is compared with the year before; the current year, so far (up to today, included)
with the same days of the year before (1 January to the same date, included).
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from libsql_access.schema import quote_identifier, table_columns

from listening_report.genres import ARTIST_GENRES
from listening_report.genres import BODIES as GENRE_BODIES
from listening_report.period import Period, local_time_sql, parse_utc, utc_text
from listening_report.tables import TableNames
from listening_report.views import streaks_sql

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

TOP = 5
"""How many tracks, artists, albums and genres a year lists."""
DISCOVERED_NAMES = 10
"""How many names of the artists discovered in a year the page lists (the count is complete)."""
LOCAL_DAY = "%Y-%m-%d"


@dataclass(frozen=True)
class YearSpan:
    """The plays of one calendar year in `zone`: from `since` until `until`, local midnights."""

    year: int
    zone: ZoneInfo
    since: dt.datetime
    until: dt.datetime
    so_far: bool
    """The current year: `until` is the end of today."""

    @property
    def period(self) -> Period:
        """The span as a period of the report."""
        return Period(self.zone, self.since, self.until)

    @property
    def last_day(self) -> str:
        """The last local day the span covers (for the current year: today)."""
        return (self.until.date() - dt.timedelta(days=1)).strftime(LOCAL_DAY)


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def year_span(year: int, zone: ZoneInfo, now: dt.datetime) -> YearSpan:
    """Return the span of `year` in `zone`: the whole year, or up to today while it lasts."""
    since, end = _midnight(dt.date(year, 1, 1), zone), _midnight(dt.date(year + 1, 1, 1), zone)
    if not since <= now < end:
        return YearSpan(year, zone, since, end, so_far=False)
    tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
    return YearSpan(year, zone, since, _midnight(tomorrow, zone), so_far=True)


def year_before(span: YearSpan) -> YearSpan:
    """Return what `span` is compared with: the year before, up to the same date."""
    since = _midnight(dt.date(span.year - 1, 1, 1), span.zone)
    if not span.so_far:
        return YearSpan(span.year - 1, span.zone, since, span.since, so_far=False)
    last = dt.date.fromisoformat(span.last_day)
    day = min(last.day, 28) if last.month == 2 else last.day  # from 29 February
    until = last.replace(year=span.year - 1, day=day) + dt.timedelta(days=1)
    return YearSpan(span.year - 1, span.zone, since, _midnight(until, span.zone), so_far=True)


IN_YEAR = "played_at >= ? AND played_at < ?"
FIRST_IN_YEAR = IN_YEAR.replace("played_at", "first_played_at")


def _best(rows: str, key: str) -> str:
    """SQL for the row of `rows` listened to longest (most played, then first, among equals)."""
    return (
        f"SELECT json_object('{key}', {key}, 'plays', plays, 'ms_played', ms_played) FROM ({rows})"
        f" ORDER BY ms_played DESC, plays DESC, {key} LIMIT 1"
    )


def _top(columns: dict[str, str], counts: str, table: str, key: str, label: str) -> str:
    """SQL for the year's top TOP of a list: `counts` (per `key`) named from `table`."""
    selected = ", ".join(f"{value} AS {name}" for name, value in columns.items())
    fields = ", ".join(f"'{name}', {name}" for name in columns)
    return f"""SELECT json_group_array(json_object({fields})) FROM (
  SELECT {selected} FROM ({counts}) AS y JOIN {table} AS n USING ({key})
  ORDER BY y.plays DESC, y.ms_played DESC, n.{label}, {key} LIMIT ?
)"""


TOTALS = {"plays": "y.plays", "ms_played": "y.ms_played"}

YEAR_SQL = {
    # name: (SQL of one JSON value, the parameters it takes: y the year's bounds, n TOP,
    # d DISCOVERED_NAMES)
    "best_day": (_best("SELECT * FROM m_days", "day"), ""),
    "best_month": (
        _best(
            "SELECT substr(day, 1, 7) AS month, sum(plays) AS plays, sum(ms_played) AS ms_played"
            " FROM m_days GROUP BY month",
            "month",
        ),
        "",
    ),
    "top_hour": (
        _best(
            "SELECT CAST(substr(played_at, 12, 2) AS INTEGER) AS hour, count(*) AS plays,"
            " sum(ms_played) AS ms_played FROM m_plays GROUP BY hour",
            "hour",
        ),
        "",
    ),
    "longest_streak": (
        "SELECT json_object('first_day', first_day, 'last_day', last_day, 'days', days)"
        f" FROM ({streaks_sql('SELECT day FROM m_days')}) LIMIT 1",
        "",
    ),
    "totals": (
        "SELECT json_object('plays', COALESCE(sum(plays), 0), 'ms_played',"
        " COALESCE(sum(ms_played), 0)) FROM m_days",
        "",
    ),
    "tracks": (
        _top(
            {
                "track_uri": "track_key",
                "track_name": "n.track_name",
                "artist_names": "n.artist_names",
                "album_name": "n.album_name",
                **TOTALS,
            },
            "SELECT track_key, count(*) AS plays, sum(ms_played) AS ms_played"
            f" FROM {{report_plays}} WHERE {IN_YEAR} GROUP BY track_key",
            "{report_tracks}",
            "track_key",
            "track_name",
        ),
        "yn",
    ),
    "artists": (
        _top(
            {
                "artist_key": "artist_key",
                "artist_name": "n.artist_name",
                **TOTALS,
                "tracks": "y.tracks",
            },
            "SELECT a.artist_key, count(*) AS plays, sum(a.ms_played) AS ms_played,"
            " count(DISTINCT a.track_key) AS tracks"
            " FROM {report_plays} AS p JOIN {report_play_artists} AS a ON a.play_key = p.play_key"
            f" WHERE p.{IN_YEAR.replace('AND ', 'AND p.')} AND a.artist_key IS NOT NULL"
            " GROUP BY a.artist_key",
            "{report_artists}",
            "artist_key",
            "artist_name",
        ),
        "yn",
    ),
    "albums": (
        _top(
            {
                "album_key": "album_key",
                "album_name": "n.album_name",
                "artist_names": "n.artist_names",
                **TOTALS,
                "tracks": "y.tracks",
            },
            "SELECT album_key, count(*) AS plays, sum(ms_played) AS ms_played,"
            " count(DISTINCT track_key) AS tracks"
            f" FROM {{report_plays}} WHERE {IN_YEAR} AND album_key IS NOT NULL GROUP BY album_key",
            "{report_albums}",
            "album_key",
            "album_name",
        ),
        "yn",
    ),
    "discovered": (
        "SELECT json_object('count', (SELECT count(*) FROM {report_artists}"
        f" WHERE {FIRST_IN_YEAR}), 'first_names', (SELECT json_group_array(first_artist_name)"
        " FROM (SELECT first_artist_name FROM {report_artists}"
        f" WHERE {FIRST_IN_YEAR} ORDER BY first_played_at, artist_key LIMIT ?)))",
        "yyd",
    ),
}
"""Each figure of a year, from `m_plays` (its plays, local time) and `m_days` (its days)."""


def year_statement(prefix: str, local: str) -> str:
    """Return the one statement reading a year's figures (see `YEAR_SQL` for its parameters).

    `local`: SQL turning `played_at` into local time (`period.local_time_sql`).
    """
    selects = ",\n".join(f"({sql}) AS {name}" for name, (sql, _) in YEAR_SQL.items())
    return TableNames(prefix).fill(
        f"""WITH m_plays AS MATERIALIZED (
  SELECT {{local}} AS played_at, ms_played FROM {{report_plays}} WHERE {IN_YEAR}
),
m_days AS MATERIALIZED (
  SELECT substr(played_at, 1, 10) AS day, count(*) AS plays, sum(ms_played) AS ms_played
  FROM m_plays GROUP BY day
)
SELECT {selects}""",
        local=local,
    )


GENRES_SQL = """SELECT json_group_array(json_object('genre', genre, 'plays', plays,
  'ms_played', ms_played))
FROM (SELECT * FROM ({top_genres}) LIMIT ?)"""
"""The year's top genres by the counting rule of `genres.play_genres`, over its credits."""


def top_genres(connection: Connection, prefix: str, period: Period) -> list[dict[str, t.Any]]:
    """Return the top genres of `period`'s plays (the `top_genres` view over them)."""
    tables = TableNames(prefix)
    where, params = period.plays_where()
    credits = (
        f"(SELECT * FROM {tables.name('report_play_artists')} WHERE play_key IN "
        f"(SELECT play_key FROM {tables.name('report_plays')} WHERE {where}))"
    )
    play_genres = GENRE_BODIES["play_genres"].format(
        play_artists=credits, artist_genres=quote_identifier(prefix + ARTIST_GENRES)
    )
    top = GENRE_BODIES["top_genres"].format(play_genres=f"({play_genres})")
    [[rows]] = connection.execute(GENRES_SQL.format(top_genres=top), (*params, TOP)).fetchall()
    return json.loads(rows)


@dataclass(frozen=True)
class YearPages:
    """Reads the figures of every year's page from the report's tables (they must be current).

    `changes`: the time zone's UTC offsets over the plays (`StoredTimes.changes`).
    """

    connection: Connection
    prefix: str
    changes: list[tuple[dt.datetime, int]]

    def figures(self, span: YearSpan) -> dict[str, t.Any]:
        """Return the figures of the plays in `span`."""
        local, local_params = local_time_sql("played_at", self.changes)
        bounds = tuple(utc_text(moment) for moment in (span.since, span.until))
        params: tuple[t.Any, ...] = (*local_params, *bounds)
        limits = {"n": (TOP,), "d": (DISCOVERED_NAMES,)}
        for _, takes in YEAR_SQL.values():
            params += tuple(value for kind in takes for value in limits.get(kind, bounds))
        cursor = self.connection.execute(year_statement(self.prefix, local), params)
        names = [column[0] for column in cursor.description]
        values = {
            name: json.loads(value) for name, value in zip(names, cursor.fetchone(), strict=True)
        }
        totals = values.pop("totals")
        tops = {kind: values.pop(kind) for kind in ("tracks", "artists", "albums")}
        return {**totals, "top": tops, **values}

    def build(
        self, first: str, last: str, zone: ZoneInfo, now: dt.datetime
    ) -> list[dict[str, t.Any]]:
        """Return each year's page data, oldest first, from the year of play `first` to `last`'s.

        `first` and `last` are UTC text; a year without plays gets no page.
        """
        genres = bool(table_columns(self.connection, self.prefix + ARTIST_GENRES))
        local_years = range(
            parse_utc(first).astimezone(zone).year, parse_utc(last).astimezone(zone).year + 1
        )
        pages: list[dict[str, t.Any]] = []
        previous: dict[str, t.Any] | None = None
        for year in local_years:
            span = year_span(year, zone, now)
            current = self.figures(span)
            if not current["plays"]:
                previous = None
                continue
            before = year_before(span)
            if span.so_far and previous is not None:
                previous = self.figures(before)
            pages.append(
                {
                    "year": year,
                    "so_far": span.so_far,
                    "last_day": span.last_day,
                    "timezone": zone.key,
                    **current,
                    "genres": top_genres(self.connection, self.prefix, span.period)
                    if genres
                    else None,
                    "previous": None
                    if previous is None
                    else {"year": before.year, "last_day": before.last_day, **_compared(previous)},
                }
            )
            previous = current
        return pages


def _compared(figures: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return the figures a page compares with: all but the lists."""
    return {
        name: value["count"] if name == "discovered" else value
        for name, value in figures.items()
        if name != "top"
    }


def year_pages(
    connection: Connection,
    prefix: str,
    zone: ZoneInfo,
    changes: list[tuple[dt.datetime, int]],
    now: dt.datetime | None = None,
) -> list[dict[str, t.Any]]:
    """Return the data of every year's page (see `YearPages`), oldest first.

    `changes`: `StoredTimes.changes` for `zone`. `now` (default: the current time) decides
    which year is the current one, so far.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    first, last = connection.execute(
        TableNames(prefix).fill("SELECT min(played_at), max(played_at) FROM {report_plays}")
    ).fetchone()
    if first is None:
        return []
    return YearPages(connection, prefix, changes).build(first, last, zone, now)
