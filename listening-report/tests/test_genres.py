"""The genre views, figure by figure, on the known history (see test_views.py) and the genres
of tests/data_files/known_genres.singer, as tap-spotify-recent's artist_genres stream writes
them:

  artist          record                                   plays (ms)
  Aurora Lane     dream pop (5 votes), indie pop (2)       1, 2, 4, 7, 9, 11
  Dune Echo       dream pop (3), ambient (1)               2, 5, 9 (with Aurora Lane or Cinder)
  Basil Quartet   no MusicBrainz match: no genres          3, 10 (600 000 each)
  home tapes      keyed by name (local file): lo-fi (1)    6: "Home Tapes" (120 000)
  Cinder          no record yet (not looked up)            5 (with Dune Echo), 8 (120 000)
  Never Played    noise (1)                                none

Play genres (each genre once per play): 1, 4, 7, 11 Morning (200 000): dream pop, indie pop;
2, 9 Evening (240 000): dream pop, indie pop, ambient (dream pop once, though both artists
have it); 5 Embers (660 000): dream pop, ambient (Cinder adds nothing); 3, 10: (no genre);
6: lo-fi; 8: (not looked up yet).
"""

from __future__ import annotations

import json

import pytest
from libsql_access.connection import connect
from listening_report.genres import GENRE_VIEW_NAMES, GenreViews
from listening_report.refresh import Refresh
from listening_report.source_tables import LayoutError, read_sources

from .reportkit import DATA_FILES, Database, load_singer

DREAM, INDIE, AMBIENT, LOFI, NOISE = "dream pop", "indie pop", "ambient", "lo-fi", "noise"
NO, NOT_YET = "(no genre)", "(not looked up yet)"

# rank, minutes_rank, genre, plays, ms_played, minutes, last played
TOP_GENRES = [
    (1, 1, DREAM, 7, 1_940_000, 32.3, "2024-04-02T09:00:00.000Z"),
    (2, 2, INDIE, 6, 1_280_000, 21.3, "2024-04-02T09:00:00.000Z"),
    (3, 4, AMBIENT, 3, 1_140_000, 19.0, "2024-02-04T23:10:00.000Z"),
    (4, 3, NO, 2, 1_200_000, 20.0, "2024-02-10T10:00:00.000Z"),
    (5, 5, NOT_YET, 1, 120_000, 2.0, "2024-02-03T18:00:00.000Z"),
    (5, 5, LOFI, 1, 120_000, 2.0, "2024-01-31T23:30:00.000Z"),
]
GENRES_PER_MONTH = [
    ("2024-01", DREAM, 4, 1_300_000, 21.7),
    ("2024-01", INDIE, 3, 640_000, 10.7),
    ("2024-01", AMBIENT, 2, 900_000, 15.0),
    ("2024-01", NO, 1, 600_000, 10.0),
    ("2024-01", LOFI, 1, 120_000, 2.0),
    ("2024-02", DREAM, 2, 440_000, 7.3),
    ("2024-02", INDIE, 2, 440_000, 7.3),
    ("2024-02", NO, 1, 600_000, 10.0),
    ("2024-02", AMBIENT, 1, 240_000, 4.0),
    ("2024-02", NOT_YET, 1, 120_000, 2.0),
    ("2024-04", DREAM, 1, 200_000, 3.3),
    ("2024-04", INDIE, 1, 200_000, 3.3),
]
GENRES_BY_ARTIST = [
    ("spotify:artist:aurora", "Aurora Lane", DREAM, 5, "spotify_url"),
    ("spotify:artist:aurora", "Aurora Lane", INDIE, 2, "spotify_url"),
    ("spotify:artist:basil", "Basil Quartet", NO, None, None),
    ("spotify:artist:dune", "Dune Echo", DREAM, 3, "isrc"),
    ("spotify:artist:dune", "Dune Echo", AMBIENT, 1, "isrc"),
    ("spotify:artist:nobody", "Never Played", NOISE, 1, "spotify_url"),
    ("home tapes", "home tapes", LOFI, 1, "name_search"),
]


def create_views(database: Database) -> list[str]:
    """The report's tables and views (`listening-report refresh`), then the genre views."""
    connection = connect(database.url, database.token)
    try:
        Refresh(read_sources(connection, database.prefix), database.prefix).run(connection)
        return GenreViews(database.prefix).create(connection)
    finally:
        connection.close()


