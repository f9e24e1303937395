"""The Spotify data export merged with the live plays: every play counted once.

tests/data_files/export is an export of the listener of the known history (test_views.py)
downloaded on 2024-02-20, imported with the real tap (`history_path`, only
`streaming_history` selected) into the real target. Its Extended streaming history:

  ts (UTC)             track (album artist)       ms         becomes
  2024-01-20 10:00:00  Opening (Fjord Lights)    180 000   export only; artist never heard live
  2024-01-20 10:05:00  Morning (Aurora Lane)     150 000   export only; borrows the live credits
  2024-01-20 10:10:00  Dawn Chorus (Aurora Lane) 210 000   export only; artist, album by name
  2024-01-29 06:59:58  Morning                   199 000   = live play 1 (2 s later)
  2024-01-29 07:05:00  Evening                   238 000   = live play 2 (60 s later: the edge)
  2024-01-29 22:28:59  Strings                   590 000   export only: 61 s before live play 3
  2024-01-30 23:15:00  Morning                     5 000   under 30 s (live play 4 stays alone)
  2024-01-31 12:00:03  Embers (Cinder)           655 000   = live play 5 (the row is there twice)
  2024-01-31 12:00:20  Embers                    655 000   the same play (same length, 17 s on)
  2024-02-01 07:59:20  Morning                    40 000   export only: a replay; live play 7
  2024-02-01 08:00:00  Morning                   200 000   = live play 7     is nearer this one
  2024-02-01 09:00:00  Ep. 1: Hello (Talk Show) 1 800 000  a podcast episode: not music
  2024-02-03 18:00:01  Morning (Cinder)          120 000   = live play 8
  2024-02-04 10:00:00  Embers                    660 000   export only, in gap 1
  2024-02-04 10:11:00  Opening                   180 000   export only, in gap 1
  2024-02-04 10:12:00  Embers                     10 000   under 30 s
  2024-02-04 23:10:02  Evening                   240 000   = live play 9
  2024-02-10 10:00:00  Strings                   600 000   = live play 10
  2024-02-15 20:00:00  Dawn Chorus               210 000   export only, in gap 2
  2024-02-18 12:00:00  Evening (Various Artists) 240 000   export only; another URI (compilation)
  2024-02-20 21:00:00  Opening                   180 000   export only, in gap 2

Its Account data (`endTime` to the minute, no URI) repeats six of those plays (all dropped
for their Extended twin; Evening by Aurora Lane matches the compilation row on its length),
a play under 30 s, and one play only it has: Tide by Dune Echo, 2024-02-12 08:30, 200 000 ms.

So: 11 live plays, 7 of them also in the export (`both`, with the export's length), and 11
plays from the export alone: 22 plays.
"""

from __future__ import annotations

import pytest

from .reportkit import DATA_FILES, LAYOUTS, Database, import_export, load_singer

EXPORT = DATA_FILES / "export"
ACCOUNT_DATA = EXPORT / "Spotify Account Data" / "StreamingHistory_music_0.json"
MORNING = "spotify:track:morning"
DEMO = "spotify:local:Home+Tapes:Garage+Demos:Demo+1:120"
TIDE = '["dune echo","tide"]'


def utc(text: str) -> str:
    """'04-02 09:00:00' -> '2024-04-02T09:00:00.000Z', as the views spell instants."""
    return f"2024-{text[:5]}T{text[6:]}.000Z"


