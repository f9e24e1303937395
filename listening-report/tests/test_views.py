"""The SQL views, checked figure by figure against a history small enough to add up by hand.

tests/data_files/known_history.singer holds 11 plays of 6 tracks (UTC):

  #  played_at             track (duration)                        artists
  1  2024-01-29 07:00:00   Morning (200 000 ms)                     Aurora Lane
  2  2024-01-29 07:04:00   Evening (240 000)                        Aurora Lane, Dune Echo
  3  2024-01-29 22:30:00.5 Strings (600 000)                        Basil Quartet
  4  2024-01-30 23:15:00   Morning                                  Aurora Lane
  5  2024-01-31 12:00:00   Embers (660 000)                         Cinder, Dune Echo
  6  2024-01-31 23:30:00   Demo 1 (120 000, local file, no ids)     Home Tapes
  7  2024-02-01 08:00:00   Morning                                  Aurora Lane
  8  2024-02-03 18:00:00   Morning (another track, 120 000)         Cinder
  9  2024-02-04 23:10:00   Evening                                  Aurora Lane, Dune Echo
  10 2024-02-10 10:00:00   Strings                                  Basil Quartet
  11 2024-04-02 09:00:00   Morning, renamed "Morning (2024 Remaster)"

Albums: First Light (Morning, Evening), Quartet Live (Strings), Ash (Embers, the other
Morning), Garage Demos (Demo 1, local: no URI). 2024-01-29 is a Monday.
"""

from __future__ import annotations

import pytest

from .reportkit import DATA_FILES, LAYOUTS, Database, load_singer

VIEWS = [
    "plays",
    "play_artists",
    "top_tracks",
    "top_artists",
    "top_albums",
    "artist_discoveries",
    "new_artists_per_month",
    "listening_per_day",
    "listening_per_week",
    "listening_per_month",
    "listening_by_weekday_hour",
    "listening_streaks",
    "busiest_spans",
    "listening_summary",
    "listening_gap_coverage",
]

MORNING = "spotify:track:morning"
DEMO = "spotify:local:Home+Tapes:Garage+Demos:Demo+1:120"


def utc(text: str) -> str:
    """'04-02 09:00' -> '2024-04-02T09:00:00.000Z', as the views spell instants."""
    return f"2024-{text[:5]}T{text[6:]}:00.000Z"


# fmt: off
# rank, uri, name (latest), artists, album, plays, ms_played, minutes, last played
TOP_TRACKS = [
    (1, MORNING, "Morning (2024 Remaster)", "Aurora Lane", "First Light", 4, 800_000, 13.3,
     utc("04-02 09:00")),
    (2, "spotify:track:strings", "Strings", "Basil Quartet", "Quartet Live", 2, 1_200_000, 20.0,
     utc("02-10 10:00")),
    (3, "spotify:track:evening", "Evening", "Aurora Lane, Dune Echo", "First Light", 2, 480_000,
     8.0, utc("02-04 23:10")),
    (4, "spotify:track:embers", "Embers", "Cinder, Dune Echo", "Ash", 1, 660_000, 11.0,
     utc("01-31 12:00")),
    # A tie shares the rank; the name breaks it for the order.
    (5, DEMO, "Demo 1", "Home Tapes", "Garage Demos", 1, 120_000, 2.0, utc("01-31 23:30")),
    (5, "spotify:track:morning2", "Morning", "Cinder", "Ash", 1, 120_000, 2.0, utc("02-03 18:00")),
]

# Every credited artist gets the play: Dune Echo is credited on Evening and Embers.
# rank, key, name, plays, ms_played, minutes, distinct tracks, last played
TOP_ARTISTS = [
    (1, "spotify:artist:aurora", "Aurora Lane", 6, 1_280_000, 21.3, 2, utc("04-02 09:00")),
    (2, "spotify:artist:dune", "Dune Echo", 3, 1_140_000, 19.0, 2, utc("02-04 23:10")),
    (3, "spotify:artist:basil", "Basil Quartet", 2, 1_200_000, 20.0, 1, utc("02-10 10:00")),
    (4, "spotify:artist:cinder", "Cinder", 2, 780_000, 13.0, 2, utc("02-03 18:00")),
    # A local file's artist has no URI: keyed on the name.
    (5, "Home Tapes", "Home Tapes", 1, 120_000, 2.0, 1, utc("01-31 23:30")),
]