@pytest.fixture
def known_genres(known_history: Database, tmp_path) -> Database:
    load_singer(known_history, DATA_FILES / "known_genres.singer", tmp_path)
    return known_history


def test_top_genres_count_a_play_once_per_genre_of_its_artists(known_genres):
    create_views(known_genres)

    assert (
        known_genres.query(
            "SELECT rank, minutes_rank, genre, plays, ms_played, minutes, last_played_at "
            "FROM top_genres"
        )
        == TOP_GENRES
    )


def test_genres_per_month(known_genres):
    create_views(known_genres)

    rows = known_genres.query(
        "SELECT month, genre, plays, ms_played, minutes FROM genres_per_month"
    )

    assert rows == GENRES_PER_MONTH


def test_each_play_has_its_genres_each_once(known_genres):
    create_views(known_genres)

    rows = known_genres.query(
        "SELECT genre FROM play_genres WHERE played_at = '2024-01-29T07:04:00.000Z' ORDER BY genre"
    )

    assert rows == [(AMBIENT,), (DREAM,), (INDIE,)]
    assert known_genres.query("SELECT count(DISTINCT played_at) FROM play_genres") == [(11,)]


def test_genres_by_artist_lists_artists_without_genres_as_no_genre(known_genres):
    create_views(known_genres)

    rows = known_genres.query(
        "SELECT artist_key, artist_name, genre, votes, matched_by FROM genres_by_artist"
    )

    assert rows == GENRES_BY_ARTIST


def test_genre_views_on_sqld_with_a_table_prefix(sqld_jwt, unique_prefix, tmp_path):
    database = Database(sqld_jwt.url, sqld_jwt.make_token(), unique_prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)
    load_singer(database, DATA_FILES / "known_genres.singer", tmp_path)

    created = create_views(database)

    assert created == [unique_prefix + view for view in GENRE_VIEW_NAMES]
    top = database.query(
        f"SELECT rank, minutes_rank, genre, plays, ms_played, minutes, last_played_at "
        f'FROM "{unique_prefix}top_genres"'
    )
    assert top == TOP_GENRES


def test_without_the_genre_table_the_error_names_the_tap_setting(known_history):
    with pytest.raises(LayoutError) as error:
        create_views(known_history)

    assert str(error.value) == (
        "The database has no table 'artist_genres': set musicbrainz_contact for "
        "tap-spotify-recent so that it looks genres up (its artist_genres stream)."
    )


def test_an_export_only_artist_gets_the_genres_of_its_name_record(merged_history, tmp_path):
    """Fjord Lights (export only, never heard live) is keyed by name in the plays and in its
    genre record (the tap's name search), which spells it in another case."""
    schema = (DATA_FILES / "known_genres.singer").read_text(encoding="utf-8").splitlines()[0]
    record = {
        "artist_key": "FJORD LIGHTS",
        "spotify_artist_id": None,
        "artist_name": "FJORD LIGHTS",
        "musicbrainz_id": "a0000000-0000-4000-8000-00000000f00d",
        "musicbrainz_name": "Fjord Lights",
        "matched_by": "name_search",
        "unmatched_reason": None,
        "genres": [{"name": "synthwave", "count": 2, "id": None}],
        "tags": [],
        "looked_up_at": "2024-02-21T00:00:00.000Z",
    }
    singer = tmp_path / "fjord.singer"
    message = {"type": "RECORD", "stream": "artist_genres", "record": record}
    singer.write_text(f"{schema}\n{json.dumps(message)}\n", encoding="utf-8")
    load_singer(merged_history, singer, tmp_path)

    create_views(merged_history)

    assert merged_history.query(
        "SELECT played_at, ms_played FROM play_genres WHERE genre = 'synthwave' ORDER BY 1"
    ) == [
        ("2024-01-20T10:00:00.000Z", 180_000),
        ("2024-02-04T10:11:00.000Z", 180_000),
        ("2024-02-20T21:00:00.000Z", 180_000),
    ]
    assert merged_history.query(
        "SELECT genre, plays FROM top_genres WHERE genre != 'synthwave'"
    ) == [(NOT_YET, 19)]
