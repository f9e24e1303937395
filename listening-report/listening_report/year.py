"""Your year in review: the figures of one page per calendar year, and of this year so far.

A year is a period of the report (`report.build_report` over the year's plays in
`report_plays`, through its index of play times): from local midnight on 1 January to local
midnight on the next, in the report's time zone, so a play at 23:30 on 31 December counts for
that year wherever UTC puts it. Its figures mean what the report's mean; artists discovered in
a year are those whose first play ever falls in it. Each year is compared with the year
before, and the current year (so far) with the same span of the year before (1 January to the
same date and time), not with a whole year.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from listening_report.genres import ARTIST_GENRES
from listening_report.genres import BODIES as GENRE_BODIES
from listening_report.layout import quote_identifier, table_columns
from listening_report.period import Period, parse_utc, utc_text
from listening_report.report import StoredTimes, build_report
from listening_report.tables import TableNames
from listening_report.views import Views

TOP = 5
"""How many tracks, artists, albums and genres a year lists."""
DISCOVERED_NAMES = 10
"""How many names of the artists discovered in a year the page lists (the count is complete)."""
LOCAL_DAY = "%Y-%m-%d"


@dataclass(frozen=True)
class YearSpan:
    """The plays of one calendar year in `zone`, from `since` until `until` (exclusive)."""

    year: int
    zone: ZoneInfo
    since: dt.datetime
    until: dt.datetime
    so_far: bool
    """The current year: `until` is now."""

    @property
    def period(self) -> Period:
        """The span as a period of the report."""
        return Period(self.zone, self.since, self.until)

    @property
    def last_day(self) -> str:
        """The last local day the span covers (for the current year: today)."""
        end = self.until - dt.timedelta(microseconds=1)
        return end.astimezone(self.zone).strftime(LOCAL_DAY)


def _new_year(year: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=zone)


def year_span(year: int, zone: ZoneInfo, now: dt.datetime) -> YearSpan:
    """Return the span of `year` in `zone`: the whole year, or up to `now` while it lasts."""
    since, until = _new_year(year, zone), _new_year(year + 1, zone)
    so_far = since <= now < until
    return YearSpan(year, zone, since, now if so_far else until, so_far)


def year_before(span: YearSpan) -> YearSpan:
    """Return what `span` is compared with: the year before, to the same date and time."""
    since = _new_year(span.year - 1, span.zone)
    if not span.so_far:
        return YearSpan(span.year - 1, span.zone, since, span.since, so_far=False)
    local = span.until.astimezone(span.zone)
    day = min(local.day, 28) if local.month == 2 else local.day  # from 29 February
    until = local.replace(year=span.year - 1, day=day)
    return YearSpan(span.year - 1, span.zone, since, until, so_far=True)


def _best(rows: t.Iterable[tuple[t.Any, int, int]]) -> tuple[t.Any, int, int] | None:
    """Return the (key, plays, ms_played) listened to longest; among equals most played, first."""
    ranked = sorted(rows, key=lambda row: (-row[2], -row[1], row[0]))
    return ranked[0] if ranked else None


def _figure(name: str, best: tuple[t.Any, int, int] | None) -> dict[str, t.Any] | None:
    return None if best is None else {name: best[0], "plays": best[1], "ms_played": best[2]}


def figures(report: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return a year's figures from the report's data of its span (see `build_report`)."""
    days = [tuple(row) for row in report["per_day"]]
    months: dict[str, list[int]] = {}
    for day, plays, ms_played in days:
        month = months.setdefault(day[:7], [0, 0])
        month[0] += plays
        month[1] += ms_played
    heatmap = report["weekday_hour"]
    hours = [
        (
            hour,
            sum(row[hour] for row in heatmap["plays"]),
            sum(row[hour] for row in heatmap["ms_played"]),
        )
        for hour in range(24)
    ]
    discovered = report["new_artists"]
    names = [name for month in discovered for name in month["first_names"]]
    totals = report["totals"]
    return {
        "plays": totals["plays"],
        "ms_played": totals["ms_played"],
        "top": {kind: lists["by_plays"][:TOP] for kind, lists in report["top"].items()},
        "discovered": {
            "count": sum(month["count"] for month in discovered),
            "first_names": names[:DISCOVERED_NAMES],
        },
        "best_day": _figure("day", _best(days)),
        "best_month": _figure("month", _best((m, p, ms) for m, (p, ms) in months.items())),
        "top_hour": _figure("hour", _best(row for row in hours if row[1])),
        "longest_streak": next(iter(report["streaks"]["longest"]), None),
    }