# rank, key, name, album artists, plays, ms_played, minutes, distinct tracks, last played
TOP_ALBUMS = [
    (1, "spotify:album:firstlight", "First Light", "Aurora Lane", 6, 1_280_000, 21.3, 2,
     utc("04-02 09:00")),
    (2, "spotify:album:quartet", "Quartet Live", "Basil Quartet", 2, 1_200_000, 20.0, 1,
     utc("02-10 10:00")),
    (3, "spotify:album:ash", "Ash", "Cinder", 2, 780_000, 13.0, 2, utc("02-03 18:00")),
    # A local file's album has no URI either.
    (4, "Garage Demos", "Garage Demos", "Home Tapes", 1, 120_000, 2.0, 1, utc("01-31 23:30")),
]

ARTIST_DISCOVERIES = [
    ("spotify:artist:aurora", "Aurora Lane", "2024-01-29T07:00:00.000Z", "Morning"),
    ("spotify:artist:dune", "Dune Echo", "2024-01-29T07:04:00.000Z", "Evening"),
    ("spotify:artist:basil", "Basil Quartet", "2024-01-29T22:30:00.500Z", "Strings"),
    ("spotify:artist:cinder", "Cinder", "2024-01-31T12:00:00.000Z", "Embers"),
    ("Home Tapes", "Home Tapes", "2024-01-31T23:30:00.000Z", "Demo 1"),
]

# day, plays, ms_played, minutes, distinct tracks
PER_DAY = [
    ("2024-01-29", 3, 1_040_000, 17.3, 3),
    ("2024-01-30", 1, 200_000, 3.3, 1),
    ("2024-01-31", 2, 780_000, 13.0, 2),
    ("2024-02-01", 1, 200_000, 3.3, 1),
    ("2024-02-03", 1, 120_000, 2.0, 1),
    ("2024-02-04", 1, 240_000, 4.0, 1),
    ("2024-02-10", 1, 600_000, 10.0, 1),
    ("2024-04-02", 1, 200_000, 3.3, 1),
]
PER_WEEK = [  # weeks start on Monday; Sunday 2024-02-04 still belongs to the week of 01-29
    ("2024-01-29", 9, 2_580_000, 43.0, 6),
    ("2024-02-05", 1, 600_000, 10.0, 1),
    ("2024-04-01", 1, 200_000, 3.3, 1),
]
PER_MONTH = [
    ("2024-01", 6, 2_020_000, 33.7, 5),
    ("2024-02", 4, 1_160_000, 19.3, 4),
    ("2024-04", 1, 200_000, 3.3, 1),
]
# weekday (0 = Monday), name, hour, plays, ms_played, minutes
WEEKDAY_HOUR = [
    (0, "Mon", 7, 2, 440_000, 7.3),
    (0, "Mon", 22, 1, 600_000, 10.0),
    (1, "Tue", 9, 1, 200_000, 3.3),
    (1, "Tue", 23, 1, 200_000, 3.3),
    (2, "Wed", 12, 1, 660_000, 11.0),
    (2, "Wed", 23, 1, 120_000, 2.0),
    (3, "Thu", 8, 1, 200_000, 3.3),
    (5, "Sat", 10, 1, 600_000, 10.0),
    (5, "Sat", 18, 1, 120_000, 2.0),
    (6, "Sun", 23, 1, 240_000, 4.0),
]
STREAKS = [  # longest first, then the latest
    ("2024-01-29", "2024-02-01", 4),
    ("2024-02-03", "2024-02-04", 2),
    ("2024-04-02", "2024-04-02", 1),
    ("2024-02-10", "2024-02-10", 1),
]
# plays, ms, minutes, tracks, artists, albums, days, first, last
SUMMARY = [
    (11, 3_380_000, 56.3, 6, 5, 4, 8, "2024-01-29T07:00:00.000Z", "2024-04-02T09:00:00.000Z"),
]

# fmt: on


