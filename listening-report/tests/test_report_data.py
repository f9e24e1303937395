"""The figures embedded in the HTML report, checked one by one against the known history.

The plays are listed in test_views.py's docstring. Europe/Berlin is UTC+1 in winter and
UTC+2 from 2024-03-31, which moves four late-evening plays to the next day (and play 9,
Sunday 23:10 UTC, into the next week) and play 6 (2024-01-31 23:30 UTC) into February.
"""

from __future__ import annotations

from .reportkit import DATA_FILES, Database, load_singer
from .reportkit import album_row as album
from .reportkit import artist_row as artist
from .reportkit import track_row as track

MORNING = "spotify:track:morning"
DEMO = "spotify:local:Home+Tapes:Garage+Demos:Demo+1:120"


def heatmap(cells: dict[tuple[int, int], tuple[int, int]]) -> dict[str, list[list[int]]]:
    """7 x 24 matrices (Monday first) from {(weekday, hour): (plays, ms_played)}."""
    plays = [[cells.get((day, hour), (0, 0))[0] for hour in range(24)] for day in range(7)]
    ms = [[cells.get((day, hour), (0, 0))[1] for hour in range(24)] for day in range(7)]
    return {"plays": plays, "ms_played": ms}


def streak(first, last, days):
    return {"first_day": first, "last_day": last, "days": days}


def gap(detected, bookmark, oldest, minutes, status="open", plays_filled_in=0):
    return {
        "detected_at": detected,
        "bookmark": bookmark,
        "oldest_returned_played_at": oldest,
        "minutes": minutes,
        "status": status,
        "plays_filled_in": plays_filled_in,
    }


MORNING_NOW = track(MORNING, "Morning (2024 Remaster)", "Aurora Lane", "First Light", 4, 800_000)
STRINGS = track("spotify:track:strings", "Strings", "Basil Quartet", "Quartet Live", 2, 1_200_000)
EVENING = track(
    "spotify:track:evening", "Evening", "Aurora Lane, Dune Echo", "First Light", 2, 480_000
)
EMBERS = track("spotify:track:embers", "Embers", "Cinder, Dune Echo", "Ash", 1, 660_000)
DEMO_1 = track(DEMO, "Demo 1", "Home Tapes", "Garage Demos", 1, 120_000)
MORNING_2 = track("spotify:track:morning2", "Morning", "Cinder", "Ash", 1, 120_000)

AURORA = artist("spotify:artist:aurora", "Aurora Lane", 6, 1_280_000, 2)
DUNE = artist("spotify:artist:dune", "Dune Echo", 3, 1_140_000, 2)
BASIL = artist("spotify:artist:basil", "Basil Quartet", 2, 1_200_000, 1)
CINDER = artist("spotify:artist:cinder", "Cinder", 2, 780_000, 2)
HOME = artist("Home Tapes", "Home Tapes", 1, 120_000, 1)

FIRST_LIGHT = album("spotify:album:firstlight", "First Light", "Aurora Lane", 6, 1_280_000, 2)
QUARTET = album("spotify:album:quartet", "Quartet Live", "Basil Quartet", 2, 1_200_000, 1)
ASH = album("spotify:album:ash", "Ash", "Cinder", 2, 780_000, 2)
GARAGE = album("Garage Demos", "Garage Demos", "Home Tapes", 1, 120_000, 1)

TOP_ALL_HISTORY = {
    "tracks": {
        "by_plays": [MORNING_NOW, STRINGS, EVENING, EMBERS, DEMO_1, MORNING_2],
        "by_minutes": [STRINGS, MORNING_NOW, EMBERS, EVENING, DEMO_1, MORNING_2],
    },
    "artists": {
        "by_plays": [AURORA, DUNE, BASIL, CINDER, HOME],
        "by_minutes": [AURORA, BASIL, DUNE, CINDER, HOME],
    },
    "albums": {
        "by_plays": [FIRST_LIGHT, QUARTET, ASH, GARAGE],
        "by_minutes": [FIRST_LIGHT, QUARTET, ASH, GARAGE],
    },
}

