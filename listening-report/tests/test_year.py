"""Your year in review: each year's figures, page and links, on a known history.

tests/data_files/year_history.singer holds 12 live plays (the tracks of known_history.singer),
read in America/New_York (UTC-5 in winter, every play here falls in winter time):

| # | played_at (UTC)      | New York         | track (ms)                        |
|---|----------------------|------------------|-----------------------------------|
| 1 | 2023-03-01 15:00     | 2023-03-01 10:00 | Morning, Aurora Lane (200 000)    |
| 2 | 2023-03-02 15:30     | 2023-03-02 10:30 | Strings, Basil Quartet (600 000)  |
| 3 | 2023-12-31 23:30     | 2023-12-31 18:30 | Evening, Aurora Lane + Dune Echo (240 000) |
| 4 | 2024-01-01 04:30     | 2023-12-31 23:30 | Embers, Cinder + Dune Echo (660 000) |
| 5 | 2024-01-01 05:30     | 2024-01-01 00:30 | Morning (200 000)                 |
| 6 | 2024-01-02 14:00     | 2024-01-02 09:00 | Morning (200 000)                 |
| 7 | 2024-01-03 14:00     | 2024-01-03 09:00 | Demo 1, Home Tapes, a local file (120 000) |
| 8 | 2024-02-10 14:10     | 2024-02-10 09:10 | Strings (600 000)                 |
| 9 | 2024-12-31 23:00     | 2024-12-31 18:00 | Morning (200 000)                 |
| 10| 2025-01-01 02:00     | 2024-12-31 21:00 | Evening (240 000)                 |
| 11| 2025-01-02 15:00     | 2025-01-02 10:00 | Morning (200 000)                 |
| 12| 2025-02-03 15:00     | 2025-02-03 10:00 | Embers (660 000)                  |

Plays 4 and 10 change year between UTC and New York. New York's 2023: plays 1-4; 2024:
5-10 (its streak, 1-3 January, does not reach back to 31 December 2023); 2025: 11-12.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from pathlib import Path

import pytest
from listening_report.html import read_data
from listening_report.period import Period, parse_timezone
from listening_report.refresh import Refresh
from listening_report.report import ReportQueries
from listening_report.source_tables import read_sources
from listening_report.year import year_pages
from listening_report.year_page import percent_change

from .reportkit import DATA_FILES, Database, album_row, artist_row, chromium, load_singer, track_row
from .test_browser import Elements

NEW_YORK = "America/New_York"
DOCS = Path(__file__).parents[1] / "docs"
MORNING = ("spotify:track:morning", "Morning", "Aurora Lane", "First Light")
STRINGS = ("spotify:track:strings", "Strings", "Basil Quartet", "Quartet Live")
EVENING = ("spotify:track:evening", "Evening", "Aurora Lane, Dune Echo", "First Light")
EMBERS = ("spotify:track:embers", "Embers", "Cinder, Dune Echo", "Ash")
DEMO = ("spotify:local:Home+Tapes:Garage+Demos:Demo+1:120", "Demo 1", "Home Tapes", "Garage Demos")
AURORA = ("spotify:artist:aurora", "Aurora Lane")
BASIL = ("spotify:artist:basil", "Basil Quartet")
DUNE = ("spotify:artist:dune", "Dune Echo")
CINDER = ("spotify:artist:cinder", "Cinder")
FIRST_LIGHT = ("spotify:album:firstlight", "First Light", "Aurora Lane")
QUARTET = ("spotify:album:quartet", "Quartet Live", "Basil Quartet")
ASH = ("spotify:album:ash", "Ash", "Cinder")


def track(spec, plays, ms):
    return track_row(*spec, plays, ms)


def artist(spec, plays, ms, tracks):
    return artist_row(*spec, plays, ms, tracks)


def album(spec, plays, ms, tracks):
    return album_row(*spec, plays, ms, tracks)


def best(name, value, plays, ms):
    return {name: value, "plays": plays, "ms_played": ms}


def streak(first, last, days):
    return {"first_day": first, "last_day": last, "days": days}


FIGURES_2023 = {
    "plays": 4,
    "ms_played": 1_700_000,
    "best_day": best("day", "2023-12-31", 2, 900_000),
    "best_month": best("month", "2023-12", 2, 900_000),
    "top_hour": best("hour", 10, 2, 800_000),
    "longest_streak": streak("2023-03-01", "2023-03-02", 2),
}
FIGURES_2024 = {
    "plays": 6,
    "ms_played": 1_560_000,
    "best_day": best("day", "2024-02-10", 1, 600_000),
    "best_month": best("month", "2024-02", 1, 600_000),
    "top_hour": best("hour", 9, 3, 920_000),
    "longest_streak": streak("2024-01-01", "2024-01-03", 3),
}


@pytest.fixture
def run_years(run_report):
    """Run `listening-report` with its year pages (the other tests' runs leave them out)."""

    def run(database: Database, *args: str, **env: str):
        return run_report(database, *args, **{"LISTENING_REPORT_YEARS": "true", **env})

    return run


@pytest.fixture(scope="session")
def year_history_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data_files/year_history.singer loaded by target-turso, the report's tables built."""
    folder = tmp_path_factory.mktemp("year-history")
    database = Database(str(folder / "plays.db"))
    load_singer(database, DATA_FILES / "year_history.singer", folder)
    database.run(lambda connection: Refresh(read_sources(connection), "").run(connection))
    return Path(database.url)


@pytest.fixture
def year_history(year_history_file: Path, tmp_path: Path) -> Database:
    copy = tmp_path / year_history_file.name
    copy.write_bytes(year_history_file.read_bytes())
    return Database(str(copy))


def pages(database: Database, timezone: str = NEW_YORK, now: str = "2026-06-01T00:00:00Z"):
    """The data of every year's page, as the CLI builds it, the current time being `now`."""

    def build(connection):
        views = Refresh(read_sources(connection), "").views
        zone = parse_timezone(timezone)
        stored = ReportQueries(connection, views, Period(zone), tables=True).stored_times()
        moment = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
        return year_pages(connection, "", zone, stored.changes, now=moment)

    return {page["year"]: page for page in database.run(build)}


def test_each_year_counts_the_plays_of_its_local_days_new_years_eve_included(year_history):
    years = pages(year_history)

    assert list(years) == [2023, 2024, 2025]
    first = years[2023]
    assert {name: first[name] for name in FIGURES_2023} == FIGURES_2023
    assert (first["so_far"], first["last_day"], first["timezone"]) == (
        False,
        "2023-12-31",
        NEW_YORK,
    )
    assert first["top"] == {
        # One play each: by minutes.
        "tracks": [
            track(EMBERS, 1, 660_000),
            track(STRINGS, 1, 600_000),
            track(EVENING, 1, 240_000),
            track(MORNING, 1, 200_000),
        ],
        "artists": [
            artist(DUNE, 2, 900_000, 2),
            artist(AURORA, 2, 440_000, 2),
            artist(CINDER, 1, 660_000, 1),
            artist(BASIL, 1, 600_000, 1),
        ],
        "albums": [
            album(FIRST_LIGHT, 2, 440_000, 2),
            album(ASH, 1, 660_000, 1),
            album(QUARTET, 1, 600_000, 1),
        ],
    }
    # Cinder's first play ever (play 4) is on New Year's Eve in New York.
    assert first["discovered"] == {
        "count": 4,
        "first_names": ["Aurora Lane", "Basil Quartet", "Dune Echo", "Cinder"],
    }
    assert first["genres"] is None  # no artist_genres table


def test_a_year_is_compared_with_the_year_before(year_history):
    second = pages(year_history)[2024]

    assert {name: second[name] for name in FIGURES_2024} == FIGURES_2024
    assert second["top"]["tracks"] == [
        track(MORNING, 3, 600_000),
        track(STRINGS, 1, 600_000),
        track(EVENING, 1, 240_000),
        track(DEMO, 1, 120_000),
    ]
    assert second["discovered"] == {"count": 1, "first_names": ["Home Tapes"]}
    assert second["previous"] == {
        "year": 2023,
        "last_day": "2023-12-31",
        "discovered": 4,
        **FIGURES_2023,
    }


def test_the_first_year_has_no_year_before_to_compare_with(year_history, run_years):
    report = run_years(year_history, "--timezone", NEW_YORK)

    page = (report.output.parent / "index-2023.html").read_text(encoding="utf-8")
    assert read_data(page)["previous"] is None
    assert " vs " not in page
    assert "2022" not in page


def test_in_utc_new_years_eve_in_new_york_belongs_to_the_next_year(year_history):
    years = pages(year_history, timezone="UTC")

    assert {year: page["plays"] for year, page in years.items()} == {2023: 3, 2024: 6, 2025: 3}
    assert years[2023]["discovered"]["count"] == 3  # Cinder comes in 2024


def test_the_current_year_so_far_is_compared_with_the_same_days_of_the_year_before(year_history):
    # 1 March 2025, 07:00 in New York.
    current = pages(year_history, now="2025-03-01T12:00:00Z")[2025]

    assert (current["so_far"], current["last_day"]) == (True, "2025-03-01")
    assert (current["plays"], current["ms_played"]) == (2, 860_000)
    assert current["top"]["tracks"] == [track(EMBERS, 1, 660_000), track(MORNING, 1, 200_000)]
    # 2024 up to 1 March included: plays 5 to 8 (not the 9th and 10th, in December).
    assert current["previous"] == {
        "year": 2024,
        "last_day": "2024-03-01",
        "plays": 4,
        "ms_played": 1_120_000,
        "discovered": 1,
        "best_day": best("day", "2024-02-10", 1, 600_000),
        "best_month": best("month", "2024-02", 1, 600_000),
        "top_hour": best("hour", 9, 3, 920_000),
        "longest_streak": streak("2024-01-01", "2024-01-03", 3),
    }


def test_top_genres_of_a_year_count_a_play_once_per_genre(year_history, tmp_path):
    load_singer(year_history, DATA_FILES / "known_genres.singer", tmp_path)

    years = pages(year_history)

    def genre(name, plays, ms):
        return {"genre": name, "plays": plays, "ms_played": ms}

    # Aurora Lane: dream pop, indie pop; Dune Echo: dream pop, ambient; Basil Quartet: none;
    # Home Tapes: lo-fi; Cinder: not looked up (Embers gets Dune Echo's genres).
    assert years[2023]["genres"] == [
        genre("dream pop", 3, 1_100_000),
        genre("ambient", 2, 900_000),
        genre("indie pop", 2, 440_000),
        genre("(no genre)", 1, 600_000),
    ]
    assert years[2024]["genres"] == [
        genre("dream pop", 4, 840_000),
        genre("indie pop", 4, 840_000),
        genre("(no genre)", 1, 600_000),
        genre("ambient", 1, 240_000),
        genre("lo-fi", 1, 120_000),
    ]


def test_the_report_links_each_year_page_written_beside_it(year_history, run_years):
    report = run_years(year_history, "--timezone", NEW_YORK)

    assert report.returncode == 0, report.stderr
    folder = report.output.parent
    assert sorted(path.name for path in folder.iterdir()) == [
        "index-2023.html",
        "index-2024.html",
        "index-2025.html",
        "index.html",
    ]
    assert report.data()["years"] == [
        {
            "year": 2023,
            "file": "index-2023.html",
            "so_far": False,
            "plays": 4,
            "ms_played": 1_700_000,
        },
        {
            "year": 2024,
            "file": "index-2024.html",
            "so_far": False,
            "plays": 6,
            "ms_played": 1_560_000,
        },
        {
            "year": 2025,
            "file": "index-2025.html",
            "so_far": False,
            "plays": 2,
            "ms_played": 860_000,
        },
    ]
    assert report.stderr.endswith(
        "Wrote 3 year pages beside it: index-2023.html, index-2024.html, index-2025.html\n"
    )
    page = (folder / "index-2024.html").read_text(encoding="utf-8")
    data = read_data(page)
    assert (data["year"], data["plays"], data["previous"]["year"]) == (2024, 6, 2023)


def test_no_year_pages_are_written_when_turned_off(year_history, run_years):
    report = run_years(year_history, LISTENING_REPORT_YEARS="false")

    assert report.returncode == 0, report.stderr
    assert [path.name for path in report.output.parent.iterdir()] == ["index.html"]
    assert "years" not in report.data()


def test_the_page_says_each_change_against_the_year_before(year_history, run_years):
    text = visible_text(year_history, run_years, 2024)

    for shown in (
        "2024 in review",
        "1 January \u2013 31 December 2024 \u00b7 times in America/New_York",
        "\u22128 % minutes vs 2023",  # 26 minutes against 28.3
        "+50 % plays vs 2023",
        "\u221275 % new artists vs 2023",
        "2023: 31 December, 15 min",
        "10 February",
        "2023: December, 15 min",
        "09:00\u201310:00",
        "2023: 10:00\u201311:00, 13 min",
        "+50 % days vs 2023",
        "1 January \u2192 3 January",
        "Genres are not enabled: set musicbrainz_contact for tap-spotify-recent",
        "1 artist heard for the first time ever in 2024.",
    ):
        assert shown in text


def visible_text(database: Database, run_years, year: int) -> str:
    report = run_years(database, "--timezone", NEW_YORK)
    page = (report.output.parent / f"index-{year}.html").read_text(encoding="utf-8")
    return "".join(Elements(page[: page.index('<script type="application/json"')]).text)


@pytest.mark.parametrize(
    ("current", "previous", "shown"),
    [
        (3, 2, "+50 %"),
        (1, 3, "\u221267 %"),
        (201, 200, "+1 %"),  # +0.5 %
        (199, 200, "\u22121 %"),  # -0.5 %
        (5, 200, "\u221298 %"),  # -97.5 %
        (1001, 1000, "\u00b10 %"),
        (2, 0, None),
    ],
)
def test_changes_are_whole_percents_rounded_half_away_from_zero(current, previous, shown):
    assert percent_change(current, previous) == shown


def opened(page: Path, tmp_path: Path) -> str:
    """The visible text of `page` as headless Chromium rendered it, which it must do silently."""
    browser = chromium(page, tmp_path / "profile", "--dump-dom")
    assert browser.console == []
    dom = browser.stdout
    return "".join(Elements(dom[: dom.index('<script type="application/json"')]).text)


def test_year_page_renders_offline_in_chromium_with_its_figures(year_history, run_years, tmp_path):
    report = run_years(year_history, "--timezone", NEW_YORK)

    text = opened(report.output.parent / "index-2023.html", tmp_path)

    for shown in (
        "2023 in review",
        "28minutes listened",  # 1 700 000 ms
        "4plays",
        "4artists discovered",
        "31 Decembermost listened day15 min, 2 plays",
        "10:00\u201311:00the hour you listen most13 min, 2 plays",
        "2 dayslongest streak1 March \u2192 2 March",
        "EmbersCinder, Dune Echo1 play \u00b7 11 min",
        "Aurora Lane, Basil Quartet, Dune Echo, Cinder",
    ):
        assert shown in text
    assert " vs " not in text


def test_the_report_shows_your_years_as_links(year_history, run_years, tmp_path):
    report = run_years(year_history, "--timezone", NEW_YORK)

    browser = chromium(report.output, tmp_path / "profile", "--dump-dom")

    assert browser.console == []
    assert Elements(browser.stdout).root.get("data-rendered") == "done"
    for link in (
        '<a href="index-2023.html">2023</a>',
        '<a href="index-2024.html">2024</a>',
        '<a href="index-2025.html">2025</a>',
    ):
        assert link in browser.stdout


def test_hostile_names_on_a_year_page_are_text(tmp_path, run_years):
    database = Database(str(tmp_path / "hostile.db"))
    load_singer(database, DATA_FILES / "hostile_names.singer", tmp_path)
    report = run_years(database)
    page = report.output.parent / "index-2024.html"

    browser = chromium(page, tmp_path / "profile", "--dump-dom")

    assert browser.console == []
    dom = Elements(browser.stdout)
    assert dom.root.get("data-pwned") is None
    assert "<script>" not in browser.stdout.split('<script type="application/json"')[0]
    text = "".join(dom.text)
    assert "</script><script>document.documentElement.dataset.pwned=1</script>" in text


def test_screenshot_of_a_year_page_is_saved(year_history, run_years, tmp_path):
    report = run_years(year_history, "--timezone", NEW_YORK)
    screenshot = tmp_path / "year.png"

    browser = chromium(
        report.output.parent / "index-2024.html",
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        "--window-size=1100,1300",
        "--hide-scrollbars",
    )

    assert browser.console == []
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1100, 1300)
    print(f"screenshot: {screenshot}")