def _compared(figures: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return the figures a page compares with: all but the lists."""
    return {
        name: value["count"] if name == "discovered" else value
        for name, value in figures.items()
        if name != "top"
    }


GENRES_SQL = """SELECT json_group_array(json_object('genre', genre, 'plays', plays,
  'ms_played', ms_played))
FROM (SELECT * FROM ({top_genres}) LIMIT ?)"""
"""The year's top genres by the counting rule of `genres.play_genres`, over its credits."""


def top_genres(connection: t.Any, prefix: str, period: Period) -> list[dict[str, t.Any]]:
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
    sql = GENRES_SQL.format(
        top_genres=GENRE_BODIES["top_genres"].format(play_genres=f"({play_genres})")
    )
    [[rows]] = connection.execute(sql, (*params, TOP)).fetchall()
    return json.loads(rows)


@dataclass(frozen=True)
class YearPages:
    """Builds the data of every year's page from the report's tables (they must be current)."""

    connection: t.Any
    views: Views
    stored: StoredTimes
    now: dt.datetime

    def _report(self, span: YearSpan) -> dict[str, t.Any]:
        return build_report(
            self.connection,
            self.views,
            span.period,
            TOP,
            tables=True,
            stored=self.stored,
            now=self.now,
        )

    def build(self, first: str, last: str, zone: ZoneInfo) -> list[dict[str, t.Any]]:
        """Return each year's page data, oldest first, from the year of play `first` to `last`'s.

        `first` and `last` are UTC text; a year without plays gets no page.
        """
        genres = bool(table_columns(self.connection, self.views.prefix + ARTIST_GENRES))
        local_years = range(
            parse_utc(first).astimezone(zone).year, parse_utc(last).astimezone(zone).year + 1
        )
        pages: list[dict[str, t.Any]] = []
        previous: dict[str, t.Any] | None = None
        for year in local_years:
            span = year_span(year, zone, self.now)
            current = figures(self._report(span))
            if not current["plays"]:
                previous = None
                continue
            before = year_before(span)
            if span.so_far and previous is not None:
                previous = figures(self._report(before))
            pages.append(
                {
                    "year": year,
                    "so_far": span.so_far,
                    "last_day": span.last_day,
                    "timezone": zone.key,
                    **current,
                    "genres": top_genres(self.connection, self.views.prefix, span.period)
                    if genres
                    else None,
                    "previous": None
                    if previous is None
                    else {"year": before.year, "last_day": before.last_day, **_compared(previous)},
                }
            )
            previous = current
        return pages


def year_pages(
    connection: t.Any,
    views: Views,
    zone: ZoneInfo,
    stored: StoredTimes,
    now: dt.datetime | None = None,
) -> list[dict[str, t.Any]]:
    """Return the data of every year's page (see `YearPages`), oldest first.

    `stored`: what `ReportQueries.stored_times` read for the report's time zone. `now`
    (default: the current time) decides which year is the current one, so far.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    tables = TableNames(views.prefix)
    first, last = connection.execute(
        tables.fill(
            "SELECT min(played_at), max(played_at) FROM {report_plays} WHERE played_at < ?"
        ),
        (utc_text(now),),
    ).fetchone()
    if first is None:
        return []
    return YearPages(connection, views, stored, now).build(first, last, zone)