NO_HEALTH = {"busiest": None, "runs": None}

EXPECTED_UTC = {
    "timezone": "UTC",
    "since": None,
    "until": None,
    "top_n": 10,
    "totals": {
        "plays": 11,
        "ms_played": 3_380_000,
        "tracks": 6,
        "artists": 5,
        "albums": 4,
        "days": 8,
        "first_play": "2024-01-29 07:00",
        "last_play": "2024-04-02 09:00",
    },
    "sources": {"recently_played": {"plays": 11, "ms_played": 3_380_000}},
    "top": TOP_ALL_HISTORY,
    "per_day": [
        ["2024-01-29", 3, 1_040_000],
        ["2024-01-30", 1, 200_000],
        ["2024-01-31", 2, 780_000],
        ["2024-02-01", 1, 200_000],
        ["2024-02-03", 1, 120_000],
        ["2024-02-04", 1, 240_000],
        ["2024-02-10", 1, 600_000],
        ["2024-04-02", 1, 200_000],
    ],
    "per_week": [
        ["2024-01-29", 9, 2_580_000],
        ["2024-02-05", 1, 600_000],
        ["2024-04-01", 1, 200_000],
    ],
    "weekday_hour": heatmap(
        {
            (0, 7): (2, 440_000),
            (0, 22): (1, 600_000),
            (1, 9): (1, 200_000),
            (1, 23): (1, 200_000),
            (2, 12): (1, 660_000),
            (2, 23): (1, 120_000),
            (3, 8): (1, 200_000),
            (5, 10): (1, 600_000),
            (5, 18): (1, 120_000),
            (6, 23): (1, 240_000),
        }
    ),
    "streaks": {
        "longest": [
            streak("2024-01-29", "2024-02-01", 4),
            streak("2024-02-03", "2024-02-04", 2),
            streak("2024-04-02", "2024-04-02", 1),
            streak("2024-02-10", "2024-02-10", 1),
        ],
        "latest": streak("2024-04-02", "2024-04-02", 1),
    },
    "new_artists": [
        {
            "month": "2024-01",
            "count": 5,
            "first_names": ["Aurora Lane", "Dune Echo", "Basil Quartet", "Cinder", "Home Tapes"],
        },
    ],
    "gaps": [
        gap("2024-02-10 10:05", "2024-02-03 18:00", "2024-02-04 23:10", 29 * 60 + 10),
        gap("2024-04-02 09:10", "2024-02-10 10:00", "2024-04-02 09:00", (52 * 24 - 1) * 60),
    ],
    # Fewer than 50 plays, no sync_runs table: nothing to measure (see test_health.py).
    "health": NO_HEALTH,
}

EXPECTED_BERLIN = {
    **EXPECTED_UTC,
    "timezone": "Europe/Berlin",
    "totals": {
        **EXPECTED_UTC["totals"],
        "days": 7,
        "first_play": "2024-01-29 08:00",
        "last_play": "2024-04-02 11:00",
    },
    "per_day": [
        ["2024-01-29", 3, 1_040_000],
        ["2024-01-31", 2, 860_000],
        ["2024-02-01", 2, 320_000],
        ["2024-02-03", 1, 120_000],
        ["2024-02-05", 1, 240_000],
        ["2024-02-10", 1, 600_000],
        ["2024-04-02", 1, 200_000],
    ],
    "per_week": [
        ["2024-01-29", 8, 2_340_000],
        ["2024-02-05", 2, 840_000],
        ["2024-04-01", 1, 200_000],
    ],
    "weekday_hour": heatmap(
        {
            (0, 0): (1, 240_000),
            (0, 8): (2, 440_000),
            (0, 23): (1, 600_000),
            (1, 11): (1, 200_000),
            (2, 0): (1, 200_000),
            (2, 13): (1, 660_000),
            (3, 0): (1, 120_000),
            (3, 9): (1, 200_000),
            (5, 11): (1, 600_000),
            (5, 19): (1, 120_000),
        }
    ),
    "streaks": {
        "longest": [
            streak("2024-01-31", "2024-02-01", 2),
            streak("2024-04-02", "2024-04-02", 1),
            streak("2024-02-10", "2024-02-10", 1),
            streak("2024-02-05", "2024-02-05", 1),
            streak("2024-02-03", "2024-02-03", 1),
        ],
        "latest": streak("2024-04-02", "2024-04-02", 1),
    },
    "new_artists": [
        {
            "month": "2024-01",
            "count": 4,
            "first_names": ["Aurora Lane", "Dune Echo", "Basil Quartet", "Cinder"],
        },
        {"month": "2024-02", "count": 1, "first_names": ["Home Tapes"]},
    ],
    "gaps": [
        gap("2024-02-10 11:05", "2024-02-03 19:00", "2024-02-05 00:10", 29 * 60 + 10),
        gap("2024-04-02 11:10", "2024-02-10 11:00", "2024-04-02 11:00", (52 * 24 - 1) * 60),
    ],
}