def test_a_year_lists_the_first_ten_artists_discovered_and_counts_them_all(tmp_path, run_years):
    lines = (DATA_FILES / "year_history.singer").read_text().splitlines()
    schema, template = lines[0], json.loads(lines[1])
    records = [schema]
    for n in range(1, 13):
        record = json.loads(json.dumps(template))
        record["record"]["played_at"] = f"2024-05-{n:02d}T12:00:00.000Z"
        credit = {"id": f"a{n}", "name": f"Artist {n:02d}", "uri": f"spotify:artist:a{n}"}
        record["record"]["track"]["artists"] = [credit]
        record["record"]["track"]["uri"] = f"spotify:track:t{n}"
        records.append(json.dumps(record))
    singer = tmp_path / "twelve_artists.singer"
    singer.write_text("\n".join(records) + "\n")
    database = Database(str(tmp_path / "twelve.db"))
    load_singer(database, singer, tmp_path)

    report = run_years(database)

    page = (report.output.parent / "index-2024.html").read_text(encoding="utf-8")
    assert read_data(page)["discovered"] == {
        "count": 12,
        "first_names": [f"Artist {n:02d}" for n in range(1, 11)],
    }
    assert "Artist 01, Artist 02, Artist 03, Artist 04, Artist 05, Artist 06, Artist 07, " in page
    assert "Artist 10 and 2 more" in page


