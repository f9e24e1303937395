"""MusicBrainz's answers, read, and the rules that make a match.

The JSON shapes are those of MusicBrainz's web service (``/ws/2``, ``fmt=json``): a URL lookup
with ``inc=artist-rels`` (one ``resource``: the URL object; several: ``{"urls": [...]}``), an
ISRC lookup with ``inc=artists`` (recordings with their ``artist-credit``), an artist search
(``{"artists": [...]}`` with ``aliases``) and an artist lookup with ``inc=genres+tags``.

A match must be confident, since a wrong genre is worse than none:

- **Spotify link**: the MusicBrainz artists whose URL relationship points at
  ``https://open.spotify.com/artist/<id>``: the only one, or, if several, the only one of the
  same name. Editors add these links, so they are the strongest evidence.
- **ISRC** (no link): among the artists credited on the recordings with the track's ISRC, the
  only one of the same name as the Spotify artist.
- **Name** (artists known by name only): among the search results, the only artist whose name
  or an alias is the same name. Two artists called "Nirvana" are no match.

"The same name" ignores case and repeated spaces (Unicode case folding, NFC), not accents.
"""

from __future__ import annotations

import re
import typing as t
import unicodedata
from dataclasses import dataclass

SPOTIFY_ARTIST_URL = "https://open.spotify.com/artist/{}"
_SPOTIFY_ARTIST = re.compile(r"^https://open\.spotify\.com/artist/([A-Za-z0-9]+)$")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")

VIA_SPOTIFY_URL = "spotify_url"
VIA_ISRC = "isrc"
VIA_NAME = "name_search"

# Why an artist has no match (the record's `unmatched_reason`).
NO_LINK = "no_link"
ISRC_UNKNOWN = "isrc_unknown"
NOT_CREDITED = "not_credited_on_isrc"
NAME_NOT_FOUND = "name_not_found"
NAME_AMBIGUOUS = "name_ambiguous"
ARTIST_GONE = "artist_gone"
REFUSED = "refused"


def same_name(name: str) -> str:
    """The form in which names are compared: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def canonical_isrc(isrc: str | None) -> str | None:
    """The ISRC as MusicBrainz accepts it (``GBAHS0500123``), or None if it is not one."""
    if not isrc:
        return None
    code = isrc.replace("-", "").strip().upper()
    return code if _ISRC.match(code) else None


@dataclass(frozen=True)
class Candidate:
    """A MusicBrainz artist that may be the one: its MBID, name and the names it goes by."""

    mbid: str
    name: str
    names: frozenset[str]  # in `same_name` form: its name, aliases, credited names


def _candidate(artist: t.Mapping[str, t.Any], *other_names: str | None) -> Candidate | None:
    mbid, name = artist.get("id"), artist.get("name")
    if not isinstance(mbid, str) or not isinstance(name, str):
        return None
    names = frozenset(same_name(n) for n in (name, *other_names) if isinstance(n, str))
    return Candidate(mbid, name, names)


def linked_artists(body: t.Mapping[str, t.Any] | None) -> dict[str, list[Candidate]]:
    """Spotify artist id -> the artists linked to its URL, from a URL lookup (either shape)."""
    if body is None:
        return {}
    urls = body.get("urls") if "urls" in body else [body]
    found: dict[str, list[Candidate]] = {}
    for url in urls or []:
        match = _SPOTIFY_ARTIST.match(str(url.get("resource", "")))
        if not match:
            continue
        for relation in url.get("relations") or []:
            if relation.get("target-type") == "artist" and isinstance(relation.get("artist"), dict):
                candidate = _candidate(relation["artist"])
                if candidate is not None:
                    found.setdefault(match.group(1), []).append(candidate)
    return found


def credited_artists(body: t.Mapping[str, t.Any] | None) -> list[Candidate]:
    """The artists credited on the recordings of an ISRC lookup, with their credited names."""
    found = []
    for recording in (body or {}).get("recordings") or []:
        for credit in recording.get("artist-credit") or []:
            if isinstance(credit, dict) and isinstance(credit.get("artist"), dict):
                candidate = _candidate(credit["artist"], credit.get("name"))
                if candidate is not None:
                    found.append(candidate)
    return found


def searched_artists(body: t.Mapping[str, t.Any] | None) -> list[Candidate]:
    """The artists of a search, with their aliases."""
    found = []
    for artist in (body or {}).get("artists") or []:
        aliases = [
            alias.get("name") for alias in artist.get("aliases") or [] if isinstance(alias, dict)
        ]
        candidate = _candidate(artist, *aliases)
        if candidate is not None:
            found.append(candidate)
    return found


def named(candidates: list[Candidate], name: str) -> list[Candidate]:
    """The distinct candidates that go by the same name as ``name``."""
    wanted = same_name(name)
    distinct = {candidate.mbid: candidate for candidate in candidates}
    return [candidate for candidate in distinct.values() if wanted in candidate.names]


def choose(candidates: list[Candidate], name: str, *, linked: bool = False) -> Candidate | None:
    """The one candidate of the same name as ``name`` (or the only one, if ``linked``)."""
    if linked and len({candidate.mbid for candidate in candidates}) == 1:
        return candidates[0]
    same = named(candidates, name)
    return same[0] if len(same) == 1 else None


def genres_of(body: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """An artist lookup's genres, most votes first: ``{"name", "count", "id"}``."""
    genres = [
        {"name": genre["name"], "count": int(genre.get("count") or 0), "id": genre.get("id")}
        for genre in body.get("genres") or []
        if isinstance(genre, dict) and isinstance(genre.get("name"), str)
    ]
    return sorted(genres, key=lambda genre: (-genre["count"], genre["name"]))


def tags_of(body: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """An artist lookup's free-form tags, most votes first: ``{"name", "count"}``."""
    tags = [
        {"name": tag["name"], "count": int(tag.get("count") or 0)}
        for tag in body.get("tags") or []
        if isinstance(tag, dict) and isinstance(tag.get("name"), str)
    ]
    return sorted(tags, key=lambda tag: (-tag["count"], tag["name"]))


def search_query(name: str) -> str:
    """A Lucene query for an artist name or alias, as a phrase (quotes, backslashes escaped)."""
    phrase = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'artist:"{phrase}" OR alias:"{phrase}"'