def test_report_data_is_exact_for_the_whole_history_in_utc(known_history, run_report):
    result = run_report(known_history)

    assert result.returncode == 0, result.stderr
    assert result.data() == EXPECTED_UTC


def test_time_zone_moves_plays_between_days_weeks_hours_and_months(known_history, run_report):
    result = run_report(known_history, "--timezone", "Europe/Berlin")

    assert result.returncode == 0, result.stderr
    assert result.data() == EXPECTED_BERLIN


def test_date_range_and_top_n_restrict_every_figure(known_history, run_report):
    # Berlin days 2024-02-01 to 2024-02-04 = [2024-01-31 23:00, 2024-02-04 23:00) UTC:
    # plays 6 (Demo 1), 7 (Morning) and 8 (the other Morning); play 9 is 10 min too late.
    result = run_report(
        known_history,
        "--since",
        "2024-02-01",
        "--until",
        "2024-02-04",
        "--top",
        "2",
        LISTENING_REPORT_TIMEZONE="Europe/Berlin",
    )

    assert result.returncode == 0, result.stderr
    morning = track(MORNING, "Morning", "Aurora Lane", "First Light", 1, 200_000)
    demo = {**DEMO_1}
    aurora = artist("spotify:artist:aurora", "Aurora Lane", 1, 200_000, 1)
    cinder = artist("spotify:artist:cinder", "Cinder", 1, 120_000, 1)
    first_light = album("spotify:album:firstlight", "First Light", "Aurora Lane", 1, 200_000, 1)
    ash = album("spotify:album:ash", "Ash", "Cinder", 1, 120_000, 1)
    assert result.data() == {
        "timezone": "Europe/Berlin",
        "since": "2024-02-01T00:00:00+01:00",
        "until": "2024-02-05T00:00:00+01:00",
        "top_n": 2,
        "totals": {
            "plays": 3,
            "ms_played": 440_000,
            "tracks": 3,
            "artists": 3,
            "albums": 3,
            "days": 2,
            "first_play": "2024-02-01 00:30",
            "last_play": "2024-02-03 19:00",
        },
        "sources": {"recently_played": {"plays": 3, "ms_played": 440_000}},
        # Ties (1 play, 120 000 ms) go by name: Demo 1 < Morning, Cinder < Home Tapes, Ash < Garage.
        "top": {
            "tracks": {"by_plays": [morning, demo], "by_minutes": [morning, demo]},
            "artists": {"by_plays": [aurora, cinder], "by_minutes": [aurora, cinder]},
            "albums": {"by_plays": [first_light, ash], "by_minutes": [first_light, ash]},
        },
        "per_day": [["2024-02-01", 2, 320_000], ["2024-02-03", 1, 120_000]],
        "per_week": [["2024-01-29", 3, 440_000]],
        "weekday_hour": heatmap(
            {(3, 0): (1, 120_000), (3, 9): (1, 200_000), (5, 19): (1, 120_000)}
        ),
        "streaks": {
            "longest": [
                streak("2024-02-03", "2024-02-03", 1),
                streak("2024-02-01", "2024-02-01", 1),
            ],
            "latest": streak("2024-02-03", "2024-02-03", 1),
        },
        # Only Home Tapes is new: the others were first heard before the period.
        "new_artists": [{"month": "2024-02", "count": 1, "first_names": ["Home Tapes"]}],
        "gaps": [gap("2024-02-10 11:05", "2024-02-03 19:00", "2024-02-05 00:10", 29 * 60 + 10)],
        "health": NO_HEALTH,
    }


