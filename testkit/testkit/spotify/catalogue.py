"""Seeded Spotify Web API objects: artists, albums and tracks, contexts, ``played_at`` values.

The one source of fake Spotify music in this repository: the contract server serves these
tracks, the demo and the benchmarks play them (``testkit.spotify.listening``), and the export
entries of ``testkit.spotify.export`` name them. TrackObjects have the shape a Development
Mode app gets since February 2026 (no ``popularity``, ``available_markets`` or
``linked_from``); local files have a null ``id`` and a ``spotify:local:`` URI; names are
unicode. Everything is drawn from the ``random.Random`` passed in: same seed, same catalogue.
"""

from __future__ import annotations

import random
import typing as t
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

ARTIST_NAMES = (
    "Sigur Rós",
    "坂本龍一",
    "Beyoncé",
    "Motörhead",
    "Björk",
    "Ólafur Arnalds",
    "ROSALÍA",
    "Zoë Keating",
    "방탄소년단",
    "Кино",
    "Daft Punk",
    "Mø",
)
"""The first artists of every catalogue; later ones get made-up names."""

TITLES = (
    "Hoppípolla",
    "Jóga",
    "Ça plane pour moi",
    "Группа крови",
    "戦場のメリークリスマス",
    "Despechá",
    "Ace of Spades",
    "Naïve Melody",
    "Ø (Interlude)",
    "Æ Fjord",
    "Señorita",
    "Night Shift",
    "Über Alles Blue",
    "Café Olé",
    "🎧 Late Train",
    "Halo",
)
"""Titles some tracks and albums take; the others get made-up names."""

SYLLABLES = ("lo", "ra", "ne", "vi", "sol", "mar", "ka", "ten", "dör", "el", "sun", "mi", "zo")
BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

Track = dict[str, t.Any]
"""A TrackObject, as JSON."""


def spotify_id(rng: random.Random) -> str:
    """A base-62 id of 22 characters, as Spotify's."""
    return "".join(rng.choice(BASE62) for _ in range(22))


def object_ref(kind: str, spotify_id: str | None) -> dict[str, t.Any]:
    """The id/uri/href/external_urls quartet every Spotify object carries (null for local)."""
    if spotify_id is None:
        return {"external_urls": {}, "href": None, "id": None, "type": kind, "uri": None}
    return {
        "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{spotify_id}"},
        "href": f"https://api.spotify.com/v1/{kind}s/{spotify_id}",
        "id": spotify_id,
        "type": kind,
        "uri": f"spotify:{kind}:{spotify_id}",
    }


def artist_object(spotify_id: str | None, name: str) -> dict[str, t.Any]:
    """A SimplifiedArtistObject."""
    return {**object_ref("artist", spotify_id), "name": name}


def made_up_name(rng: random.Random, words: int) -> str:
    """A name of ``words`` capitalised words of syllables (``Lorane Solvi``)."""
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()
        for _ in range(words)
    )


def context(rng: random.Random) -> dict[str, t.Any] | None:
    """A playlist/album/artist context, or null when the track was played on its own."""
    kind = rng.choice(["playlist", "playlist", "album", "artist", None])
    if kind is None:
        return None
    ref = object_ref(kind, spotify_id(rng))
    return {key: ref[key] for key in ("type", "href", "external_urls", "uri")}


