"""`meltano run tap-spotify-recent target-turso` with artist genres: Meltano, sqld, and the
Spotify and MusicBrainz contract servers (the latter keeping MusicBrainz's one request per
second, the tap its default spacing). Each run starts from a brand-new Meltano system
database, so the lookups the tap remembers live in the state Meltano keeps in Turso.
"""

from __future__ import annotations

import itertools
import json

from .test_pipeline import MAIN_JOB, query, stored_state, tap_env, turso_env

SIGUR = ("6UUrUCIZtQeOf8tC0WuzRy", "Sigur Rós")
MUM = ("0cGv7X4OY3ZWZ8QCH9DNNq", "Múm")
KINO = ("2nBpzn1OSLbIkCFERszmGA", "Кино")
COLUMNS = (
    '"artist_key", "artist_name", "musicbrainz_id", "matched_by", "unmatched_reason", '
    '"genres", "tags"'
)


def test_artist_genres_land_in_turso_and_lookups_are_remembered_across_fresh_runners(
    meltano_project, make_spotify_server, musicbrainz_server, sqld_factory, fresh_runner
):
    spotify = make_spotify_server()
    sqld = sqld_factory()
    sigur = musicbrainz_server.add_artist(
        "Sigur Rós", genres={"post-rock": 7, "ambient": 2}, spotify_ids=[SIGUR[0]]
    )
    mum = musicbrainz_server.add_artist("Múm", spotify_ids=[MUM[0]])  # no genres voted yet
    spotify.add_play(track=spotify.track_of(SIGUR, isrc="ISAAA0500123"))
    spotify.add_play(track=spotify.track_of(MUM, KINO))  # Кино: no link, no ISRC
    env = {
        **tap_env(spotify),
        **turso_env(sqld),
        "TAP_SPOTIFY_RECENT_MUSICBRAINZ_CONTACT": "listener@example.com",
        "TAP_SPOTIFY_RECENT_MUSICBRAINZ_URL": musicbrainz_server.ws_url,
        "TAP_SPOTIFY_RECENT_GENRES_REQUESTS_PER_RUN": "3",
    }

    run = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert run.returncode == 0, str(run)

    rows = query(sqld.url, f'SELECT {COLUMNS} FROM "artist_genres" ORDER BY "artist_name"')
    ambient, post_rock = (musicbrainz_server.genre_id(n) for n in ("ambient", "post-rock"))
    assert [(*row[:5], json.loads(row[5]), json.loads(row[6])) for row in rows] == [
        (f"spotify:artist:{MUM[0]}", "Múm", mum.mbid, "spotify_url", None, [], []),
        (
            f"spotify:artist:{SIGUR[0]}",
            "Sigur Rós",
            sigur.mbid,
            "spotify_url",
            None,
            [
                {"name": "post-rock", "count": 7, "id": post_rock},
                {"name": "ambient", "count": 2, "id": ambient},
            ],
            [{"name": "post-rock", "count": 7}, {"name": "ambient", "count": 2}],
        ),
        (f"spotify:artist:{KINO[0]}", "Кино", None, None, "no_link", [], []),
    ]
    assert [r.status for r in musicbrainz_server.requests] == [200, 200, 200]
    arrivals = [r.at for r in musicbrainz_server.requests]
    assert min(b - a for a, b in itertools.pairwise(arrivals)) >= 1.0
    assert stored_state(sqld.url)["bookmarks"]["artist_genres"]["pending"] == {}

    # The same artists played again, on another fresh runner: MusicBrainz is not asked.
    spotify.add_play(track=spotify.track_of(SIGUR, isrc="ISAAA0500123"))
    musicbrainz_server.wait_for_interval()
    run = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert run.returncode == 0, str(run)
    assert len(musicbrainz_server.requests) == 3
    assert query(sqld.url, 'SELECT count(*) FROM "recently_played"') == [(3,)]
    assert query(sqld.url, 'SELECT count(*) FROM "artist_genres"') == [(3,)]
    assert "listener@example.com" not in run.output