def test_flattened_layout_gives_the_same_report(tmp_path, run_report):
    database = Database(str(tmp_path / "flat.db"))
    load_singer(
        database,
        DATA_FILES / "known_history.singer",
        tmp_path,
        flattening_enabled=True,
        flattening_max_depth=10,
    )

    result = run_report(database, "--timezone", "Europe/Berlin")

    assert result.returncode == 0, result.stderr
    assert result.data() == EXPECTED_BERLIN


def test_sqld_with_a_token_gives_the_same_report_and_never_shows_the_token(
    sqld_jwt, unique_prefix, tmp_path, run_report
):
    token = sqld_jwt.make_token()
    database = Database(sqld_jwt.url, token=token, prefix=unique_prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)

    result = run_report(database)

    assert result.returncode == 0, result.stderr
    assert result.data() == EXPECTED_UTC
    assert token not in result.stdout + result.stderr + result.output.read_text()


def test_an_empty_period_writes_a_report_with_zeros(known_history, run_report):
    result = run_report(known_history, "--since", "2030-01-01")

    assert result.returncode == 0, result.stderr
    data = result.data()
    assert data["totals"] == {
        "plays": 0,
        "ms_played": 0,
        "tracks": 0,
        "artists": 0,
        "albums": 0,
        "days": 0,
        "first_play": None,
        "last_play": None,
    }
    assert data["sources"] == {}
    assert data["top"]["tracks"] == {"by_plays": [], "by_minutes": []}
    assert (data["per_day"], data["new_artists"], data["gaps"]) == ([], [], [])
    assert data["streaks"] == {"longest": [], "latest": None}


def test_a_zone_45_minutes_off_the_hour_buckets_days_and_hours_exactly(known_history, run_report):
    # Asia/Kathmandu is UTC+5:45: play 3 (01-29 22:30 UTC) is 04:15 on Tuesday 01-30.
    result = run_report(known_history, "--timezone", "Asia/Kathmandu")

    assert result.returncode == 0, result.stderr
    data = result.data()
    assert data["per_day"] == [
        ["2024-01-29", 2, 440_000],
        ["2024-01-30", 1, 600_000],
        ["2024-01-31", 2, 860_000],
        ["2024-02-01", 2, 320_000],
        ["2024-02-03", 1, 120_000],
        ["2024-02-05", 1, 240_000],
        ["2024-02-10", 1, 600_000],
        ["2024-04-02", 1, 200_000],
    ]
    assert data["weekday_hour"] == heatmap(
        {
            (0, 4): (1, 240_000),
            (0, 12): (2, 440_000),
            (1, 4): (1, 600_000),
            (1, 14): (1, 200_000),
            (2, 5): (1, 200_000),
            (2, 17): (1, 660_000),
            (3, 5): (1, 120_000),
            (3, 13): (1, 200_000),
            (5, 15): (1, 600_000),
            (5, 23): (1, 120_000),
        }
    )
    assert data["totals"]["first_play"] == "2024-01-29 12:45"