def format_played_at(moment: datetime) -> str:
    """Spotify's ``played_at``: UTC, millisecond precision, ``Z`` suffix."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_ms(played_at: str | datetime) -> int:
    """Unix milliseconds of an RFC 3339 value (with or without a fraction) or a datetime."""
    moment = (
        played_at
        if isinstance(played_at, datetime)
        else datetime.fromisoformat(played_at.replace("Z", "+00:00"))
    )
    return (moment - _UNIX_EPOCH) // timedelta(milliseconds=1)


def _title(rng: random.Random) -> str:
    return rng.choice(TITLES) if rng.random() < 0.3 else made_up_name(rng, rng.randint(1, 4))


def _album(rng: random.Random, artist: dict[str, t.Any]) -> dict[str, t.Any]:
    """A SimplifiedAlbumObject of ``artist``, with its three cover sizes."""
    album_id = spotify_id(rng)
    year = rng.randint(1970, 2026)
    precision = rng.choice(["day", "day", "month", "year"])
    release = {
        "day": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "month": f"{year}-1{rng.randint(0, 2)}",
        "year": str(year),
    }
    return {
        **object_ref("album", album_id),
        "album_type": rng.choice(["album", "single", "compilation"]),
        "artists": [artist],
        "images": [
            {"url": f"https://i.scdn.co/image/{album_id}{size}", "height": size, "width": size}
            for size in (640, 300, 64)
        ],
        "name": _title(rng),
        "release_date": release[precision],
        "release_date_precision": precision,
        "total_tracks": rng.randint(1, 18),
    }


def _track(
    rng: random.Random, album: dict[str, t.Any], credits: list[dict[str, t.Any]], number: int
) -> Track:
    """A TrackObject on ``album`` credited to ``credits``."""
    year = album["release_date"][:4]
    return {
        **object_ref("track", spotify_id(rng)),
        "album": album,
        "artists": credits,
        "disc_number": 1,
        "duration_ms": rng.randint(95_000, 420_000),
        "explicit": rng.random() < 0.1,
        "external_ids": {
            "isrc": f"GB{rng.choice(['UM7', 'AHS'])}{year[2:]}{rng.randint(0, 99999):05d}"
        },
        "is_local": False,
        "name": _title(rng),
        "preview_url": None,
        "track_number": number,
    }


def _local_track(rng: random.Random, artist_name: str) -> Track:
    """A local file: what Spotify knows of it is its tags, and no id anywhere."""
    name, album_name = _title(rng), _title(rng)
    duration_ms = rng.randint(60, 330) * 1000
    parts = (artist_name, album_name, name, str(duration_ms // 1000))
    artist = artist_object(None, artist_name)
    return {
        **object_ref("track", None),
        "uri": "spotify:local:" + ":".join(quote_plus(part) for part in parts),
        "album": {
            **object_ref("album", None),
            "album_type": None,
            "artists": [],
            "images": [],
            "name": album_name,
            "release_date": None,
            "release_date_precision": None,
            "total_tracks": None,
        },
        "artists": [artist],
        "disc_number": 1,
        "duration_ms": duration_ms,
        "explicit": False,
        "external_ids": {},
        "is_local": True,
        "name": name,
        "preview_url": None,
        "track_number": rng.randint(1, 12),
    }


@dataclass
class Catalogue:
    """Artists, most popular first, with the tracks of their albums; and some local files."""

    artists: list[dict[str, t.Any]]
    tracks_by_artist: list[list[Track]]
    local_tracks: list[Track]

    @classmethod
    def generate(
        cls,
        rng: random.Random,
        *,
        artists: int = 12,
        albums: tuple[int, int] = (1, 4),
        album_tracks: tuple[int, int] = (5, 12),
        local_tracks: int = 5,
        featuring: float = 0.15,
    ) -> Catalogue:
        """Draw a catalogue of ``artists`` artists and ``local_tracks`` local files.

        Each artist has ``albums`` (a range) albums of ``album_tracks`` (a range) tracks; a
        share ``featuring`` of the tracks credit a second artist.
        """
        names = [
            ARTIST_NAMES[i] if i < len(ARTIST_NAMES) else made_up_name(rng, rng.randint(1, 2))
            for i in range(artists)
        ]
        people = [artist_object(spotify_id(rng), name) for name in names]
        tracks_by_artist = []
        for person in people:
            tracks = []
            for _ in range(rng.randint(*albums)):
                album = _album(rng, person)
                for number in range(1, rng.randint(*album_tracks) + 1):
                    credits = [person]
                    if artists > 1 and rng.random() < featuring:
                        credits.append(rng.choice([p for p in people if p is not person]))
                    tracks.append(_track(rng, album, credits, number))
            tracks_by_artist.append(tracks)
        local = [_local_track(rng, rng.choice(names)) for _ in range(local_tracks)]
        return cls(people, tracks_by_artist, local)

    @property
    def tracks(self) -> list[Track]:
        """Every track: the artists' in order of popularity, then the local files."""
        return [track for tracks in self.tracks_by_artist for track in tracks] + self.local_tracks
