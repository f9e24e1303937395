"""The artists of the plays the other streams emit: what ``artist_genres`` looks up.

A live play (``recently_played``) names each credited artist with its Spotify id, and its
track's ISRC; a play of the data export (``streaming_history``) only names the album artist.
An artist is known by its Spotify URI, or, without an id (the export, local files), by its
name as the listening report compares names: trimmed of spaces, ASCII letters in lower case
(SQLite's ``lower(trim())``), so the report finds the genres of every play it keys by name.
"""

from __future__ import annotations

import typing as t
from abc import abstractmethod
from dataclasses import dataclass

from singer_sdk import Stream
from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context, Record

    from tap_spotify_recent.genres.stream import ArtistGenresStream

ARTIST_GENRES = "artist_genres"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalized_name(name: str) -> str:
    """``name`` as SQLite's ``lower(trim(name))`` gives it: the listening report's name key."""
    return name.strip(" ").translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Sighting:
    """An artist of an emitted play."""

    name: str
    spotify_id: str | None = None
    isrc: str | None = None  # of a track credited to the artist: the fallback to match it

    @property
    def identity(self) -> str:
        """What the lookups are remembered by: the Spotify URI, else ``name:<normalized>``."""
        if self.spotify_id:
            return f"spotify:artist:{self.spotify_id}"
        return f"name:{normalized_name(self.name)}"


def live_sightings(play: Record) -> Iterator[Sighting]:
    """The credited artists of a ``recently_played`` record (local files: by name)."""
    track = play.get("track") or {}
    isrc = (track.get("external_ids") or {}).get("isrc")
    for artist in track.get("artists") or []:
        name = (artist or {}).get("name")
        if not name or not name.strip(" "):
            continue
        spotify_id = artist.get("id")
        yield Sighting(name, spotify_id, isrc if spotify_id else None)


def exported_sightings(play: Record) -> Iterator[Sighting]:
    """The album artist of a ``streaming_history`` record, unless it is a podcast or book."""
    name = play.get("artist_name")
    if name and name.strip(" ") and play.get("kind") in {None, "track"}:
        yield Sighting(name)


class _NotesArtists(Stream):
    """Hands the artists of each record to ``artist_genres`` when that stream is on."""

    _genres: ArtistGenresStream | bool | None = False  # False: not looked for yet

    def _artist_genres(self) -> ArtistGenresStream | None:
        if self._genres is False:
            stream = self._tap.streams.get(ARTIST_GENRES)
            active = stream is not None and stream.selected
            self._genres = t.cast("ArtistGenresStream", stream) if active else None
        return t.cast("ArtistGenresStream | None", self._genres)

    @abstractmethod
    def sightings(self, record: Record) -> Iterator[Sighting]:
        """The artists of ``record``."""

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Note the record's artists, then emit it unchanged."""
        processed = super().post_process(row, context)
        genres = self._artist_genres()
        if processed is not None and genres is not None:
            genres.note(self.sightings(processed))
        return processed


class NotesLiveArtists(_NotesArtists):
    """For ``recently_played``: every credited artist, with the track's ISRC."""

    @override
    def sightings(self, record: Record) -> Iterator[Sighting]:
        """The play's credited artists."""
        return live_sightings(record)


class NotesExportedArtists(_NotesArtists):
    """For ``streaming_history``: the album artist of each music play."""

    # An export repeats a few thousand names over hundreds of thousands of plays: each name
    # is handed over once (noting every play took 10 µs, a tenth of the import's time).
    _names_noted: set[str | None] | None = None

    @override
    def sightings(self, record: Record) -> Iterator[Sighting]:
        """The play's album artist, unless it was handed over already."""
        if self._names_noted is None:
            self._names_noted = set()
        name = record.get("artist_name")
        if name in self._names_noted:
            return iter(())
        found = list(exported_sightings(record))
        if found:
            self._names_noted.add(name)
        return iter(found)