def test_a_name_spotify_did_not_give_shows_as_no_name():
    from listening_report.year_page import YearPage

    unnamed = {"plays": 1, "ms_played": 60_000}
    data = {
        "year": 2024,
        "so_far": False,
        "last_day": "2024-12-31",
        "timezone": "UTC",
        "plays": 1,
        "ms_played": 60_000,
        "top": {
            "tracks": [{"track_name": None, "artist_names": None, **unnamed}],
            "artists": [{"artist_name": None, **unnamed}],
            "albums": [],
        },
        "genres": None,
        "discovered": {"count": 1, "first_names": [None]},
        "best_day": None,
        "best_month": None,
        "top_hour": None,
        "longest_streak": None,
        "previous": None,
    }

    body = YearPage(data, "index.html", []).body()

    assert body.count('<span class="name">(no name)</span>') == 2
    assert '<p class="names">(no name)</p>' in body
    assert "No plays." in body  # the albums


def test_stale_tables_read_only_write_no_year_pages_and_say_so(year_history, run_years, tmp_path):
    load_singer(year_history, DATA_FILES / "one_more_play.singer", tmp_path)  # not refreshed

    report = run_years(year_history, "--no-views")

    assert report.returncode == 0, report.stderr
    assert [path.name for path in report.output.parent.iterdir()] == ["index.html"]
    assert report.data()["years"] == []
    assert (
        "Year pages not written: they need the report's tables current (run "
        "`listening-report refresh` with a read-write token)"
    ) in report.stderr
