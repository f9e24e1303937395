"""The report's genre figures: exact on the known history with the genres of
tests/data_files/known_genres.singer (listed in test_genres.py's docstring), equal to the
genre views, current without a rebuild when a genre arrives after the plays, and the same
from the report's tables (`report_artist_sets`) as from one merge of every play, at month
edges in every kind of time zone and after random histories.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from listening_report.genres import NO_GENRE, NOT_LOOKED_UP
from listening_report.period import Period, parse_timezone
from listening_report.report import build_report
from listening_report.source_tables import read_sources
from listening_report.views import Views

from .histories import CATALOG, write_live
from .reportkit import DATA_FILES, Database, load_singer
from .test_browser import rendered
from .test_genres import GENRES_PER_MONTH, TOP_GENRES, known_genres  # noqa: F401 (a fixture)
from .test_refresh import Scenario, assert_report_equals_the_reference, refresh

DREAM, INDIE, AMBIENT, LOFI = "dream pop", "indie pop", "ambient", "lo-fi"
GENRE_SCHEMA = (DATA_FILES / "known_genres.singer").read_text(encoding="utf-8").splitlines()[0]


def entry(genre: str, plays: int, ms_played: int) -> dict:
    return {"genre": genre, "plays": plays, "ms_played": ms_played}


def row(genre: str | None, plays: list[int], ms_played: list[int]) -> dict:
    return {"genre": genre, "plays": plays, "ms_played": ms_played}


TOP_UTC = [
    entry(DREAM, 7, 1_940_000),
    entry(INDIE, 6, 1_280_000),
    entry(AMBIENT, 3, 1_140_000),
    entry(LOFI, 1, 120_000),
]
WITHOUT = {
    NO_GENRE: {"plays": 2, "ms_played": 1_200_000},
    NOT_LOOKED_UP: {"plays": 1, "ms_played": 120_000},
}
EXPECTED_UTC = {
    "top": {"by_plays": TOP_UTC, "by_minutes": TOP_UTC},
    "without": WITHOUT,
    "genres": 4,
    "per_month": {
        "months": ["2024-01", "2024-02", "2024-04"],
        "rows": [
            row(DREAM, [4, 2, 1], [1_300_000, 440_000, 200_000]),
            row(INDIE, [3, 2, 1], [640_000, 440_000, 200_000]),
            row(AMBIENT, [2, 1, 0], [900_000, 240_000, 0]),
            row(LOFI, [1, 0, 0], [120_000, 0, 0]),
            row(NO_GENRE, [1, 1, 0], [600_000, 600_000, 0]),
            row(NOT_LOOKED_UP, [0, 1, 0], [0, 120_000, 0]),
        ],
    },
}


def genre_record(key: str, name: str, genres: list[str] | None, *, by_name: bool = False) -> dict:
    """An artist_genres record as the tap writes it; `genres` None: no MusicBrainz match."""
    return {
        "artist_key": key,
        "spotify_artist_id": None if by_name else key.rsplit(":", 1)[-1],
        "artist_name": name,
        "musicbrainz_id": None if genres is None else "a0000000-0000-4000-8000-000000000001",
        "musicbrainz_name": None if genres is None else name,
        "matched_by": None if genres is None else ("name_search" if by_name else "spotify_url"),
        "unmatched_reason": "no_link" if genres is None else None,
        "genres": [{"name": genre, "count": 1, "id": None} for genre in genres or []],
        "tags": [],
        "looked_up_at": "2024-04-02T10:00:00.000Z",
    }


def load_genres(database: Database, records: list[dict], tmp_path: Path) -> None:
    """Load artist_genres records through the real target, as a sync with genres on does."""
    singer = tmp_path / f"genres-{len(list(tmp_path.glob('genres-*')))}.singer"
    messages = [{"type": "RECORD", "stream": "artist_genres", "record": r} for r in records]
    singer.write_text("\n".join([GENRE_SCHEMA, *map(json.dumps, messages)]) + "\n")
    load_singer(database, singer, tmp_path)


def test_report_genres_are_exact_for_the_whole_history_in_utc(known_genres, run_report):  # noqa: F811
    result = run_report(known_genres)

    assert result.returncode == 0, result.stderr
    assert result.data()["genres"] == EXPECTED_UTC


def test_report_genres_equal_the_genre_views_in_utc(known_genres, run_report):  # noqa: F811
    """The report's figures (from report_artist_sets) and the views (from play_genres) agree."""
    genres = run_report(known_genres).data()["genres"]

    # rank, minutes_rank, genre, plays, ms_played, minutes, last played
    views_top = [(g, p, ms) for _, _, g, p, ms, _, _ in TOP_GENRES if not g.startswith("(")]
    assert [
        (r["genre"], r["plays"], r["ms_played"]) for r in genres["top"]["by_plays"]
    ] == views_top
    assert {(g, r["plays"], r["ms_played"]) for g, r in genres["without"].items()} == {
        (g, p, ms) for _, _, g, p, ms, _, _ in TOP_GENRES if g.startswith("(")
    }
    months = genres["per_month"]["months"]
    per_month = {
        (months[i], r["genre"], r["plays"][i], r["ms_played"][i])
        for r in genres["per_month"]["rows"]
        for i in range(len(months))
        if r["plays"][i]
    }
    assert per_month == {(m, g, p, ms) for m, g, p, ms, _ in GENRES_PER_MONTH}


