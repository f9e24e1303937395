"""Write a Singer stream of N recently-played-shaped records (about 1.6 KB each).

The schema mirrors Spotify's PlayHistoryObject (as tap-spotify-recent emits it):
`played_at` (key, date-time), `track` (nested TrackObject), `context` (object or
null). Usage: python plays.py N > plays.singer
"""

from __future__ import annotations

import datetime
import json
import random
import sys

STREAM = "recently_played"


def _obj(**props: dict) -> dict:
    return {"type": ["object", "null"], "properties": props}


_STR = {"type": ["string", "null"]}
_INT = {"type": ["integer", "null"]}
_BOOL = {"type": ["boolean", "null"]}
_URLS = _obj(spotify=_STR)
_REF = {"external_urls": _URLS, "href": _STR, "id": _STR, "type": _STR, "uri": _STR}
_ARTISTS = {"type": ["array", "null"], "items": _obj(**_REF, name=_STR)}
_MARKETS = {"type": ["array", "null"], "items": _STR}

SCHEMA = {
    "type": "object",
    "properties": {
        "played_at": {"type": "string", "format": "date-time"},
        "track": _obj(
            **_REF,
            album=_obj(
                **_REF,
                album_type=_STR,
                artists=_ARTISTS,
                available_markets=_MARKETS,
                images={
                    "type": ["array", "null"],
                    "items": _obj(url=_STR, height=_INT, width=_INT),
                },
                name=_STR,
                release_date=_STR,
                release_date_precision=_STR,
                total_tracks=_INT,
            ),
            artists=_ARTISTS,
            available_markets=_MARKETS,
            disc_number=_INT,
            duration_ms=_INT,
            explicit=_BOOL,
            external_ids=_obj(isrc=_STR),
            is_local=_BOOL,
            name=_STR,
            popularity=_INT,
            preview_url=_STR,
            track_number=_INT,
        ),
        "context": _obj(type=_STR, href=_STR, external_urls=_URLS, uri=_STR),
    },
    "required": ["played_at"],
}


_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ref(kind: str, rng: random.Random) -> dict:
    ident = "".join(
        rng.choice("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for _ in range(22)
    )
    return {
        "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{ident}"},
        "href": f"https://api.spotify.com/v1/{kind}s/{ident}",
        "id": ident,
        "type": kind,
        "uri": f"spotify:{kind}:{ident}",
    }


def play(i: int, rng: random.Random) -> dict:
    """One play, `i` minutes after 2024-01-01, with a realistic nested track."""
    played = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        minutes=3 * i, milliseconds=rng.randrange(1000)
    )
    artist = {**_ref("artist", rng), "name": f"Artist {rng.randrange(5000)}"}
    album = {
        **_ref("album", rng),
        "album_type": "album",
        "artists": [artist],
        "available_markets": ["DE", "FR", "GB", "NL", "US"],
        "images": [
            {"url": f"https://i.scdn.co/image/{rng.getrandbits(64):016x}", "height": s, "width": s}
            for s in (640, 300, 64)
        ],
        "name": f"Album {rng.randrange(10000)}",
        "release_date": "2019-05-17",
        "release_date_precision": "day",
        "total_tracks": rng.randrange(1, 20),
    }
    track = {
        **_ref("track", rng),
        "album": album,
        "artists": [artist],
        "available_markets": ["DE", "FR", "GB", "NL", "US"],
        "disc_number": 1,
        "duration_ms": rng.randrange(90_000, 400_000),
        "explicit": rng.random() < 0.2,
        "external_ids": {"isrc": f"USRC1{rng.randrange(10**7):07d}"},
        "is_local": False,
        "name": f"Track {rng.randrange(100000)} ☃",
        "popularity": rng.randrange(100),
        "preview_url": None,
        "track_number": rng.randrange(1, 15),
    }
    context = None if rng.random() < 0.3 else {**_ref("playlist", rng)}
    context and context.pop("id")
    return {
        "played_at": played.strftime("%Y-%m-%dT%H:%M:%S.") + f"{played.microsecond // 1000:03d}Z",
        "track": track,
        "context": context,
    }


def _dump(message: dict) -> str:
    # Compact, as singer-sdk taps write their messages.
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def lines(n: int, seed: int = 7) -> list[str]:
    """The Singer lines: SCHEMA, N RECORDs, a STATE every 1,000 records and at the end."""
    rng = random.Random(seed)
    out = [
        _dump(
            {"type": "SCHEMA", "stream": STREAM, "schema": SCHEMA, "key_properties": ["played_at"]}
        )
    ]
    for i in range(n):
        out.append(_dump({"type": "RECORD", "stream": STREAM, "record": play(i, rng)}))
        if (i + 1) % 1000 == 0 or i + 1 == n:
            out.append(_dump({"type": "STATE", "value": {"bookmarks": {STREAM: i + 1}}}))
    return out


if __name__ == "__main__":
    sys.stdout.write("\n".join(lines(int(sys.argv[1]))) + "\n")
