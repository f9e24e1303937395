"""Incremental reads: each play still among the last 50 is emitted once, late ones included."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest


def _api_calls(server) -> int:
    return len(server.api_requests())


def test_three_runs_emit_every_play_once_and_report_the_overflow(spotify_server, sync_tap):
    server = spotify_server
    config = server.tap_config()

    first_plays = server.add_plays(30)
    first = sync_tap(config)
    calls_after_first = _api_calls(server)

    second_plays = server.add_plays(10)
    second = sync_tap(config, state=first.state)
    calls_after_second = _api_calls(server)

    third_plays = server.add_plays(55)  # more than the 50 Spotify serves: 5 are lost
    third = sync_tap(config, state=second.state)

    assert first.played_at() == [p["played_at"] for p in first_plays]
    assert second.played_at() == [p["played_at"] for p in second_plays]
    assert third.played_at() == [p["played_at"] for p in third_plays[5:]]
    emitted = first.played_at() + second.played_at() + third.played_at()
    assert len(emitted) == len(set(emitted)) == 90
    assert "listening_gaps" not in first.records
    assert "listening_gaps" not in second.records
    [gap] = third.records["listening_gaps"]
    assert gap["bookmark"] == second_plays[-1]["played_at"]
    assert gap["oldest_returned_played_at"] == third_plays[5]["played_at"]
    # One API call per run, except when the page overflows: then `next` is asked once.
    assert (calls_after_first, calls_after_second, _api_calls(server)) == (1, 2, 4)
    assert (
        third.state["bookmarks"]["recently_played"]["replication_key_value"]
        == (third_plays[-1]["played_at"])
    )


def test_late_play_behind_the_bookmark_is_emitted_once(spotify_server, sync_tap):
    server = spotify_server
    config = server.tap_config()
    plays = server.add_plays(20)
    first = sync_tap(config)
    bookmark = first.state["bookmarks"]["recently_played"]["replication_key_value"]

    # A phone that played offline reports a play from between plays 5 and 6, after the run.
    after_sixth = datetime.fromisoformat(plays[5]["played_at"]) + timedelta(seconds=1)
    late = server.add_play(played_at=after_sixth)
    second = sync_tap(config, state=first.state)
    third = sync_tap(config, state=second.state)

    assert late["played_at"] < bookmark
    assert second.played_at() == [late["played_at"]]
    assert third.played_at() == []
    # The late play does not move the bookmark back.
    assert second.state["bookmarks"]["recently_played"]["replication_key_value"] == bookmark


def test_late_play_between_new_plays_is_emitted_in_time_order(spotify_server, sync_tap):
    server = spotify_server
    config = server.tap_config()
    server.add_plays(10)
    first = sync_tap(config)
    newer = server.add_plays(3)
    late = server.add_play(played_at="2026-06-01T08:00:00Z")  # seconds only, older than all

    second = sync_tap(config, state=first.state)

    assert second.played_at() == [late["played_at"]] + [p["played_at"] for p in newer]


@pytest.mark.parametrize(
    ("new_plays", "gaps"),
    [(49, 0), (50, 1), (51, 1)],
    ids=["49-new-plays-reach-the-bookmark", "50-fill-the-window", "51-overflow"],
)
def test_gap_is_reported_exactly_when_a_full_page_is_newer_than_the_bookmark(
    spotify_server, sync_tap, new_plays, gaps
):
    server = spotify_server
    config = server.tap_config()
    server.add_plays(50)
    first = sync_tap(config)
    server.add_plays(new_plays)

    second = sync_tap(config, state=first.state)

    assert len(second.records.get("listening_gaps", [])) == gaps
    assert len(second.played_at()) == min(new_plays, 50)


def test_first_run_reports_no_gap_even_with_a_full_window(spotify_server, sync_tap):
    spotify_server.add_plays(60)

    run = sync_tap(spotify_server.tap_config())

    assert run.played_at() == [p["played_at"] for p in reversed(spotify_server.plays[:50])]
    assert "listening_gaps" not in run.records


def test_played_at_is_emitted_as_sent_and_the_bookmark_compares_instants(spotify_server, sync_tap):
    server = spotify_server
    server.add_play(played_at="2026-06-01T09:00:00.500Z")
    server.add_play(played_at="2026-06-01T09:00:00Z")  # earlier instant, larger string

    run = sync_tap(server.tap_config())

    assert run.played_at() == ["2026-06-01T09:00:00Z", "2026-06-01T09:00:00.500Z"]
    state = run.state["bookmarks"]["recently_played"]
    assert state["replication_key_value"] == "2026-06-01T09:00:00.500Z"


def test_start_date_trims_the_first_run(spotify_server, sync_tap):
    plays = spotify_server.add_plays(10)

    run = sync_tap(spotify_server.tap_config(start_date=plays[6]["played_at"]))

    assert run.played_at() == [p["played_at"] for p in plays[6:]]


def test_state_with_only_a_bookmark_emits_the_plays_after_it(spotify_server, sync_tap):
    plays = spotify_server.add_plays(10)
    state = {"bookmarks": {"recently_played": {"replication_key_value": plays[7]["played_at"]}}}

    run = sync_tap(spotify_server.tap_config(), state=state)

    assert run.played_at() == [p["played_at"] for p in plays[8:]]


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (
            {"bookmarks": {"recently_played": {"replication_key_value": "yesterday"}}},
            "recently_played has replication_key_value = 'yesterday', which is not an RFC 3339",
        ),
        (
            {"bookmarks": {"recently_played": {"recent_window": "2026-06-01T00:00:00Z"}}},
            "recent_window = '2026-06-01T00:00:00Z', which is not a list",
        ),
        (
            {"bookmarks": {"recently_played": {"recent_window": ["2026-06-01T00:00:00Z", 7]}}},
            "an entry of recent_window = 7, which is not an RFC 3339",
        ),
        ({"bookmarks": []}, "The state is not a Singer state"),
        ({"bookmarks": {"recently_played": []}}, "The state is not a Singer state"),
    ],
    ids=["bad-bookmark", "window-not-a-list", "bad-window-entry", "bookmarks-list", "stream-list"],
)
def test_a_damaged_state_is_named_with_how_to_clear_it(spotify_server, run_cli, state, problem):
    spotify_server.add_plays(5)

    run = run_cli(spotify_server.tap_config(), state=state)

    assert run.returncode == 1
    assert problem in run.stderr
    assert "meltano state clear" in run.stderr
    assert "Traceback" not in run.stderr
    assert not [message for message in run.messages if message["type"] == "RECORD"]