# fmt: off
# played_at, source, track_key, ms_played
MERGED_PLAYS = [
    (utc("01-20 10:00:00"), "streaming_history", "spotify:track:opening", 180_000),
    (utc("01-20 10:05:00"), "streaming_history", MORNING, 150_000),
    (utc("01-20 10:10:00"), "streaming_history", "spotify:track:dawn", 210_000),
    (utc("01-29 07:00:00"), "both", MORNING, 199_000),
    (utc("01-29 07:04:00"), "both", "spotify:track:evening", 238_000),
    (utc("01-29 22:28:59"), "streaming_history", "spotify:track:strings", 590_000),
    ("2024-01-29T22:30:00.500Z", "recently_played", "spotify:track:strings", 600_000),
    (utc("01-30 23:15:00"), "recently_played", MORNING, 200_000),
    (utc("01-31 12:00:00"), "both", "spotify:track:embers", 655_000),
    (utc("01-31 23:30:00"), "recently_played", DEMO, 120_000),
    (utc("02-01 07:59:20"), "streaming_history", MORNING, 40_000),
    (utc("02-01 08:00:00"), "both", MORNING, 200_000),
    (utc("02-03 18:00:00"), "both", "spotify:track:morning2", 120_000),
    (utc("02-04 10:00:00"), "streaming_history", "spotify:track:embers", 660_000),
    (utc("02-04 10:11:00"), "streaming_history", "spotify:track:opening", 180_000),
    (utc("02-04 23:10:00"), "both", "spotify:track:evening", 240_000),
    (utc("02-10 10:00:00"), "both", "spotify:track:strings", 600_000),
    (utc("02-12 08:30:00"), "streaming_history", TIDE, 200_000),
    (utc("02-15 20:00:00"), "streaming_history", "spotify:track:dawn", 210_000),
    (utc("02-18 12:00:00"), "streaming_history", "spotify:track:evening-best", 240_000),
    (utc("02-20 21:00:00"), "streaming_history", "spotify:track:opening", 180_000),
    (utc("04-02 09:00:00"), "recently_played", MORNING, 200_000),
]

# rank, uri, name (latest), artists, album, plays, ms_played, minutes, last played
TOP_TRACKS = [
    (1, MORNING, "Morning (2024 Remaster)", "Aurora Lane", "First Light", 6, 989_000, 16.5,
     utc("04-02 09:00:00")),
    (2, "spotify:track:strings", "Strings", "Basil Quartet", "Quartet Live", 3, 1_790_000, 29.8,
     utc("02-10 10:00:00")),
    (3, "spotify:track:opening", "Opening", "Fjord Lights", "Northern", 3, 540_000, 9.0,
     utc("02-20 21:00:00")),
    (4, "spotify:track:embers", "Embers", "Cinder, Dune Echo", "Ash", 2, 1_315_000, 21.9,
     utc("02-04 10:00:00")),
    (5, "spotify:track:evening", "Evening", "Aurora Lane, Dune Echo", "First Light", 2, 478_000,
     8.0, utc("02-04 23:10:00")),
    (6, "spotify:track:dawn", "Dawn Chorus", "Aurora Lane", "First Light", 2, 420_000, 7.0,
     utc("02-15 20:00:00")),
    (7, "spotify:track:evening-best", "Evening", "Various Artists", "Best of 2023", 1, 240_000,
     4.0, utc("02-18 12:00:00")),
    # Account data has no URI and no album: keyed on its names, its artist mapped to the URI.
    (8, TIDE, "Tide", "Dune Echo", None, 1, 200_000, 3.3, utc("02-12 08:30:00")),
    (9, DEMO, "Demo 1", "Home Tapes", "Garage Demos", 1, 120_000, 2.0, utc("01-31 23:30:00")),
    (9, "spotify:track:morning2", "Morning", "Cinder", "Ash", 1, 120_000, 2.0,
     utc("02-03 18:00:00")),
]

# Export plays of tracks heard live credit the live artists (Dune Echo on Embers and
# Evening); Dawn Chorus and Tide credit the live artist of their name. Fjord Lights was
# never heard live: keyed on the name.
# rank, key, name, plays, ms_played, minutes, distinct tracks, last played
TOP_ARTISTS = [
    (1, "spotify:artist:aurora", "Aurora Lane", 10, 1_887_000, 31.5, 3, utc("04-02 09:00:00")),
    (2, "spotify:artist:dune", "Dune Echo", 5, 1_993_000, 33.2, 3, utc("02-12 08:30:00")),
    (3, "spotify:artist:basil", "Basil Quartet", 3, 1_790_000, 29.8, 1, utc("02-10 10:00:00")),
    (4, "spotify:artist:cinder", "Cinder", 3, 1_435_000, 23.9, 2, utc("02-04 10:00:00")),
    (5, "Fjord Lights", "Fjord Lights", 3, 540_000, 9.0, 1, utc("02-20 21:00:00")),
    (6, "Various Artists", "Various Artists", 1, 240_000, 4.0, 1, utc("02-18 12:00:00")),
    (7, "Home Tapes", "Home Tapes", 1, 120_000, 2.0, 1, utc("01-31 23:30:00")),
]

