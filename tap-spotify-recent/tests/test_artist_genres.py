"""artist_genres: MusicBrainz genres of the artists played, looked up within a budget per run.

Runs the tap against the Spotify and MusicBrainz contract servers (the test kit); most
tests let the MusicBrainz server enforce a short interval so they run fast, and the tests of
MusicBrainz's own rule use its one second.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from importlib.metadata import version

import pytest
from tap_spotify_recent.genres.book import LookupBook, digest
from tap_spotify_recent.genres.sightings import Sighting
from tap_spotify_recent.tap import TapSpotifyRecent

CONTACT = "listener@example.com"
FAST = 0.02  # seconds between requests in most tests (MusicBrainz's own rule: 1)
SIGUR = ("6UUrUCIZtQeOf8tC0WuzRy", "Sigur Rós")
MUM = ("0cGv7X4OY3ZWZ8QCH9DNNq", "Múm")
NILS = ("5gqhueRUZEa7VDnQt4HODp", "Nils Frahm")
OLAFUR = ("6hqvyNmybqUYfWvbgVoXjw", "Ólafur Arnalds")


@pytest.fixture
def musicbrainz(make_musicbrainz_server):
    return make_musicbrainz_server(interval=FAST)


def genre_config(spotify, musicbrainz, **settings) -> dict:
    """Settings for a fast contract server, with room for 50 requests unless told."""
    return spotify.tap_config(
        musicbrainz_contact=CONTACT,
        musicbrainz_url=musicbrainz.ws_url,
        musicbrainz_request_interval_seconds=FAST,
        **{"genres_requests_per_run": 50, **settings},
    )


def play(spotify, *artists: tuple[str, str], isrc: str | None = None) -> dict:
    """A play of a track credited to ``artists`` ((id, name) pairs)."""
    return spotify.add_play(track=spotify.track_of(*artists, isrc=isrc))


def genre_records(run) -> list[dict]:
    """The artist_genres records, without the lookup time (checked apart)."""
    records = run.records.get("artist_genres", [])
    for record in records:
        looked_up_at = datetime.fromisoformat(record.pop("looked_up_at").replace("Z", "+00:00"))
        assert abs(datetime.now(timezone.utc) - looked_up_at) < timedelta(minutes=5)
    return records


def matched(artist: tuple[str, str], mb_artist, via: str, genres: list, tags: list) -> dict:
    return {
        "artist_key": f"spotify:artist:{artist[0]}",
        "spotify_artist_id": artist[0],
        "artist_name": artist[1],
        "musicbrainz_id": mb_artist.mbid,
        "musicbrainz_name": mb_artist.name,
        "matched_by": via,
        "unmatched_reason": None,
        "genres": genres,
        "tags": tags,
    }


def unmatched(artist: tuple[str, str], reason: str) -> dict:
    return {
        "artist_key": f"spotify:artist:{artist[0]}",
        "spotify_artist_id": artist[0],
        "artist_name": artist[1],
        "musicbrainz_id": None,
        "musicbrainz_name": None,
        "matched_by": None,
        "unmatched_reason": reason,
        "genres": [],
        "tags": [],
    }


def genre_state(run) -> dict:
    return run.state["bookmarks"]["artist_genres"]


def today() -> datetime:
    return datetime.now(timezone.utc)


# -- matching and records ---------------------------------------------------------------------


def test_an_artist_linked_to_its_spotify_page_gets_its_genres_most_votes_first(
    spotify_server, musicbrainz, sync_tap
):
    sigur = musicbrainz.add_artist(
        "Sigur Rós",
        genres={"ambient": 2, "post-rock": 7, "dream pop": 2},
        tags={"icelandic": 4, "post-rock": 7},
        spotify_ids=[SIGUR[0]],
    )
    play(spotify_server, SIGUR, isrc="GBAHS0500123")

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    ids = {name: musicbrainz.genre_id(name) for name in ("post-rock", "ambient", "dream pop")}
    assert genre_records(run) == [
        matched(
            SIGUR,
            sigur,
            "spotify_url",
            genres=[
                {"name": "post-rock", "count": 7, "id": ids["post-rock"]},
                {"name": "ambient", "count": 2, "id": ids["ambient"]},
                {"name": "dream pop", "count": 2, "id": ids["dream pop"]},
            ],
            tags=[{"name": "post-rock", "count": 7}, {"name": "icelandic", "count": 4}],
        )
    ]
    assert [(r.path, r.query) for r in musicbrainz.requests] == [
        (
            "/ws/2/url",
            {
                "resource": [f"https://open.spotify.com/artist/{SIGUR[0]}"],
                "inc": ["artist-rels"],
                "fmt": ["json"],
            },
        ),
        (f"/ws/2/artist/{sigur.mbid}", {"inc": ["genres tags"], "fmt": ["json"]}),
    ]
    assert genre_state(run) == {
        "pending": {},
        "looked_up": {today().date().isoformat(): digest(f"spotify:artist:{SIGUR[0]}")},
    }


def test_requests_name_the_tap_its_version_and_the_contact(spotify_server, musicbrainz, sync_tap):
    play(spotify_server, SIGUR)

    sync_tap(genre_config(spotify_server, musicbrainz))

    assert {r.user_agent for r in musicbrainz.requests} == {
        f"tap-spotify-recent/{version('tap-spotify-recent')} ( {CONTACT} )"
    }


def test_without_a_link_the_artist_credited_on_the_tracks_isrc_is_matched_by_name(
    spotify_server, musicbrainz, sync_tap
):
    olafur = musicbrainz.add_artist("Ólafur Arnalds", genres={"neoclassical": 3})
    nils = musicbrainz.add_artist("Nils Frahm", genres={"ambient": 4, "modern classical": 4})
    musicbrainz.add_recording("Loon", isrcs=["DEAB11700001"], artists=[olafur, nils])
    play(spotify_server, OLAFUR, NILS, isrc="DEAB11700001")

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    assert genre_records(run) == [
        matched(
            OLAFUR,
            olafur,
            "isrc",
            [{"name": "neoclassical", "count": 3, "id": musicbrainz.genre_id("neoclassical")}],
            [{"name": "neoclassical", "count": 3}],
        ),
        matched(
            NILS,
            nils,
            "isrc",
            [
                {"name": "ambient", "count": 4, "id": musicbrainz.genre_id("ambient")},
                {
                    "name": "modern classical",
                    "count": 4,
                    "id": musicbrainz.genre_id("modern classical"),
                },
            ],
            [{"name": "ambient", "count": 4}, {"name": "modern classical", "count": 4}],
        ),
    ]
    assert musicbrainz.paths() == [
        "/ws/2/url",
        "/ws/2/isrc/DEAB11700001",
        f"/ws/2/artist/{olafur.mbid}",  # a matched artist's genres come first
        "/ws/2/isrc/DEAB11700001",
        f"/ws/2/artist/{nils.mbid}",
    ]


def test_several_artists_linking_one_spotify_page_resolve_to_the_one_of_the_same_name(
    spotify_server, musicbrainz, sync_tap
):
    musicbrainz.add_artist("Jónsi", genres={"art pop": 1}, spotify_ids=[SIGUR[0]])
    sigur = musicbrainz.add_artist("sigur rós", genres={"post-rock": 1}, spotify_ids=[SIGUR[0]])
    play(spotify_server, SIGUR)

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    assert [(r["musicbrainz_id"], r["matched_by"]) for r in genre_records(run)] == [
        (sigur.mbid, "spotify_url")
    ]


@pytest.mark.parametrize(
    ("isrc", "reason"),
    [(None, "no_link"), ("ISRC00000001", "isrc_unknown"), ("DEAB11700001", "not_credited_on_isrc")],
    ids=["no-isrc", "isrc-unknown", "isrc-of-other-artists"],
)
def test_an_artist_without_a_match_is_recorded_with_the_reason(
    isrc, reason, spotify_server, musicbrainz, sync_tap
):
    nils = musicbrainz.add_artist("Nils Frahm")
    musicbrainz.add_recording("Says", isrcs=["DEAB11700001"], artists=[nils])
    play(spotify_server, MUM, isrc=isrc and isrc.replace("ISRC", "GBAA"))

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    assert genre_records(run) == [unmatched(MUM, reason)]


def test_an_artist_without_a_match_is_not_asked_for_again(spotify_server, musicbrainz, sync_tap):
    play(spotify_server, MUM, isrc="GBAAA0000001")
    config = genre_config(spotify_server, musicbrainz)
    first = sync_tap(config)
    asked = len(musicbrainz.requests)

    play(spotify_server, MUM, isrc="GBAAA0000002")
    musicbrainz.wait_for_interval()
    second = sync_tap(config, state=first.state)

    assert genre_records(first) == [unmatched(MUM, "isrc_unknown")]
    assert asked == 2
    assert len(second.records["recently_played"]) == 1
    assert "artist_genres" not in second.records
    assert len(musicbrainz.requests) == asked
    assert genre_state(second) == genre_state(first)


def test_an_artist_played_again_after_the_refresh_interval_is_looked_up_again(
    spotify_server, musicbrainz, sync_tap
):
    for artist in (SIGUR, MUM):
        musicbrainz.add_artist(artist[1], genres={"post-rock": 1}, spotify_ids=[artist[0]])
    long_ago = (today().date() - timedelta(days=31)).isoformat()
    recently = (today().date() - timedelta(days=29)).isoformat()
    state = {
        "bookmarks": {
            "artist_genres": {
                "pending": {},
                "looked_up": {
                    long_ago: digest(f"spotify:artist:{SIGUR[0]}"),
                    recently: digest(f"spotify:artist:{MUM[0]}"),
                },
            }
        }
    }
    play(spotify_server, SIGUR)
    play(spotify_server, MUM)

    run = sync_tap(genre_config(spotify_server, musicbrainz, genres_refresh_days=30), state=state)

    assert [r["artist_key"] for r in genre_records(run)] == [f"spotify:artist:{SIGUR[0]}"]
    assert genre_state(run)["looked_up"] == {
        recently: digest(f"spotify:artist:{MUM[0]}"),
        today().date().isoformat(): digest(f"spotify:artist:{SIGUR[0]}"),
    }


# -- the budget ------------------------------------------------------------------------------


def test_the_budget_spreads_a_first_lookup_over_runs_in_the_state(
    spotify_server, musicbrainz, sync_tap
):
    artists = [(f"artist{n:016d}xyz", f"Artist {n}") for n in range(5)]
    names, musicbrainz_ids = [], []
    for artist_id, name in artists:
        mb_artist = musicbrainz.add_artist(name, genres={"rock": 1}, spotify_ids=[artist_id])
        names.append(name)
        musicbrainz_ids.append(mb_artist.mbid)
        play(spotify_server, (artist_id, name))
    config = genre_config(spotify_server, musicbrainz, genres_requests_per_run=2)

    runs, state = [], None
    for _ in range(4):
        before = len(musicbrainz.requests)
        musicbrainz.wait_for_interval()  # runs are minutes apart
        run = sync_tap(config, state=state)
        state = run.state
        runs.append(
            (
                len(musicbrainz.requests) - before,
                [r["artist_name"] for r in genre_records(run)],
                genre_state(run)["pending"],
            )
        )

    mbids = dict(zip(names, musicbrainz_ids, strict=True))
    waiting = [[artist_id, name, mbids[name], "spotify_url"] for artist_id, name in artists]
    assert (
        runs
        == [
            (2, ["Artist 0"], {"genres": waiting[1:]}),  # one URL lookup matches all five
            (2, ["Artist 1", "Artist 2"], {"genres": waiting[3:]}),
            (2, ["Artist 3", "Artist 4"], {}),
            (0, [], {}),
        ]
    )
    assert musicbrainz.paths()[0] == "/ws/2/url"
    assert len(genre_state(run)["looked_up"][today().date().isoformat()]) == 5 * 8


def test_one_url_lookup_matches_up_to_100_spotify_artists(spotify_server, musicbrainz, sync_tap):
    artists = [(f"artist{n:016d}abc", f"Artist {n}") for n in range(150)]
    for n in range(50):  # Spotify serves the last 50 plays: 3 artists each
        play(spotify_server, *artists[3 * n : 3 * n + 3])
    config = genre_config(spotify_server, musicbrainz, genres_requests_per_run=2)

    run = sync_tap(config)

    assert [len(r.query["resource"]) for r in musicbrainz.requests] == [100, 50]
    assert genre_records(run) == [unmatched(artist, "no_link") for artist in artists]


def test_a_budget_of_zero_queues_the_artists_without_asking(spotify_server, musicbrainz, sync_tap):
    play(spotify_server, SIGUR, isrc="GBAHS0500123")

    run = sync_tap(genre_config(spotify_server, musicbrainz, genres_requests_per_run=0))

    assert musicbrainz.requests == []
    assert genre_state(run)["pending"] == {"link": [[SIGUR[0], SIGUR[1], "GBAHS0500123"]]}


def test_the_state_keeps_a_name_per_artist_waiting_and_8_bytes_per_artist_looked_up():
    book = LookupBook({}, {}, timedelta(days=180))
    day = today().date()
    names = [f"Export Artist {n:04d}" for n in range(5000)]  # 18 characters each
    book.note((Sighting(name) for name in names), day)
    waiting: dict = {}
    book.write(waiting)
    for artist in list(book.pending.values()):
        book.finish(artist, day)
    done: dict = {}

    book.write(done)

    def size(value) -> int:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))

    assert size(waiting["pending"]) == len('{"search":[]}') + 5000 * (18 + 3) - 1
    assert waiting["looked_up"] == {}
    assert size(done["looked_up"]) == len(f'{{"{day}":""}}') + 5000 * 8
    assert done["pending"] == {}


# -- MusicBrainz's rules and failures --------------------------------------------------------


def test_requests_keep_musicbrainz_one_request_per_second(
    spotify_server, musicbrainz_server, sync_tap
):
    for artist in (SIGUR, MUM):
        musicbrainz_server.add_artist(artist[1], genres={"rock": 1}, spotify_ids=[artist[0]])
        play(spotify_server, artist)
    config = spotify_server.tap_config(
        musicbrainz_contact=CONTACT, musicbrainz_url=musicbrainz_server.ws_url
    )

    run = sync_tap(config)

    arrivals = [r.at for r in musicbrainz_server.requests]
    assert [r.status for r in musicbrainz_server.requests] == [200, 200]
    assert arrivals[1] - arrivals[0] >= 1.0
    assert len(genre_records(run)) == 1


def test_a_503_is_retried_after_its_retry_after(spotify_server, musicbrainz, sync_tap):
    musicbrainz.add_artist("Sigur Rós", genres={"rock": 1}, spotify_ids=[SIGUR[0]])
    play(spotify_server, SIGUR)
    musicbrainz.fail_next("unavailable", retry_after=1)

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    requests = musicbrainz.requests
    assert [(r.path, r.status) for r in requests] == [
        ("/ws/2/url", 503),
        ("/ws/2/url", 200),
        (requests[2].path, 200),
    ]
    assert requests[1].at - requests[0].at >= 1.0  # Retry-After: 1
    assert len(genre_records(run)) == 1


def test_musicbrainz_not_answering_keeps_the_queue_and_the_run_succeeds(
    spotify_server, musicbrainz, run_cli
):
    musicbrainz.add_artist("Sigur Rós", genres={"rock": 1}, spotify_ids=[SIGUR[0]])
    play(spotify_server, SIGUR)
    musicbrainz.fail_next("unavailable", times=3, retry_after=0)
    config = genre_config(spotify_server, musicbrainz)

    failed = run_cli(config)
    musicbrainz.wait_for_interval()
    recovered = run_cli(config, state=failed.state)

    assert failed.returncode == 0
    assert len(failed.records["recently_played"]) == 1
    assert "artist_genres" not in failed.records
    assert "MusicBrainz did not answer (503 Service Unavailable for /ws/2/url" in failed.stderr
    assert "Nothing is lost: artists waiting for a lookup: 1, looked up in the next" in (
        failed.stderr
    )
    assert genre_state(failed)["pending"] == {"link": [[SIGUR[0], SIGUR[1], None]]}
    assert [r["artist_key"] for r in recovered.records["artist_genres"]] == [
        f"spotify:artist:{SIGUR[0]}"
    ]


def test_a_dropped_connection_is_retried(spotify_server, musicbrainz, sync_tap):
    musicbrainz.add_artist("Sigur Rós", genres={"rock": 1}, spotify_ids=[SIGUR[0]])
    play(spotify_server, SIGUR)
    musicbrainz.fail_next("connection_drop")

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    assert [r.status for r in musicbrainz.requests] == [None, 200, 200]
    assert [r["matched_by"] for r in genre_records(run)] == ["spotify_url"]


def test_a_long_retry_after_ends_this_runs_lookups_at_once(
    spotify_server, musicbrainz, sync_tap, caplog
):
    play(spotify_server, SIGUR)
    musicbrainz.fail_next("unavailable", retry_after=60)

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    assert len(musicbrainz.requests) == 1
    assert "artist_genres" not in run.records
    assert "asks to wait 60 s). Nothing is lost: artists waiting for a lookup: 1" in caplog.text
    assert genre_state(run)["pending"] == {"link": [[SIGUR[0], SIGUR[1], None]]}


def test_a_url_that_is_not_musicbrainz_is_named_instead_of_recording_no_matches(
    spotify_server, musicbrainz, run_cli
):
    play(spotify_server, SIGUR)

    run = run_cli({**genre_config(spotify_server, musicbrainz), "musicbrainz_url": musicbrainz.url})

    assert run.returncode == 1
    assert "MusicBrainz answered 404 Not Found for /url (Not found). Check musicbrainz_url." in (
        run.stderr
    )
    assert "artist_genres" not in run.records


def test_a_refused_client_fails_the_run_naming_the_contact_setting(
    spotify_server, musicbrainz, run_cli
):
    play(spotify_server, SIGUR)
    musicbrainz.fail_next("forbidden")

    run = run_cli(genre_config(spotify_server, musicbrainz))

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert (
        "MusicBrainz refused the request (403: Your IP address has been blocked.). It refuses "
        "clients without a meaningful User-Agent"
    ) in run.stderr
    assert "check musicbrainz_contact" in run.stderr
    assert len(run.records["recently_played"]) == 1


def test_a_refused_lookup_records_that_artist_and_the_others_go_on(
    spotify_server, musicbrainz, sync_tap, caplog
):
    musicbrainz.add_artist("Sigur Rós", genres={"post-rock": 7}, spotify_ids=[SIGUR[0]])
    mum = musicbrainz.add_artist("Múm", genres={"folktronica": 2}, spotify_ids=[MUM[0]])
    play(spotify_server, SIGUR, MUM)
    config = genre_config(spotify_server, musicbrainz)
    matched_both = sync_tap({**config, "genres_requests_per_run": 1})  # the URL lookup only

    musicbrainz.wait_for_interval()
    musicbrainz.fail_next("bad_request")
    run = sync_tap(config, state=matched_both.state)

    folktronica = [{"name": "folktronica", "count": 2, "id": musicbrainz.genre_id("folktronica")}]
    assert genre_records(run) == [
        unmatched(SIGUR, "refused"),
        matched(MUM, mum, "spotify_url", folktronica, [{"name": "folktronica", "count": 2}]),
    ]
    assert (
        "MusicBrainz refused the lookup of 'Sigur Rós' (Invalid request.): recorded without "
        "a match." in caplog.text
    )


def test_a_refused_url_lookup_records_its_artists_as_refused(spotify_server, musicbrainz, sync_tap):
    musicbrainz.add_artist("Sigur Rós", spotify_ids=[SIGUR[0]])
    play(spotify_server, SIGUR)
    musicbrainz.fail_next("bad_request")

    run = sync_tap(genre_config(spotify_server, musicbrainz))

    assert genre_records(run) == [unmatched(SIGUR, "refused")]
    assert len(musicbrainz.requests) == 1


def test_without_a_contact_artist_genres_writes_nothing_and_musicbrainz_is_never_asked(
    spotify_server, musicbrainz, sync_tap
):
    play(spotify_server, SIGUR)
    config = spotify_server.tap_config(musicbrainz_url=musicbrainz.ws_url)

    run = sync_tap(config)

    assert musicbrainz.requests == []
    assert "artist_genres" not in {m["stream"] for m in run.messages if m["type"] == "SCHEMA"}
    assert "artist_genres" not in run.state["bookmarks"]


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("musicbrainz_contact", "me", "is neither an e-mail address nor an http(s):// URL"),
        ("musicbrainz_contact", "https://example.com/(me)", "is neither an e-mail address"),
        ("musicbrainz_url", "musicbrainz.org/ws/2", "is not an http(s):// URL"),
    ],
)
def test_an_unusable_genre_setting_is_named_before_any_request(
    setting, value, problem, spotify_server, musicbrainz, run_cli
):
    run = run_cli({**genre_config(spotify_server, musicbrainz), setting: value})

    assert run.returncode == 1
    assert f"{setting}: {value!r} {problem}" in run.stderr
    assert "Traceback" not in run.stderr
    assert musicbrainz.requests == []
    assert spotify_server.api_requests() == []


def test_a_damaged_genres_state_is_named(spotify_server, musicbrainz, run_cli):
    state = {"bookmarks": {"artist_genres": {"pending": {"search": [["Múm"]]}}}}

    run = run_cli(genre_config(spotify_server, musicbrainz), state=state)

    assert run.returncode == 1
    assert (
        "The state of stream artist_genres is damaged: a pending artist of step 'search' is "
        "['Múm']. Correct the state, or clear it"
    ) in run.stderr


# -- artists of the data export --------------------------------------------------------------


def _export_row(artist: str | None, *, episode: str | None = None, n: int = 0) -> dict:
    return {
        "ts": f"2020-04-11T00:{n:02d}:53Z",
        "ms_played": 174674,
        "master_metadata_track_name": None if episode else f"Track {n}",
        "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": None if episode else "Album",
        "spotify_track_uri": None if episode else f"spotify:track:{n:022d}",
        "episode_name": episode,
        "episode_show_name": "A Show" if episode else None,
        "spotify_episode_uri": f"spotify:episode:{n:022d}" if episode else None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": 0,
        "incognito_mode": False,
    }


def test_export_only_artists_are_matched_when_one_artist_has_the_name(
    tmp_path, musicbrainz, sync_tap
):
    mum = musicbrainz.add_artist("múm", genres={"folktronica": 2, "indietronica": 1})
    musicbrainz.add_artist("Nirvana", disambiguation="US grunge band", genres={"grunge": 9})
    musicbrainz.add_artist("Nirvana", disambiguation="60s UK band", genres={"baroque pop": 2})
    musicbrainz.add_artist("坂本龍一", aliases=["Ryuichi Sakamoto"], genres={"ambient": 1})
    rows = [
        _export_row("Múm", n=1),
        _export_row("Nirvana", n=2),
        _export_row("Unknown Band", n=3),
        _export_row(None, episode="Episode 1", n=4),
        _export_row("MÚM", n=5),  # another spelling: another key, as in the report
        _export_row("Múm", n=6),
    ]
    export = tmp_path / "Streaming_History_Audio_2020.json"
    export.write_text(json.dumps(rows))
    config = {
        "history_path": str(export),
        "musicbrainz_contact": CONTACT,
        "musicbrainz_url": musicbrainz.ws_url,
        "musicbrainz_request_interval_seconds": FAST,
    }
    catalog = TapSpotifyRecent(config=config).catalog_dict
    for entry in catalog["streams"]:
        stream_level = next(m for m in entry["metadata"] if m["breadcrumb"] == [])
        stream_level["metadata"]["selected"] = entry["tap_stream_id"] in {
            "streaming_history",
            "artist_genres",
        }

    run = sync_tap({**config, "genres_requests_per_run": 10}, catalog=catalog)

    def by_name(name, **fields):
        return {
            "artist_key": name,
            "spotify_artist_id": None,
            "artist_name": name,
            "musicbrainz_id": None,
            "musicbrainz_name": None,
            "matched_by": None,
            "unmatched_reason": None,
            "genres": [],
            "tags": [],
            **fields,
        }

    folktronica = {"name": "folktronica", "count": 2, "id": musicbrainz.genre_id("folktronica")}
    indietronica = {"name": "indietronica", "count": 1, "id": musicbrainz.genre_id("indietronica")}
    mum_fields = {
        "musicbrainz_id": mum.mbid,
        "musicbrainz_name": "múm",
        "matched_by": "name_search",
        "genres": [folktronica, indietronica],
        "tags": [{"name": "folktronica", "count": 2}, {"name": "indietronica", "count": 1}],
    }
    assert genre_records(run) == [
        by_name("Múm", **mum_fields),
        by_name("Nirvana", unmatched_reason="name_ambiguous"),
        by_name("Unknown Band", unmatched_reason="name_not_found"),
        by_name("MÚM", **mum_fields),
    ]
    searched = [r.query["query"][0] for r in musicbrainz.requests if r.path == "/ws/2/artist"]
    assert searched == [
        'artist:"Múm" OR alias:"Múm"',
        'artist:"Nirvana" OR alias:"Nirvana"',
        'artist:"Unknown Band" OR alias:"Unknown Band"',
        'artist:"MÚM" OR alias:"MÚM"',
    ]
