"""The MusicBrainz contract server keeps MusicBrainz's documented rules and shapes."""

from __future__ import annotations

import requests

UA = {"User-Agent": "contract-test/1.0 ( test@example.com )"}
SPOTIFY = "https://open.spotify.com/artist/"


def get(server, path: str, user_agent: dict | None = None, **params) -> requests.Response:
    return requests.get(
        server.ws_url + path,
        params={**params, "fmt": "json"},
        headers=UA if user_agent is None else user_agent,
        timeout=10,
    )


def test_a_request_sooner_than_the_interval_is_declined_with_503_and_retry_after(
    make_musicbrainz_server,
):
    # A long interval, so that the second request comes sooner however loaded the machine.
    server = make_musicbrainz_server(interval=60)
    server.add_artist("Múm", spotify_ids=["mum0000000000000000001"])

    first = get(server, "/url", resource=SPOTIFY + "mum0000000000000000001")
    second = get(server, "/url", resource=SPOTIFY + "mum0000000000000000001")

    assert first.status_code == 200
    assert second.status_code == 503
    assert second.headers["Retry-After"] == "60"
    assert second.json()["error"].startswith("Your requests are exceeding the allowable rate")


def test_requests_spaced_by_the_interval_are_all_answered(make_musicbrainz_server):
    server = make_musicbrainz_server(interval=0.2)
    statuses = []
    for _ in range(3):
        statuses.append(get(server, "/artist", query='artist:"nobody"').status_code)
        server.wait_for_interval()

    assert statuses == [200, 200, 200]


def test_requests_without_a_meaningful_user_agent_are_refused(make_musicbrainz_server):
    server = make_musicbrainz_server(interval=0)

    missing = get(server, "/artist", user_agent={"User-Agent": ""}, query="x")
    library = get(server, "/artist", user_agent={}, query="x")  # python-requests/<version>
    meaningful = get(server, "/artist", query="x")

    assert (missing.status_code, library.status_code, meaningful.status_code) == (403, 403, 200)
    assert (
        library.json()["help"] == "For usage, please see: https://musicbrainz.org/development/mmd"
    )


def test_url_lookup_one_resource_answers_the_url_or_404(make_musicbrainz_server):
    server = make_musicbrainz_server(interval=0)
    artist = server.add_artist("Sigur Rós", spotify_ids=["sigur00000000000000001"])

    found = get(server, "/url", resource=SPOTIFY + "sigur00000000000000001", inc="artist-rels")
    missing = get(server, "/url", resource=SPOTIFY + "unknown000000000000001", inc="artist-rels")

    body = found.json()
    assert body["resource"] == SPOTIFY + "sigur00000000000000001"
    assert [(r["target-type"], r["type"], r["direction"]) for r in body["relations"]] == [
        ("artist", "free streaming", "backward")
    ]
    assert body["relations"][0]["artist"]["id"] == artist.mbid
    assert "genres" not in body["relations"][0]["artist"]
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"


def test_url_lookup_repeated_resources_lists_the_known_ones_by_url_up_to_100(
    make_musicbrainz_server,
):
    server = make_musicbrainz_server(interval=0)
    ids = [f"a{n:021d}" for n in range(105)]
    for spotify_id in ids:
        server.add_artist(spotify_id, spotify_ids=[spotify_id])
    resources = [SPOTIFY + "unknown000000000000001", *(SPOTIFY + i for i in reversed(ids))]

    body = get(server, "/url", resource=resources, inc="artist-rels").json()

    # The first 100 resources are read: the unknown one and ids 104 down to 6.
    assert body["url-count"] == 99
    assert [url["resource"] for url in body["urls"]] == [SPOTIFY + i for i in ids[6:]]


def test_artist_lookup_lists_genres_and_tags_by_name_without_downvoted_ones(
    make_musicbrainz_server,
):
    server = make_musicbrainz_server(interval=0)
    artist = server.add_artist(
        "BoA",
        genres={"pop": 1, "k-pop": 3, "j-pop": 0},
        tags={"kpop": 2, "pop": 1, "seen live": -1},
    )

    body = get(server, f"/artist/{artist.mbid}", inc="genres tags").json()
    bad = get(server, "/artist/not-an-mbid", inc="genres")
    gone = get(server, "/artist/00000000-0000-0000-0000-000000000000", inc="genres")

    assert [(g["name"], g["count"]) for g in body["genres"]] == [("k-pop", 3), ("pop", 1)]
    assert set(body["genres"][0]) == {"id", "name", "count", "disambiguation"}
    assert body["tags"] == [{"count": 2, "name": "kpop"}, {"count": 1, "name": "pop"}]
    assert (bad.status_code, bad.json()["error"]) == (400, "Invalid mbid.")
    assert gone.status_code == 404


def test_isrc_lookup_lists_recordings_with_artist_credits_and_refuses_genres(
    make_musicbrainz_server,
):
    server = make_musicbrainz_server(interval=0)
    one = server.add_artist("Ólafur Arnalds")
    two = server.add_artist("Nils Frahm")
    server.add_recording("Loon", isrcs=["DEAB11700001"], artists=[one, two])

    body = get(server, "/isrc/DEAB11700001", inc="artists").json()
    invalid = get(server, "/isrc/not-an-isrc", inc="artists")
    unknown = get(server, "/isrc/DEAB11799999", inc="artists")
    genres = get(server, "/isrc/DEAB11700001", inc="genres")

    assert body["isrc"] == "DEAB11700001"
    assert [
        (credit["name"], credit["joinphrase"], credit["artist"]["id"])
        for credit in body["recordings"][0]["artist-credit"]
    ] == [("Ólafur Arnalds", " & ", one.mbid), ("Nils Frahm", "", two.mbid)]
    assert (invalid.status_code, invalid.json()["error"]) == (400, "Invalid isrc.")
    assert unknown.status_code == 404
    assert (genres.status_code, genres.json()["error"]) == (
        400,
        "genres is not a valid inc parameter for the isrc resource.",
    )


def test_artist_search_scores_names_and_aliases_ignoring_case_and_accents(
    make_musicbrainz_server,
):
    server = make_musicbrainz_server(interval=0)
    server.add_artist("Nirvana", disambiguation="US grunge band")
    server.add_artist("Nirvana", disambiguation="60s UK band")
    server.add_artist("坂本龍一", aliases=["Ryuichi Sakamoto"])
    server.add_artist("Nirvana Tribute")

    nirvana = get(server, "/artist", query='artist:"NIRVANA"').json()
    sakamoto = get(server, "/artist", query='artist:"ryuichi sakamoto" OR alias:"ryuichi sakamoto"')

    assert [(a["name"], a["score"]) for a in nirvana["artists"]] == [
        ("Nirvana", 100),
        ("Nirvana", 100),
        ("Nirvana Tribute", 45),
    ]
    assert nirvana["count"] == 3
    assert [(a["name"], a["score"]) for a in sakamoto.json()["artists"]] == [("坂本龍一", 95)]
    assert sakamoto.json()["artists"][0]["aliases"][0]["name"] == "Ryuichi Sakamoto"


def test_without_fmt_json_the_answer_is_xml(make_musicbrainz_server):
    server = make_musicbrainz_server(interval=0)

    response = requests.get(
        server.ws_url + "/artist", params={"query": "x"}, headers=UA, timeout=10
    )

    assert response.headers["Content-Type"].startswith("application/xml")