# Dawn Chorus joins First Light by the album's name and artist; albums never heard live
# are keyed on both names.
# rank, key, name, album artists, plays, ms_played, minutes, distinct tracks, last played
TOP_ALBUMS = [
    (1, "spotify:album:firstlight", "First Light", "Aurora Lane", 10, 1_887_000, 31.5, 3,
     utc("04-02 09:00:00")),
    (2, "spotify:album:quartet", "Quartet Live", "Basil Quartet", 3, 1_790_000, 29.8, 1,
     utc("02-10 10:00:00")),
    (3, "spotify:album:ash", "Ash", "Cinder", 3, 1_435_000, 23.9, 2, utc("02-04 10:00:00")),
    (4, '["fjord lights","northern"]', "Northern", "Fjord Lights", 3, 540_000, 9.0, 1,
     utc("02-20 21:00:00")),
    (5, '["various artists","best of 2023"]', "Best of 2023", "Various Artists", 1, 240_000,
     4.0, 1, utc("02-18 12:00:00")),
    (6, "Garage Demos", "Garage Demos", "Home Tapes", 1, 120_000, 2.0, 1, utc("01-31 23:30:00")),
]

# plays, ms, minutes, tracks, artists, albums, days, first, last
SUMMARY = [
    (22, 6_212_000, 103.5, 10, 7, 6, 13, utc("01-20 10:00:00"), utc("04-02 09:00:00")),
]

# Gap 1 (bookmark 02-03 18:00, oldest returned 02-04 23:10) lies within the export; gap 2
# (02-10 10:00 to 04-02 09:00) outlasts it (its last play is on 02-20).
# detected, bookmark, oldest returned, status, plays only the export has inside it
GAP_COVERAGE = [
    (utc("02-10 10:05:00"), utc("02-03 18:00:00"), utc("02-04 23:10:00"), "covered", 2),
    (utc("04-02 09:10:00"), utc("02-10 10:00:00"), utc("04-02 09:00:00"), "partly covered", 4),
]

ARTIST_DISCOVERIES = [
    ("Fjord Lights", "Fjord Lights", utc("01-20 10:00:00"), "Opening"),
    ("spotify:artist:aurora", "Aurora Lane", utc("01-20 10:05:00"), "Morning"),
    ("spotify:artist:dune", "Dune Echo", utc("01-29 07:04:00"), "Evening"),
    ("spotify:artist:basil", "Basil Quartet", utc("01-29 22:28:59"), "Strings"),
    ("spotify:artist:cinder", "Cinder", utc("01-31 12:00:00"), "Embers"),
    ("Home Tapes", "Home Tapes", utc("01-31 23:30:00"), "Demo 1"),
    ("Various Artists", "Various Artists", utc("02-18 12:00:00"), "Evening"),
]
# fmt: on


def merged_database(tmp_path, history_path=EXPORT, **layout) -> Database:
    """The known history loaded by the target, then the export imported by the tap."""
    database = Database(str(tmp_path / "merged.db"))
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path, **layout)
    import_export(database, history_path, tmp_path, **layout)
    return database


def select(database: Database, view: str, columns: str = "*", order: str = "") -> list[tuple]:
    return database.query(f'SELECT {columns} FROM "{database.prefix}{view}" {order}')


def plays(database: Database) -> list[tuple]:
    return select(database, "plays", "played_at, source, track_key, ms_played", "ORDER BY 1")


def assert_merged_views(database: Database) -> None:
    """Every play once, and the figures built on them, exactly."""
    assert plays(database) == MERGED_PLAYS
    assert select(database, "top_tracks") == TOP_TRACKS
    assert select(database, "top_artists") == TOP_ARTISTS
    assert select(database, "top_albums") == TOP_ALBUMS
    assert select(database, "listening_summary") == SUMMARY
    assert select(database, "listening_gap_coverage") == GAP_COVERAGE
    assert select(database, "artist_discoveries") == ARTIST_DISCOVERIES


@pytest.mark.parametrize("layout", LAYOUTS)
def test_export_and_live_plays_count_each_play_once_in_every_layout(layout, tmp_path, run_report):
    database = merged_database(tmp_path, **LAYOUTS[layout])

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    assert_merged_views(database)