def test_a_time_zone_moves_a_play_to_the_genres_of_another_month(known_genres, run_report):  # noqa: F811
    # Asia/Kathmandu is UTC+5:45: play 6 (lo-fi, 2024-01-31 23:30 UTC) is 05:15 on 02-01.
    result = run_report(known_genres, "--timezone", "Asia/Kathmandu")

    assert result.returncode == 0, result.stderr
    genres = result.data()["genres"]
    assert genres["top"] == EXPECTED_UTC["top"]
    assert genres["per_month"]["rows"][3] == row(LOFI, [0, 1, 0], [0, 120_000, 0])
    assert genres["per_month"]["rows"][:3] == EXPECTED_UTC["per_month"]["rows"][:3]


def test_a_period_with_top_n_shows_the_other_genres_as_one_row(known_genres, run_report):  # noqa: F811
    # Berlin days 2024-02-01 to 2024-02-04: plays 6 (lo-fi), 7 (Aurora Lane: dream pop,
    # indie pop) and 8 (Cinder alone, not looked up). The top 2 by minutes tie at 200 000
    # ms: dream pop and indie pop by name; lo-fi's play is "other genres".
    result = run_report(
        known_genres,
        "--since",
        "2024-02-01",
        "--until",
        "2024-02-04",
        "--top",
        "2",
        "--timezone",
        "Europe/Berlin",
    )

    assert result.returncode == 0, result.stderr
    top = [entry(DREAM, 1, 200_000), entry(INDIE, 1, 200_000)]
    assert result.data()["genres"] == {
        "top": {"by_plays": top, "by_minutes": top},
        "without": {NOT_LOOKED_UP: {"plays": 1, "ms_played": 120_000}},
        "genres": 3,
        "per_month": {
            "months": ["2024-02"],
            "rows": [
                row(DREAM, [1], [200_000]),
                row(INDIE, [1], [200_000]),
                row(None, [1], [120_000]),
                row(NOT_LOOKED_UP, [1], [120_000]),
            ],
        },
    }


def test_a_genre_looked_up_after_the_plays_counts_at_once_without_a_rebuild(
    known_genres,  # noqa: F811
    run_report,
    tmp_path,
):
    run_report(known_genres)
    # Cinder (plays 5 with Dune Echo, and 8 alone) was waiting for its lookup.
    load_genres(
        known_genres, [genre_record("spotify:artist:cinder", "Cinder", ["post-rock"])], tmp_path
    )

    result = run_report(known_genres)

    assert result.returncode == 0, result.stderr
    assert "The report's tables are current" in result.stderr
    genres = result.data()["genres"]
    assert genres["top"]["by_plays"] == [*TOP_UTC[:3], entry("post-rock", 2, 780_000), TOP_UTC[3]]
    assert genres["without"] == {NO_GENRE: {"plays": 2, "ms_played": 1_200_000}}


def test_without_the_genre_table_the_report_has_no_genre_figures(known_history, run_report):
    result = run_report(known_history)

    assert result.returncode == 0, result.stderr
    assert "genres" not in result.data()


def test_the_refresh_creates_the_genre_views_once_the_genre_table_exists(
    known_history, run_report, tmp_path
):
    first = run_report(known_history, "refresh")
    load_genres(known_history, [genre_record("spotify:artist:cinder", "Cinder", [])], tmp_path)

    created = run_report(known_history, "refresh")
    again = run_report(known_history, "refresh")

    assert "genre views" not in first.stderr
    assert created.stderr.splitlines()[-1] == (
        "Created or replaced the genre views: genres_by_artist, play_genres, top_genres, "
        "genres_per_month"
    )
    assert again.stderr == "The report's tables are current\n"
    assert known_history.query("SELECT genre, plays FROM top_genres WHERE rank = 1") == [
        (NOT_LOOKED_UP, 10)
    ]


def test_report_genres_on_sqld_with_a_table_prefix(sqld_jwt, unique_prefix, tmp_path, run_report):
    database = Database(sqld_jwt.url, sqld_jwt.make_token(), unique_prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)
    load_singer(database, DATA_FILES / "known_genres.singer", tmp_path)

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    assert result.data()["genres"] == EXPECTED_UTC


def test_on_sqld_current_genre_views_are_left_alone(sqld, unique_prefix, tmp_path, run_report):
    # sqld stores a view's SQL with its own spacing: the comparison must not be fooled.
    database = Database(sqld.url, prefix=unique_prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)
    load_singer(database, DATA_FILES / "known_genres.singer", tmp_path)

    first, second = run_report(database, "refresh"), run_report(database, "refresh")

    assert "Created or replaced the genre views" in first.stderr
    assert second.returncode == 0, second.stderr
    assert "genre views" not in second.stderr


# -- the report's tables against one merge of every play --------------------------------

