"""The SDK's standard tap tests, and the SDK capabilities, against the contract server."""

from __future__ import annotations

from pathlib import Path

import pytest
from singer_sdk.testing import get_tap_test_class
from tap_spotify_recent.tap import TapSpotifyRecent
from testkit.musicbrainz import MusicBrainzServer
from testkit.spotify import SpotifyServer

# The SDK builds the test class at import, so the server binds its port now and serves from
# the class fixture below. 60 plays and a bookmark behind the 50 served give every stream
# records, the gap included; the seeded plays hold local files and unicode names. The fixture
# exports give streaming_history records of both formats. MusicBrainz links every Spotify
# artist, so artist_genres has records too (its server is a mirror: no rate limit).
SERVER = SpotifyServer(seed=3)
SERVER.add_plays(60)
OLD_BOOKMARK = SERVER.plays[55]["played_at"]
EXPORTS = Path(__file__).parent / "data_files" / "exports"
MUSICBRAINZ = MusicBrainzServer(interval=0)
for _artist in {a["id"]: a for t in SERVER.tracks for a in t["artists"] if a["id"]}.values():
    MUSICBRAINZ.add_artist(_artist["name"], genres={"rock": 2}, spotify_ids=[_artist["id"]])

_StandardTests = get_tap_test_class(
    TapSpotifyRecent,
    config=SERVER.tap_config(
        history_path=str(EXPORTS),
        musicbrainz_contact="listener@example.com",
        musicbrainz_url=MUSICBRAINZ.ws_url,
        musicbrainz_request_interval_seconds=0,
        genres_requests_per_run=100,
    ),
    state={
        "bookmarks": {
            "recently_played": {
                "replication_key": "played_at",
                "replication_key_value": OLD_BOOKMARK,
            }
        }
    },
)


class TestTapSpotifyRecent(_StandardTests):
    """Standard tests, with the contract server running for the class."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def contract_server(cls):
        with SERVER, MUSICBRAINZ:
            yield SERVER


def test_local_file_plays_keep_null_id_and_local_uri(spotify_server, sync_tap):
    spotify_server.add_plays(20)
    served_local = [p for p in spotify_server.plays if p["track"]["is_local"]]

    run = sync_tap(spotify_server.tap_config())

    emitted_local = [r for r in run.records["recently_played"] if r["track"]["is_local"]]
    assert [r["played_at"] for r in emitted_local] == sorted(p["played_at"] for p in served_local)
    assert {r["track"]["id"] for r in emitted_local} == {None}
    assert all(r["track"]["uri"].startswith("spotify:local:") for r in emitted_local)


def test_flattening_turns_nested_track_fields_into_columns(spotify_server, sync_tap):
    spotify_server.add_plays(3)
    config = spotify_server.tap_config(flattening_enabled=True, flattening_max_depth=3)

    run = sync_tap(config)

    newest = spotify_server.plays[0]
    record = run.records["recently_played"][-1]
    assert record["track__album__name"] == newest["track"]["album"]["name"]
    assert record["track__name"] == newest["track"]["name"]
    assert "track" not in record


def test_stream_map_adds_a_column_and_drops_the_track(spotify_server, sync_tap):
    spotify_server.add_plays(2)
    config = spotify_server.tap_config(
        stream_maps={"recently_played": {"track_name": "track['name']", "track": "__NULL__"}}
    )

    run = sync_tap(config)

    assert run.records["recently_played"] == [
        {"played_at": p["played_at"], "context": p["context"], "track_name": p["track"]["name"]}
        for p in reversed(spotify_server.plays)
    ]


def test_catalog_can_deselect_recently_played_and_keep_gaps(spotify_server, sync_tap):
    spotify_server.add_plays(60)
    catalog = TapSpotifyRecent(config=spotify_server.tap_config()).catalog_dict
    for entry in catalog["streams"]:
        stream_level = next(m for m in entry["metadata"] if m["breadcrumb"] == [])
        stream_level["metadata"]["selected"] = entry["tap_stream_id"] == "listening_gaps"
    bookmark = spotify_server.plays[55]["played_at"]
    state = {"bookmarks": {"recently_played": {"replication_key_value": bookmark}}}

    run = sync_tap(spotify_server.tap_config(), state=state, catalog=catalog)

    assert list(run.records) == ["listening_gaps"]
    assert len(run.records["listening_gaps"]) == 1