def assert_known_views(database: Database) -> None:
    """Every view of the known history, exactly."""
    p = database.prefix
    select = lambda view, order="": database.query(f'SELECT * FROM "{p}{view}" {order}')  # noqa: E731
    assert select("top_tracks") == TOP_TRACKS
    assert select("top_artists") == TOP_ARTISTS
    assert select("top_albums") == TOP_ALBUMS
    assert select("artist_discoveries") == ARTIST_DISCOVERIES
    assert select("new_artists_per_month") == [("2024-01", 5)]
    assert select("listening_per_day") == PER_DAY
    assert select("listening_per_week") == PER_WEEK
    assert select("listening_per_month") == PER_MONTH
    assert select("listening_by_weekday_hour") == WEEKDAY_HOUR
    assert select("listening_streaks") == STREAKS
    assert select("listening_summary") == SUMMARY
    plays = database.query(
        "SELECT played_at, source, track_key, track_id, track_name, album_key, ms_played, "
        f'is_local FROM "{p}plays" WHERE track_name LIKE ? ORDER BY played_at',
        ("Demo%",),
    )
    assert plays == [
        (
            "2024-01-31T23:30:00.000Z",
            "recently_played",
            DEMO,
            None,
            "Demo 1",
            "Garage Demos",
            120_000,
            1,
        ),
    ]
    credits = database.query(
        f'SELECT artist_key, artist_name, credit_position FROM "{p}play_artists" '
        "WHERE played_at = ? ORDER BY credit_position",
        ("2024-01-29T07:04:00.000Z",),
    )
    assert credits == [
        ("spotify:artist:aurora", "Aurora Lane", 0),
        ("spotify:artist:dune", "Dune Echo", 1),
    ]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_views_give_exact_figures_in_every_layout_the_target_writes(layout, tmp_path, run_report):
    database = Database(str(tmp_path / "plays.db"))
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path, **LAYOUTS[layout])

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    assert_known_views(database)


def test_views_on_sqld_with_a_table_prefix_give_the_same_figures(
    sqld, unique_prefix, tmp_path, run_report
):
    database = Database(sqld.url, prefix=unique_prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    assert_known_views(database)
    created = database.query(
        "SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE ? ORDER BY name",
        (unique_prefix + "%",),
    )
    assert sorted(name for (name,) in created) == sorted(unique_prefix + view for view in VIEWS)


def test_running_again_replaces_the_views_and_sees_new_plays(known_history, tmp_path, run_report):
    assert run_report(known_history).returncode == 0
    load_singer(known_history, DATA_FILES / "one_more_play.singer", tmp_path)

    result = run_report(known_history)

    assert result.returncode == 0, result.stderr
    assert known_history.query('SELECT plays, ms_played FROM "listening_summary"') == [
        (12, 3_380_000 + 240_000)
    ]


def test_no_views_option_leaves_the_database_without_views(known_history, run_report):
    result = run_report(known_history, "--no-views")

    assert result.returncode == 0, result.stderr
    assert known_history.query("SELECT count(*) FROM sqlite_master WHERE type = 'view'") == [(0,)]
    assert result.data()["totals"]["plays"] == 11


def test_a_table_where_a_view_goes_is_reported_not_dropped(known_history, run_report):
    known_history.query('CREATE TABLE "top_tracks" (x)')

    result = run_report(known_history)

    assert result.returncode == 1
    assert "has a table named 'top_tracks' where the report wants a view" in result.stderr
    assert "Traceback" not in result.stderr
    assert known_history.query("SELECT count(*) FROM sqlite_master WHERE type = 'view'") == [(0,)]


def test_played_at_with_any_offset_or_precision_becomes_utc_with_milliseconds(tmp_path, run_report):
    database = Database(str(tmp_path / "formats.db"))
    load_singer(database, DATA_FILES / "played_at_formats.singer", tmp_path)

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    assert database.query('SELECT played_at FROM "plays" ORDER BY played_at') == [
        ("2024-05-01T06:30:00.000Z",),  # 12:00:00+05:30
        ("2024-05-01T08:00:00.250Z",),  # lowercase t and z
        ("2024-05-01T09:00:00.123Z",),  # nanoseconds
        ("2024-05-01T13:00:00.000Z",),  # 10:00:00-03:00
    ]
