"""Write a year's page: its figures (`year.YearPages`) as static HTML, every name escaped.

The page has no script: the HTML is written here and the Content Security Policy allows
only its style (by hash), so it opens offline and the browser refuses any request. The
figures are also embedded as JSON (`html.read_data`) for tools and tests.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from fractions import Fraction
from html import escape
from pathlib import Path

from listening_report import html

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MINUS = "\u2212"
UNNAMED = "(no name)"
"""Shown for a track, artist, album or genre whose name Spotify did not give."""
GENRES_OFF = (
    "Genres are not enabled: set musicbrainz_contact for tap-spotify-recent, whose "
    "artist_genres stream looks artists up on MusicBrainz."
)


def year_file(report: Path, year: int) -> Path:
    """Return where a year's page goes: beside the report, `<report name>-<year>.html`."""
    return report.with_name(f"{report.stem}-{year}{report.suffix}")


def year_links(pages: list[dict[str, t.Any]], report: Path) -> list[dict[str, t.Any]]:
    """Return the report's "Your years" list: each page's year, file name and totals."""
    return [
        {
            "year": page["year"],
            "file": year_file(report, page["year"]).name,
            "so_far": page["so_far"],
            "plays": page["plays"],
            "ms_played": page["ms_played"],
        }
        for page in pages
    ]


def year_label(link: dict[str, t.Any]) -> str:
    """Return how a year is named in links: `2024`, or `2025 so far`."""
    return f"{link['year']} so far" if link["so_far"] else str(link["year"])


def _minutes(ms_played: int) -> int:
    """Whole minutes, half up."""
    return int(Fraction(ms_played, 60_000) + Fraction(1, 2))


def _count(value: int, word: str) -> str:
    return f"{value:,} {word}{'' if value == 1 else 's'}"


def _day(iso: str) -> str:
    return f"{int(iso[8:10])} {MONTHS[int(iso[5:7]) - 1]}"


def _month(iso: str) -> str:
    return MONTHS[int(iso[5:7]) - 1]


def _hour(hour: int) -> str:
    return f"{hour:02d}:00\u2013{(hour + 1) % 24:02d}:00"


def percent_change(current: int, previous: int) -> str | None:
    """Return the change from `previous` as `+12 %` (half away from zero); None from 0."""
    if not previous:
        return None
    change = Fraction(current - previous, previous) * 100
    rounded = int(abs(change) + Fraction(1, 2))
    if rounded == 0:
        return "\u00b10 %"
    return f"{'+' if change > 0 else MINUS}{rounded} %"


