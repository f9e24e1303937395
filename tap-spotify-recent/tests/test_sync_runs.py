"""The sync_runs stream: each successful run leaves one exact record of itself."""

from __future__ import annotations

import re

from tap_spotify_recent.sync_runs import SyncRunsStream
from tap_spotify_recent.tap import TapSpotifyRecent

RUN_ID = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z-[0-9a-f]{8}")


def _one_run(run) -> dict:
    [record] = run.records["sync_runs"]
    assert RUN_ID.fullmatch(record["run_id"])
    assert record["run_id"].startswith(record["started_at"] + "-")
    assert record["started_at"] <= record["finished_at"]
    return {
        key: value
        for key, value in record.items()
        if key not in {"run_id", "started_at", "finished_at"}
    }


def test_each_run_records_its_bookmarks_plays_gap_requests_and_token_expiry(
    spotify_server, sync_tap
):
    config = spotify_server.tap_config(
        refresh_token_obtained_at="2026-08-31", run_trigger="schedule"
    )
    first_plays = spotify_server.add_plays(30)
    first = sync_tap(config)
    second_plays = spotify_server.add_plays(55)  # 5 more than Spotify serves: a gap
    second = sync_tap(config, state=first.state)
    third = sync_tap(config, state=second.state)  # nothing new

    expected = {
        "trigger": "schedule",
        "tap_version": "0.1.0",
        "refresh_token_expires_on": "2027-02-28",  # six months on, clamped to February
    }
    assert _one_run(first) == {
        **expected,
        "bookmark_before": None,
        "bookmark_after": first_plays[-1]["played_at"],
        "plays_served": 30,
        "plays_emitted": 30,
        "gap_detected": False,
        "api_requests": 1,
    }
    assert _one_run(second) == {
        **expected,
        "bookmark_before": first_plays[-1]["played_at"],
        "bookmark_after": second_plays[-1]["played_at"],
        "plays_served": 50,
        "plays_emitted": 50,
        "gap_detected": True,
        "api_requests": 2,  # the full page made the tap ask for the next one
    }
    assert _one_run(third) == {
        **expected,
        "bookmark_before": second_plays[-1]["played_at"],
        "bookmark_after": second_plays[-1]["played_at"],
        "plays_served": 50,
        "plays_emitted": 0,
        "gap_detected": False,
        "api_requests": 1,
    }
    # The record does not disturb the incremental read: plays are emitted once each.
    assert first.played_at() + second.played_at() == [
        p["played_at"] for p in first_plays + second_plays[5:]
    ]
    assert third.played_at() == []


def test_the_run_record_comes_after_every_other_record(spotify_server, sync_tap):
    spotify_server.add_plays(60)
    state = {
        "bookmarks": {
            "recently_played": {
                "replication_key": "played_at",
                "replication_key_value": spotify_server.plays[55]["played_at"],
            }
        }
    }
    run = sync_tap(spotify_server.tap_config(), state=state)

    streams = [m["stream"] for m in run.messages if m["type"] == "RECORD"]
    assert streams[-1] == "sync_runs"
    assert streams.count("sync_runs") == 1
    assert {"recently_played", "listening_gaps"} <= set(streams[:-1])


def test_retried_requests_are_counted_and_unknown_figures_are_null(spotify_server, sync_tap):
    spotify_server.add_plays(3)
    spotify_server.fail_next("token_expired")  # a 401, then a refreshed token and a retry

    run = sync_tap(spotify_server.tap_config())

    record = _one_run(run)
    assert record["api_requests"] == 2
    assert record["trigger"] is None
    assert record["refresh_token_expires_on"] is None


def test_a_failed_run_writes_no_run_record(spotify_server, run_cli):
    spotify_server.add_plays(3)
    spotify_server.user_registered = False  # 403: the run fails

    run = run_cli(spotify_server.tap_config())

    assert run.returncode == 1
    assert "sync_runs" not in run.records


def test_sync_runs_is_a_plain_full_table_stream_keyed_on_run_id(spotify_server):
    tap = TapSpotifyRecent(config=spotify_server.tap_config())
    entry = next(s for s in tap.catalog_dict["streams"] if s["tap_stream_id"] == "sync_runs")

    assert entry["key_properties"] == ["run_id"]
    assert "replication_key" not in entry or entry["replication_key"] is None
    assert list(tap.streams)[-1] == SyncRunsStream.name
    assert tap.streams["sync_runs"].emit_activate_version_messages is False
