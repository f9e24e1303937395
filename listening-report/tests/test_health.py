"""Sync health: runs per day, pauses, gaps, the token, and the longest safe interval, exactly.

The history is written the way users get it: Singer messages with the tap's own schemas,
loaded by the real target-turso.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from libsql_access.connection import connect
from listening_report.health import (
    DayOfRuns,
    LatestRun,
    Pause,
    Span,
    SyncHealth,
    create_views,
    latest_run,
    read_health,
)
from listening_report.period import Period
from listening_report.report import build_report
from listening_report.source_tables import read_sources
from listening_report.views import Views
from tap_spotify_recent.schemas import PLAY_HISTORY, streaming_history_schema
from tap_spotify_recent.sync_runs import SYNC_RUN

from .reportkit import Database, load_singer

EXPIRES = "2027-01-15"
# (started_at as written, finished_at, gap_detected, plays_emitted); run_id is the UTC start.
RUNS = [
    ("2026-11-01T08:00:00.000Z", "2026-11-01T08:00:05.000Z", False, 10),
    ("2026-11-01T08:10:00.000Z", "2026-11-01T08:10:04.000Z", False, 2),
    ("2026-11-01T12:10:00.000Z", "2026-11-01T12:10:06.000Z", True, 50),
    ("2026-11-02T00:10:00.000Z", "2026-11-02T00:10:03.000Z", False, 3),
    # Another offset, as a hand-edited or other tool's row might have it: 00:20 UTC.
    ("2026-11-02T01:20:00+01:00", "2026-11-02T00:20:04.000Z", False, 0),
]
RUN_IDS = [
    f"{utc}-0000000{n}"
    for n, utc in enumerate(
        ["2026-11-01T08:00:00.000Z", "2026-11-01T08:10:00.000Z", "2026-11-01T12:10:00.000Z",
         "2026-11-02T00:10:00.000Z", "2026-11-02T00:20:00.000Z"],
        start=1,
    )
]  # fmt: skip
SONG = "spotify:track:song"
TRACK = {
    "uri": SONG,
    "id": "song",
    "name": "Song",
    "duration_ms": 180_000,
    "artists": [{"uri": "spotify:artist:band", "name": "Band"}],
}
LIVE_START = datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)
EXPORT_BURST = datetime(2026, 10, 3, 20, 0, tzinfo=timezone.utc)


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def live_plays() -> list[str]:
    """10 plays 4 minutes apart, then 50 plays 3 minutes apart: the busiest 50 span 8820 s,
    first from the 10th play to the 59th (the earliest of two equal spans)."""
    times = [LIVE_START + timedelta(minutes=4 * i) for i in range(10)]
    times += [times[-1] + timedelta(minutes=3 * (i + 1)) for i in range(50)]
    return [_text(moment) for moment in times]


def export_plays() -> list[tuple[str, int, str]]:
    """(ended_at, ms_played, kind) rows of a data export.

    Before the first live play: 50 music plays 150 s apart (7350 s for 50), with 60 skips
    (10 s) between them, which are no plays, and 60 podcast episodes a minute apart, which
    are no music. After it: the first 50 live plays, each 2 s after the live feed's record
    of it (the same play: never counted twice)."""
    burst = EXPORT_BURST
    rows = [(_text(burst + timedelta(seconds=150 * i)), 150_000, "track") for i in range(50)]
    rows += [(_text(burst + timedelta(seconds=5 + 60 * i)), 10_000, "track") for i in range(60)]
    rows += [(_text(burst - timedelta(days=1, minutes=i)), 600_000, "episode") for i in range(60)]
    rows += [
        (_text(datetime.fromisoformat(played_at) + timedelta(seconds=2)), 60_000, "track")
        for played_at in live_plays()[:50]
    ]
    return rows


def singer_lines(*, with_export: bool) -> list[dict]:
    messages: list[dict] = [
        {"type": "SCHEMA", "stream": "sync_runs", "schema": SYNC_RUN, "key_properties": ["run_id"]},
        *(
            {
                "type": "RECORD",
                "stream": "sync_runs",
                "record": {
                    "run_id": run_id,
                    "started_at": started,
                    "finished_at": finished,
                    "trigger": "schedule",
                    "tap_version": "0.1.0",
                    "gap_detected": gap,
                    "plays_emitted": emitted,
                    "api_requests": 1,
                    "refresh_token_expires_on": EXPIRES,
                },
            }
            for run_id, (started, finished, gap, emitted) in zip(RUN_IDS, RUNS, strict=True)
        ),
        {
            "type": "SCHEMA",
            "stream": "recently_played",
            "schema": PLAY_HISTORY,
            "key_properties": ["played_at"],
        },
        *(
            {
                "type": "RECORD",
                "stream": "recently_played",
                "record": {"played_at": played_at, "track": TRACK},
            }
            for played_at in live_plays()
        ),
    ]
    if with_export:
        messages.append(
            {
                "type": "SCHEMA",
                "stream": "streaming_history",
                "schema": streaming_history_schema(personal_fields=False),
                "key_properties": ["play_id"],
            }
        )
        messages += [
            {
                "type": "RECORD",
                "stream": "streaming_history",
                "record": {
                    "play_id": f"p{index}",
                    "ended_at": ended_at,
                    "ms_played": ms_played,
                    "kind": kind,
                    **(
                        {"track_name": "Song", "artist_name": "Band", "spotify_track_uri": SONG}
                        if kind == "track"
                        else {"episode_name": "Talk", "episode_show_name": "Show"}
                    ),
                    "source_format": "extended",
                    "source_file": "Streaming_History_Audio_2026_0.json",
                },
            }
            for index, (ended_at, ms_played, kind) in enumerate(export_plays())
        ]
    return messages


def load(database: Database, tmp_path, *, with_export: bool) -> Database:
    singer = tmp_path / "sync_history.singer"
    singer.write_text("\n".join(json.dumps(m) for m in singer_lines(with_export=with_export)))
    load_singer(database, singer, tmp_path)
    return database


DAYS = (
    DayOfRuns("2026-11-01", runs=3, gaps=1, plays_emitted=62, longest_pause_s=14400.0),
    DayOfRuns("2026-11-02", runs=2, gaps=0, plays_emitted=3, longest_pause_s=43200.0),
)


def expected_health(busiest: Span) -> SyncHealth:
    return SyncHealth(
        runs=5,
        first_run_at="2026-11-01T08:00:00.000Z",
        last_successful_run_at="2026-11-02T00:20:04.000Z",
        last_run_found_gap=False,
        runs_per_day=2.5,
        days=DAYS,
        longest_pause=Pause(43200.0, "2026-11-01T12:10:00.000Z", "2026-11-02T00:10:00.000Z"),
        median_pause_s=600.0,
        gaps=1,
        refresh_token_expires_on=date(2027, 1, 15),
        days_until_token_expires=30,
        busiest_plays=busiest,
        pauses_longer_than_safe=2,
    )


def test_health_of_known_runs_and_live_plays(tmp_path):
    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=False)
    connection = connect(database.url)

    health = read_health(connection, today=date(2026, 12, 16))

    live = live_plays()
    busiest = Span(8820.0, live[9], live[58])
    assert health == expected_health(busiest)
    assert health.longest_safe_interval_s == 8820.0


def test_the_export_extends_the_busiest_span_without_skips_episodes_or_overlap(tmp_path):
    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=True)
    connection = connect(database.url)

    health = read_health(connection, today=date(2026, 12, 16))

    first = _text(EXPORT_BURST)
    assert health == expected_health(
        Span(7350.0, first, _text(EXPORT_BURST + timedelta(seconds=7350)))
    )


def test_views_on_sqld_give_the_same_figures(tmp_path, sqld, unique_prefix):
    database = load(Database(sqld.url, prefix=unique_prefix), tmp_path, with_export=True)
    connection = connect(database.url)

    created = create_views(connection, unique_prefix)

    assert created == [f"{unique_prefix}sync_runs_per_day", f"{unique_prefix}sync_health"]
    per_day = database.query(f'SELECT * FROM "{unique_prefix}sync_runs_per_day"')
    assert per_day == [tuple(vars(day).values()) for day in DAYS]
    [row] = database.query(
        "SELECT runs, last_successful_run_at, longest_pause_s, longest_pause_after, gaps, "
        "refresh_token_expires_on, longest_safe_interval_s, pauses_longer_than_safe "
        f'FROM "{unique_prefix}sync_health"'
    )
    assert row == (
        5,
        "2026-11-02T00:20:04.000Z",
        43200.0,
        "2026-11-01T12:10:00.000Z",
        1,
        EXPIRES,
        7350.0,
        2,
    )


def test_latest_run_is_the_newest_record(tmp_path):
    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=False)

    latest = latest_run(connect(database.url))

    assert latest == LatestRun(
        run_id=RUN_IDS[-1],
        # target-turso stores date-times as canonical UTC text
        started_at="2026-11-02T00:20:00+00:00",
        finished_at="2026-11-02T00:20:04+00:00",
        gap_detected=False,
        bookmark_before=None,
        bookmark_after=None,
        refresh_token_expires_on=date(2027, 1, 15),
    )


@pytest.mark.parametrize("tables", ["none", "plays only"])
def test_no_runs_yet_gives_empty_health_and_no_views(tmp_path, tables):
    database = Database(str(tmp_path / "plays.db"))
    connection = connect(database.url)
    if tables == "plays only":
        connection.execute('CREATE TABLE "recently_played" ("played_at" TEXT PRIMARY KEY)')
        connection.commit()

    assert read_health(connection).runs == 0
    assert latest_run(connection) is None
    assert create_views(connection) == []


def test_the_refresh_creates_the_health_views_over_the_reports_tables(tmp_path, run_report):
    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=True)

    refreshed = run_report(database, "refresh")

    assert refreshed.returncode == 0, refreshed.stderr
    assert "Created or replaced the sync health views: sync_runs_per_day, sync_health" in (
        refreshed.stderr
    )
    connection = connect(database.url)
    # The busiest span comes from the report's table, through its index.
    [(sql,)] = database.query("SELECT sql FROM sqlite_master WHERE name = 'sync_health'")
    assert '"report_busiest_spans"' in sql
    assert database.query("SELECT longest_safe_interval_s FROM sync_health") == [(7350.0,)]
    first = _text(EXPORT_BURST)
    expected = expected_health(Span(7350.0, first, _text(EXPORT_BURST + timedelta(seconds=7350))))
    assert read_health(connection, today=date(2026, 12, 16), stored=True) == expected
    # Current views are left alone: the next refresh writes nothing for them.
    assert create_views(connection) == []
    again = run_report(database, "refresh")
    assert "sync health views" not in again.stderr


# Los Angeles left daylight saving time at 09:00 UTC on 2026-11-01: the five runs (three on
# the UTC day 2026-11-01, two on 2026-11-02) all fall on the local 2026-11-01, from 01:00 PDT
# to 16:20 PST.
LOS_ANGELES_HEALTH = {
    "busiest": {
        "seconds": 7350.0,
        "first_play": "2026-10-03 13:00",
        "last_play": "2026-10-03 15:02",
    },
    "runs": {
        "count": 5,
        "first_run": "2026-11-01 01:00",
        "last_successful_run": "2026-11-01 16:20",
        "last_run_found_gap": False,
        "runs_per_day": 2.5,
        "median_pause_s": 600.0,
        "longest_pause": {
            "seconds": 43200.0,
            "after": "2026-11-01 04:10",
            "before": "2026-11-01 16:10",
        },
        "pauses_longer_than_safe": 2,
        "gaps": 1,
        "token_expires_on": EXPIRES,
        "token_days_left": 74,
        # The 30 local days up to today (2026-11-02 in Los Angeles at 12:00 UTC).
        "per_day": [
            [(date(2026, 10, 4) + timedelta(days=n)).isoformat(), *counts]
            for n, counts in enumerate([[0, 0]] * 28 + [[5, 1], [0, 0]])
        ],
    },
}


def report_data(database: Database, zone: str, *, tables: bool) -> dict:
    connection = connect(database.url)
    views = Views(read_sources(connection, database.prefix), database.prefix)
    return build_report(
        connection,
        views,
        Period(ZoneInfo(zone)),
        10,
        tables=tables,
        now=datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc),
    )


@pytest.mark.parametrize("tables", [True, False], ids=["report tables", "merging every play"])
def test_the_reports_sync_health_section_is_exact_in_the_reports_time_zone(
    tmp_path, run_report, tables
):
    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=True)
    assert run_report(database, "refresh").returncode == 0

    data = report_data(database, "America/Los_Angeles", tables=tables)

    assert data["health"] == LOS_ANGELES_HEALTH


def test_the_token_days_count_from_the_local_today(tmp_path, run_report):
    # 12:00 UTC on 2026-11-02 is already 2026-11-03 in Kiritimati (UTC+14): a day less.
    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=False)
    assert run_report(database, "refresh").returncode == 0

    health = report_data(database, "Pacific/Kiritimati", tables=True)["health"]

    assert health["runs"]["token_days_left"] == 73
    assert health["runs"]["per_day"][-1] == ["2026-11-03", 0, 0]
    assert health["busiest"] == {
        "seconds": 8820.0,
        "first_play": "2026-11-01 20:36",
        "last_play": "2026-11-01 23:03",
    }


def test_without_sync_runs_the_section_has_only_the_busiest_plays(tmp_path, run_report):
    database = Database(str(tmp_path / "plays.db"))
    lines = [line for line in singer_lines(with_export=False) if line["stream"] != "sync_runs"]
    singer = tmp_path / "plays.singer"
    singer.write_text("\n".join(json.dumps(m) for m in lines))
    load_singer(database, singer, tmp_path)

    report = run_report(database)

    assert report.returncode == 0, report.stderr
    assert "sync health views" not in report.stderr
    assert report.data()["health"] == {
        "busiest": {
            "seconds": 8820.0,
            "first_play": "2026-11-01 06:36",
            "last_play": "2026-11-01 09:03",
        },
        "runs": None,
    }


def test_on_sqld_current_health_views_are_left_alone(tmp_path, run_report, sqld, unique_prefix):
    # sqld stores a view's SQL with its own spacing: the comparison must not be fooled.
    database = load(Database(sqld.url, prefix=unique_prefix), tmp_path, with_export=False)

    first, second = run_report(database, "refresh"), run_report(database, "refresh")

    assert f"sync health views: {unique_prefix}sync_runs_per_day" in first.stderr
    assert second.returncode == 0, second.stderr
    assert "sync health views" not in second.stderr


def test_a_read_only_token_that_cannot_create_the_health_views_is_told_to_use_no_views(
    tmp_path, run_report, sqld_jwt, unique_prefix
):
    database = Database(sqld_jwt.url, token=sqld_jwt.make_token(), prefix=unique_prefix)
    load(database, tmp_path, with_export=False)
    assert run_report(database, "refresh").returncode == 0
    database.query(f'DROP VIEW "{unique_prefix}sync_health"')
    read_only = Database(sqld_jwt.url, token=sqld_jwt.make_token({"a": "ro"}), prefix=unique_prefix)

    refused = run_report(read_only, "refresh")

    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1].startswith("Error: Could not create the views")
    assert "--no-views" in refused.stderr
    assert "Traceback" not in refused.stderr