@dataclass(frozen=True)
class YearPage:
    """One year's page: its data (see `year.YearPages.build`) and the files it links to."""

    data: dict[str, t.Any]
    report: str
    """The report's file name (the pages sit beside it)."""
    years: list[dict[str, t.Any]]
    """Every year's page (see `year_links`), for the links between them."""

    @property
    def previous_label(self) -> str:
        """How the page names what it compares with: `2023`, or `2024 to 1 March`."""
        previous = self.data["previous"]
        if self.data["so_far"]:
            return f"{previous['year']} to {_day(previous['last_day'])}"
        return str(previous["year"])

    def _compare_number(self, name: str, value: int, noun: str) -> str:
        previous = self.data["previous"]
        if previous is None:
            return ""
        before = previous[name]
        if name == "longest_streak":
            before = before["days"] if before else 0
        change = percent_change(value, before)
        if change is None:
            return f'<div class="compare same">none in {escape(self.previous_label)}</div>'
        kind = "same" if value == before else "up" if value > before else "down"
        text = f"{change} {noun} vs {self.previous_label}"
        return f'<div class="compare {kind}">{escape(text)}</div>'

    def _compare_text(self, name: str, describe: t.Callable[[dict[str, t.Any]], str]) -> str:
        previous = self.data["previous"]
        if previous is None or previous[name] is None:
            return ""
        text = f"{self.previous_label}: {describe(previous[name])}"
        return f'<div class="compare same">{escape(text)}</div>'

    def _cards(self) -> str:
        data = self.data
        streak = data["longest_streak"]
        streak_days = streak["days"] if streak else 0

        def listened(figure: dict[str, t.Any]) -> str:
            return f"{_minutes(figure['ms_played']):,} min, {_count(figure['plays'], 'play')}"

        cards = [
            (
                f"{_minutes(data['ms_played']):,}",
                "minutes listened",
                "",
                self._compare_number("ms_played", data["ms_played"], "minutes"),
            ),
            (
                f"{data['plays']:,}",
                "plays",
                "",
                self._compare_number("plays", data["plays"], "plays"),
            ),
            (
                f"{data['discovered']['count']:,}",
                "artists discovered",
                "first heard ever this year",
                self._compare_number("discovered", data["discovered"]["count"], "new artists"),
            ),
        ]
        for name, label, show in (
            ("best_day", "most listened day", lambda f: _day(f["day"])),
            ("best_month", "most listened month", lambda f: _month(f["month"])),
            ("top_hour", "the hour you listen most", lambda f: _hour(f["hour"])),
        ):
            figure = data[name]
            cards.append(
                (
                    show(figure) if figure else "\u2013",
                    label,
                    listened(figure) if figure else "",
                    self._compare_text(name, _with_minutes(show)),
                )
            )
        cards.append(
            (
                _count(streak_days, "day"),
                "longest streak",
                f"{_day(streak['first_day'])} \u2192 {_day(streak['last_day'])}" if streak else "",
                self._compare_number("longest_streak", streak_days, "days"),
            )
        )
        return (
            '<section class="cards">'
            + "".join(
                f'<div class="card"><div class="value">{escape(value)}</div>'
                f'<div class="label">{escape(label)}</div>'
                + (f'<div class="detail">{escape(detail)}</div>' if detail else "")
                + compare
                + "</div>"
                for value, label, detail, compare in cards
            )
            + "</section>"
        )

    @staticmethod
    def _top(title: str, rows: list[dict[str, t.Any]] | None, name: str, sub: str = "") -> str:
        if rows is None:
            body = f'<p class="empty">{escape(GENRES_OFF)}</p>'
        elif not rows:
            body = '<p class="empty">No plays.</p>'
        else:
            items = "".join(
                f'<li><span class="name">{escape(row[name] or UNNAMED)}</span>'
                + (f'<span class="sub">{escape(row[sub] or "")}</span>' if sub else "")
                + f'<span class="figures">{escape(_count(row["plays"], "play"))} \u00b7 '
                f"{_minutes(row['ms_played']):,} min</span></li>"
                for row in rows
            )
            body = f'<ol class="top">{items}</ol>'
        return f'<section class="panel"><h2>{escape(title)}</h2>{body}</section>'

    def _header(self) -> str:
        data = self.data
        year = data["year"]
        last = f"{_day(data['last_day'])} {year}"
        span = f"1 January \u2013 {last}" + (" (so far)" if data["so_far"] else "")
        title = f"{year} so far" if data["so_far"] else f"{year} in review"
        links = "".join(
            f"<span>{escape(year_label(link))}</span>"
            if link["year"] == year
            else f'<a href="{escape(link["file"])}">{escape(year_label(link))}</a>'
            for link in self.years
        )
        return (
            f'<header><p class="back"><a href="{escape(self.report)}">'
            "\u2190 Listening report</a></p>"
            f"<h1>{escape(title)}</h1>"
            f'<p class="subtitle">{escape(span)} \u00b7 times in {escape(data["timezone"])}</p>'
            f'<nav class="years" aria-label="Your years">{links}</nav></header>'
        )

    def _discovered(self) -> str:
        discovered = self.data["discovered"]
        count = discovered["count"]
        names = ", ".join(name or UNNAMED for name in discovered["first_names"])
        more = count - len(discovered["first_names"])
        listed = names + (f" and {more:,} more" if more > 0 else "")
        return (
            '<section class="panel discovered"><h2>Artists discovered</h2>'
            f"<p>{escape(_count(count, 'artist'))} heard for the first time ever in "
            f"{self.data['year']}.</p>"
            + (f'<p class="names">{escape(listed)}</p>' if count else "")
            + "</section>"
        )

    def _footer(self) -> str:
        return (
            "<footer><p>A play lasted 30 s or more. Minutes are exact for plays in your Spotify "
            "data export and the track's full length for plays only the live feed saw. Every "
            "credited artist of a track gets the play; a play counts once for each genre of its "
            "artists.</p>"
            f"<p>Years, days, months and hours are in {escape(self.data['timezone'])}: a year runs "
            "from midnight on 1 January to midnight on the next. Tops are ranked by plays, then "
            "minutes; the most listened day, month and hour by minutes.</p></footer>"
        )

    def body(self) -> str:
        """Return the page's HTML inside `<main>`."""
        top = self.data["top"]
        return "\n".join(
            (
                self._header(),
                self._cards(),
                '<div class="lists">'
                + self._top("Top tracks", top["tracks"], "track_name", "artist_names")
                + self._top("Top artists", top["artists"], "artist_name")
                + self._top("Top albums", top["albums"], "album_name", "artist_names")
                + self._top("Top genres", self.data["genres"], "genre")
                + "</div>",
                self._discovered(),
                self._footer(),
            )
        )

    def render(self) -> str:
        """Return the whole page."""
        return html.render(self.data, page="year", body=self.body())


def _with_minutes(show: t.Callable[[dict[str, t.Any]], str]) -> t.Callable[[dict[str, t.Any]], str]:
    """`show`'s text of a figure, followed by its minutes."""
    return lambda figure: f"{show(figure)}, {_minutes(figure['ms_played']):,} min"