def test_report_data_counts_each_play_once_with_the_export(merged_history, run_report):
    # The export of tests/data_files/export merged with the known history (test_merge.py).
    result = run_report(merged_history)

    assert result.returncode == 0, result.stderr
    data = result.data()
    assert data["totals"] == {
        "plays": 22,
        "ms_played": 6_212_000,
        "tracks": 10,
        "artists": 7,
        "albums": 6,
        "days": 13,
        "first_play": "2024-01-20 10:00",
        "last_play": "2024-04-02 09:00",
    }
    assert data["sources"] == {
        "both": {"plays": 7, "ms_played": 2_252_000},
        "recently_played": {"plays": 4, "ms_played": 1_120_000},
        "streaming_history": {"plays": 11, "ms_played": 2_840_000},
    }
    morning = track(MORNING, "Morning (2024 Remaster)", "Aurora Lane", "First Light", 6, 989_000)
    strings = track(
        "spotify:track:strings", "Strings", "Basil Quartet", "Quartet Live", 3, 1_790_000
    )
    opening = track("spotify:track:opening", "Opening", "Fjord Lights", "Northern", 3, 540_000)
    embers = track("spotify:track:embers", "Embers", "Cinder, Dune Echo", "Ash", 2, 1_315_000)
    evening = {**EVENING, "ms_played": 478_000}
    dawn = track("spotify:track:dawn", "Dawn Chorus", "Aurora Lane", "First Light", 2, 420_000)
    best = track(
        "spotify:track:evening-best", "Evening", "Various Artists", "Best of 2023", 1, 240_000
    )
    tide = track('["dune echo","tide"]', "Tide", "Dune Echo", None, 1, 200_000)
    assert data["top"]["tracks"] == {
        "by_plays": [
            morning,
            strings,
            opening,
            embers,
            evening,
            dawn,
            best,
            tide,
            DEMO_1,
            MORNING_2,
        ],
        "by_minutes": [
            strings,
            embers,
            morning,
            opening,
            evening,
            dawn,
            best,
            tide,
            DEMO_1,
            MORNING_2,
        ],
    }
    aurora = artist("spotify:artist:aurora", "Aurora Lane", 10, 1_887_000, 3)
    dune = artist("spotify:artist:dune", "Dune Echo", 5, 1_993_000, 3)
    basil = artist("spotify:artist:basil", "Basil Quartet", 3, 1_790_000, 1)
    cinder = artist("spotify:artist:cinder", "Cinder", 3, 1_435_000, 2)
    fjord = artist("Fjord Lights", "Fjord Lights", 3, 540_000, 1)
    various = artist("Various Artists", "Various Artists", 1, 240_000, 1)
    assert data["top"]["artists"] == {
        "by_plays": [aurora, dune, basil, cinder, fjord, various, HOME],
        "by_minutes": [dune, aurora, basil, cinder, fjord, various, HOME],
    }
    albums = [
        album("spotify:album:firstlight", "First Light", "Aurora Lane", 10, 1_887_000, 3),
        album("spotify:album:quartet", "Quartet Live", "Basil Quartet", 3, 1_790_000, 1),
        album("spotify:album:ash", "Ash", "Cinder", 3, 1_435_000, 2),
        album('["fjord lights","northern"]', "Northern", "Fjord Lights", 3, 540_000, 1),
        album(
            '["various artists","best of 2023"]', "Best of 2023", "Various Artists", 1, 240_000, 1
        ),
        GARAGE,
    ]
    assert data["top"]["albums"] == {"by_plays": albums, "by_minutes": albums}
    assert data["new_artists"] == [
        {
            "month": "2024-01",
            "count": 6,
            "first_names": [
                "Fjord Lights",
                "Aurora Lane",
                "Dune Echo",
                "Basil Quartet",
                "Cinder",
                "Home Tapes",
            ],
        },
        {"month": "2024-02", "count": 1, "first_names": ["Various Artists"]},
    ]
    assert data["gaps"] == [
        gap("2024-02-10 10:05", "2024-02-03 18:00", "2024-02-04 23:10", 29 * 60 + 10, "covered", 2),
        gap(
            "2024-04-02 09:10",
            "2024-02-10 10:00",
            "2024-04-02 09:00",
            (52 * 24 - 1) * 60,
            "partly covered",
            4,
        ),
    ]