EDGE_ZONES = (
    "UTC",
    "Pacific/Kiritimati",  # +14
    "Etc/GMT+12",  # -12
    "Asia/Kathmandu",  # +5:45
    "America/St_Johns",  # -3:30, with daylight saving time
    "Australia/Lord_Howe",  # +10:30, +11 in summer (a 30-minute change)
    "Europe/Berlin",
)


def month_edge_plays(rng: random.Random, count: int) -> list[dict]:
    """Live plays of the kit's catalog within two days of the start of a month (2024-2025,
    months with daylight saving changes among them), at any second."""
    records = []
    for n in range(count):
        month = dt.datetime(2024 + n % 2, rng.randint(1, 12), 1, tzinfo=dt.timezone.utc)
        moment = month + dt.timedelta(seconds=rng.randint(-2 * 86400, 2 * 86400))
        played_at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        records.append({"played_at": played_at, "track": rng.choice(CATALOG), "context": None})
    return records


NOT_YET = "spotify:artist:nova2"
"""The one artist of the catalog `catalog_genres` leaves to look up later."""


def catalog_genres(rng: random.Random) -> list[dict]:
    """Genre records for the catalog's artists but NOT_YET: genres shared among them, some
    without a match or without genres; the local file's artist by name."""
    vocabulary = ["dream pop", "indie pop", "ambient", "post-rock", "jazz", "lo-fi"]
    artists = {a["uri"] or a["name"]: a for track in CATALOG for a in track["artists"]}
    records = []
    for key, artist in sorted(artists.items()):
        if key == NOT_YET:
            continue
        genres = None if rng.random() < 0.15 else rng.sample(vocabulary, rng.randint(0, 3))
        records.append(genre_record(key, artist["name"], genres, by_name=artist["uri"] is None))
    return records


def report_genres(database: Database, zone: str, *, tables: bool) -> dict:
    def build(connection) -> dict:
        views = Views(read_sources(connection, database.prefix), database.prefix)
        return build_report(connection, views, Period(parse_timezone(zone)), 3, tables=tables)

    return database.run(build)["genres"]


@pytest.mark.parametrize("seed", [1, 2])
def test_genres_per_month_from_the_tables_equal_the_merge_at_month_edges_in_any_zone(
    seed, tmp_path
):
    rng = random.Random(seed)
    database = Database(str(tmp_path / "plays.db"))
    load_singer(
        database, write_live(tmp_path / "plays.singer", month_edge_plays(rng, 300)), tmp_path
    )
    load_genres(database, catalog_genres(rng), tmp_path)
    refresh(database)

    for zone in EDGE_ZONES:
        assert report_genres(database, zone, tables=True) == report_genres(
            database, zone, tables=False
        ), zone
    # Every month of the two years has plays at an edge, in both of its neighbours' zones.
    utc = report_genres(database, "UTC", tables=True)
    assert len(utc["per_month"]["months"]) >= 20


def test_refreshed_genre_figures_equal_the_merge_after_random_syncs_and_imports(tmp_path):
    database = Database(str(tmp_path / "plays.db"))
    scenario = Scenario(database, 4, "nested", tmp_path)
    rng = random.Random(4)
    load_genres(database, catalog_genres(rng), tmp_path)

    scenario.run()
    first = assert_report_equals_the_reference(database)["genres"]
    # The last lookup arrives after the plays: every artist now has a record.
    load_genres(database, [genre_record(NOT_YET, "Nova", ["synthwave"])], tmp_path)
    outcome = refresh(database)
    later = assert_report_equals_the_reference(database)["genres"]

    assert (outcome.rebuilt, outcome.changes) == (False, 0)
    assert NOT_LOOKED_UP in first["without"]
    assert NOT_LOOKED_UP not in later["without"]
    assert later["genres"] == first["genres"] + 1  # synthwave


# -- in the browser ---------------------------------------------------------------------


def test_genre_panels_render_offline_with_the_counting_rule(known_genres, run_report, tmp_path):  # noqa: F811
    report = run_report(known_genres, "--timezone", "Europe/Berlin")

    dom = rendered(report, tmp_path)

    # Months with plays per row: dream pop 3, indie pop 3, ambient 2, lo-fi 1 (February in
    # Berlin), (no genre) 2, (not looked up yet) 1.
    assert dom.classes["genre-cell"] == 12
    assert dom.classes["genre-top"] == 1
    text = "".join(dom.text)
    for shown in (
        "Top genres",
        "Genres over time",
        "A play counts once for each genre of its artists together",
        "Without a genre: (no genre): 2 plays · (not looked up yet): 1 play.",
        "in 64 % of your plays",  # dream pop: 7 of 11
        # February in Berlin: plays 6 to 10, 1 280 000 ms.
        "Feb 2024 · lo-fi: 1 play, 2 min (9 % of the month's minutes)",
    ):
        assert shown in text, shown


def test_without_genres_the_page_says_how_to_turn_them_on(known_history, run_report, tmp_path):
    report = run_report(known_history)

    dom = rendered(report, tmp_path)

    assert dom.classes["genres-off"] == 1
    assert dom.classes["genre-cell"] == 0
    assert "Genres are off: set musicbrainz_contact for tap-spotify-recent" in "".join(dom.text)
