"""The kit's fake Spotify data: seeded, shaped as Spotify's, the same for every consumer."""

from __future__ import annotations

import datetime as dt
import json
import random

from tap_spotify_recent.streams import ListeningGapsStream, RecentlyPlayedStream
from testkit.spotify.catalogue import ARTIST_NAMES, Catalogue
from testkit.spotify.export import export_entries, play_entry, write_extended_history
from testkit.spotify.listening import history, plays
from testkit.spotify.singer import tap_output

# What a Development Mode app gets since February 2026: no popularity, available_markets,
# linked_from.
TRACK_KEYS = [
    "album", "artists", "disc_number", "duration_ms", "explicit", "external_ids",
    "external_urls", "href", "id", "is_local", "name", "preview_url", "track_number", "type",
    "uri",
]  # fmt: skip


def small_catalogue(seed: int = 1) -> Catalogue:
    return Catalogue.generate(
        random.Random(seed), artists=3, albums=(1, 1), album_tracks=(2, 2), local_tracks=1
    )


def test_a_catalogue_is_the_same_for_the_same_seed_and_shaped_as_spotify_serves_it():
    catalogue = small_catalogue()

    assert catalogue == small_catalogue()
    assert catalogue != small_catalogue(seed=2)
    assert [artist["name"] for artist in catalogue.artists] == list(ARTIST_NAMES[:3])
    assert [len(tracks) for tracks in catalogue.tracks_by_artist] == [2, 2, 2]
    assert len(catalogue.tracks) == 7
    assert all(sorted(track) == TRACK_KEYS for track in catalogue.tracks)
    assert [track["artists"][0] for track in catalogue.tracks_by_artist[1]] == [
        catalogue.artists[1]
    ] * 2


def test_a_local_file_has_no_id_and_a_local_uri():
    (local,) = small_catalogue().local_tracks

    assert (local["id"], local["href"], local["is_local"]) == (None, None, True)
    assert local["uri"].startswith("spotify:local:Sigur+R%C3%B3s:")
    assert local["album"]["artists"] == []


def test_a_history_has_unique_increasing_played_at_and_is_seeded():
    plays_ = history(500)

    played_at = [play["played_at"] for play in plays_]
    assert (len(plays_), played_at[0], played_at[-1]) == (
        500,
        "2023-01-02T04:25:39.860Z",
        "2023-01-07T20:35:22.073Z",
    )
    assert played_at == sorted(set(played_at))
    assert history(500) == plays_


def test_plays_of_a_number_of_days_stay_within_them():
    catalogue = small_catalogue()

    days = plays(catalogue, random.Random(2), start=dt.date(2024, 1, 1), days=3, per_day=10)

    assert sorted({play["played_at"][:10] for play in days}) == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
    ]


def test_an_export_has_what_real_ones_have_besides_the_plays():
    plays_ = history(500)

    entries = list(export_entries(plays_))

    episodes = [entry for entry in entries if entry["episode_name"]]
    skips = [entry for entry in entries if entry["skipped"]]
    assert (len(entries), len(episodes), len(skips)) == (563, 9, 53)
    assert {entry["ms_played"] for entry in skips} == {4_000}
    uris = {play["track"]["uri"] for play in plays_ if not play["track"]["is_local"]}
    assert {e["spotify_track_uri"] for e in entries} - {None} == uris


def test_an_export_entry_names_the_album_artist_and_no_uri_for_a_local_file():
    catalogue = small_catalogue()
    ended = dt.datetime(2024, 5, 1, 12, 0, 7, 500_000, tzinfo=dt.timezone.utc)

    track_entry = play_entry(catalogue.tracks[0], ended, 1_000)
    local_entry = play_entry(catalogue.local_tracks[0], ended, 1_000)
    episode_entry = play_entry(None, ended, 60_000)

    assert (track_entry["ts"], track_entry["skipped"], track_entry["reason_end"]) == (
        "2024-05-01T12:00:07Z",
        True,
        "fwdbtn",
    )
    assert track_entry["master_metadata_album_artist_name"] == "Sigur Rós"
    assert track_entry["spotify_track_uri"] == catalogue.tracks[0]["uri"]
    assert local_entry["spotify_track_uri"] is None
    assert local_entry["master_metadata_album_artist_name"] == "Sigur Rós"
    assert (episode_entry["master_metadata_track_name"], episode_entry["episode_name"]) == (
        None,
        "Episode of the day",
    )


def test_export_files_are_named_and_split_as_spotify_does(tmp_path):
    entries = list(export_entries(history(500)))

    written = write_extended_history(entries, tmp_path / "export", per_file=200)

    files = sorted(path.name for path in (tmp_path / "export").iterdir())
    assert written == 563
    assert files == [
        "Streaming_History_Audio_2023-2023_0.json",
        "Streaming_History_Audio_2023-2023_1.json",
        "Streaming_History_Audio_2023-2023_2.json",
    ]
    reread = [json.loads((tmp_path / "export" / name).read_text()) for name in files]
    assert [len(chunk) for chunk in reread] == [200, 200, 163]
    assert [entry for chunk in reread for entry in chunk] == entries


def test_the_tap_output_carries_the_taps_own_schemas_states_and_gaps():
    plays_ = history(500)

    messages = [json.loads(line) for line in tap_output(plays_, state_every=200, gaps=2)]

    assert messages[0] == {
        "type": "SCHEMA",
        "stream": "recently_played",
        "schema": RecentlyPlayedStream.schema,
        "key_properties": ["played_at"],
    }
    records = [m for m in messages if m["type"] == "RECORD"]
    assert [m["record"] for m in records if m["stream"] == "recently_played"] == plays_
    states = [m["value"]["bookmarks"]["recently_played"] for m in messages if m["type"] == "STATE"]
    assert [state["replication_key_value"] for state in states] == [
        plays_[199]["played_at"],
        plays_[399]["played_at"],
        plays_[499]["played_at"],
    ]
    gaps_schema = next(m for m in messages if m.get("stream") == "listening_gaps")
    assert gaps_schema["schema"] == ListeningGapsStream.schema
    gaps = [m["record"] for m in records if m["stream"] == "listening_gaps"]
    assert [gap["bookmark"] for gap in gaps] == [
        plays_[166]["played_at"],
        plays_[333]["played_at"],
    ]
