"""The settings of the genre lookups, and the User-Agent MusicBrainz asks for."""

from __future__ import annotations

import re
import typing as t
from importlib.metadata import version
from urllib.parse import urlsplit

from singer_sdk import typing as th

CONTACT = "musicbrainz_contact"
_EMAIL = re.compile(r"^[^@\s()]+@[^@\s()]+\.[^@\s()]+$")
_BREAKS_UA = re.compile(r"[\s()]")

GENRE_SETTINGS = (
    th.Property(
        CONTACT,
        th.StringType,
        description=(
            "Your e-mail address or a URL where MusicBrainz can reach you. Setting it turns "
            "on the artist_genres stream: genres of the artists you play, looked up on "
            "MusicBrainz, which asks every client to identify itself with a contact "
            "(User-Agent `tap-spotify-recent/<version> ( <contact> )`). Unset: "
            "artist_genres emits nothing and MusicBrainz is never asked."
        ),
    ),
    th.Property(
        "musicbrainz_url",
        th.StringType,
        default="https://musicbrainz.org/ws/2",
        description="Base URL of the MusicBrainz web service (a mirror of your own, or tests).",
    ),
    th.Property(
        "musicbrainz_request_interval_seconds",
        th.NumberType(minimum=0),
        default=1,
        description=(
            "Seconds between two MusicBrainz requests. MusicBrainz allows one request per "
            "second; lower it only for a mirror of your own."
        ),
    ),
    th.Property(
        "genres_requests_per_run",
        th.IntegerType(minimum=0),
        default=2,
        description=(
            "MusicBrainz requests per run at most, so a first lookup of thousands of "
            "artists spreads over runs and each run stays short (2: about 1 s per run). "
            "Raise it for a one-off run, e.g. 3600 for an hour, after importing an export."
        ),
    ),
    th.Property(
        "genres_refresh_days",
        th.IntegerType(minimum=1),
        default=180,
        description=(
            "An artist played again this many days after its last lookup is looked up "
            "again (new genres, or a match MusicBrainz lacked before)."
        ),
    ),
)


def genre_setting_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Messages naming each genre setting whose value cannot be used."""
    errors = []
    contact = config.get(CONTACT)
    if contact and not _is_contact(str(contact)):
        errors.append(
            f"{CONTACT}: {contact!r} is neither an e-mail address nor an http(s):// URL; "
            "MusicBrainz asks for a way to reach you"
        )
    url = config.get("musicbrainz_url")
    if isinstance(url, str):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            errors.append(f"musicbrainz_url: {url!r} is not an http(s):// URL")
    return errors


def _is_contact(value: str) -> bool:
    if _EMAIL.match(value):
        return True
    parts = urlsplit(value)
    # Parentheses or spaces would break the User-Agent's "( contact )" part.
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and not _BREAKS_UA.search(value)


def user_agent(contact: str) -> str:
    """``tap-spotify-recent/<version> ( <contact> )``, MusicBrainz's recommended form."""
    return f"tap-spotify-recent/{version('tap-spotify-recent')} ( {contact} )"