def test_merged_views_on_sqld_with_a_table_prefix(sqld, unique_prefix, tmp_path, run_report):
    database = Database(sqld.url, prefix=unique_prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)
    import_export(database, EXPORT, tmp_path)

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    assert_merged_views(database)


def test_a_pair_takes_the_live_credits_and_the_exported_length(merged_history, run_report):
    # Live play 2 credits Aurora Lane and Dune Echo; the export knows only the album
    # artist, and that the play lasted 238 000 ms (the track is 240 000 ms long).
    assert run_report(merged_history).returncode == 0

    rows = select(
        merged_history,
        "play_artists",
        "source, track_name, ms_played, artist_key, credit_position",
        f"WHERE played_at = '{utc('01-29 07:04:00')}' ORDER BY credit_position",
    )

    assert rows == [
        ("both", "Evening", 238_000, "spotify:artist:aurora", 0),
        ("both", "Evening", 238_000, "spotify:artist:dune", 1),
    ]


def test_importing_the_export_again_changes_nothing(merged_history, tmp_path, run_report):
    import_export(merged_history, EXPORT, tmp_path)

    result = run_report(merged_history)

    assert result.returncode == 0, result.stderr
    assert merged_history.query('SELECT count(*) FROM "streaming_history"') == [(29,)]
    assert plays(merged_history) == MERGED_PLAYS


def test_account_data_alone_pairs_with_live_plays_by_names_within_its_minute(tmp_path, run_report):
    database = merged_database(tmp_path, ACCOUNT_DATA)

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    # 06:59 holds live play 1 (07:00:00, 1 s after the minute); 10:00 holds live play 10.
    # Tracks heard live under the same title and artist take their URI (Evening by Aurora
    # Lane); the others are keyed on their names.
    exported = select(
        database,
        "plays",
        "played_at, source, track_key, ms_played",
        "WHERE source != 'recently_played' ORDER BY played_at",
    )
    assert exported == [
        (utc("01-29 07:00:00"), "both", MORNING, 199_000),
        (utc("02-04 10:00:00"), "streaming_history", "spotify:track:embers", 660_000),
        (utc("02-04 10:11:00"), "streaming_history", '["fjord lights","opening"]', 180_000),
        (utc("02-10 10:00:00"), "both", "spotify:track:strings", 600_000),
        (utc("02-12 08:30:00"), "streaming_history", TIDE, 200_000),
        (utc("02-15 20:00:00"), "streaming_history", '["aurora lane","dawn chorus"]', 210_000),
        (utc("02-18 12:00:00"), "streaming_history", "spotify:track:evening", 240_000),
    ]
    assert select(database, "listening_summary", "plays, ms_played") == [(16, 4_869_000)]
    assert select(database, "listening_gap_coverage", "status, plays_filled_in") == [
        ("covered", 2),
        ("partly covered", 3),
    ]


def test_the_export_alone_is_a_history_too(tmp_path, run_report):
    database = Database(str(tmp_path / "export-only.db"))
    import_export(database, EXPORT, tmp_path)

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    # The 17 Extended plays (no live play to pair with) and Tide. With no live plays to
    # learn from, an artist is the album artist, keyed on the name.
    assert select(database, "listening_summary", "plays, ms_played, tracks, artists") == [
        (18, 5_092_000, 9, 6)
    ]
    assert select(database, "top_artists", "artist_key, plays, ms_played") == [
        ("Aurora Lane", 8, 1_487_000),
        ("Cinder", 3, 1_435_000),
        ("Fjord Lights", 3, 540_000),
        ("Basil Quartet", 2, 1_190_000),
        ("Various Artists", 1, 240_000),
        ("Dune Echo", 1, 200_000),
    ]
    assert select(database, "listening_gap_coverage") == []


def test_stored_views_need_no_sqlite_newer_than_their_window_functions(merged_history, run_report):
    # A view that an older SQLite cannot parse makes the whole file unreadable to it: the
    # MATERIALIZED hint (3.35) is kept to the report's own statement.
    assert run_report(merged_history).returncode == 0

    views = merged_history.query("SELECT name, sql FROM sqlite_master WHERE type = 'view'")

    assert len(views) == 15
    assert [name for name, sql in views if "MATERIALIZED" in sql.upper()] == []
