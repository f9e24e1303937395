"""Which artists wait for a lookup, and which were looked up when: the ``artist_genres`` state.

The tap must work with any target, so it cannot ask the database what it already knows: the
stream state is the memory. It is written on every run, so it is kept small::

    {"pending": {"search": ["Múm", "Nirvana"],
                 "link": [["6UUrUCIZtQeOf8tC0WuzRy", "Sigur Rós", "GBAHS0500123"]],
                 "isrc": [["<spotify id>", "<name>", "<isrc>"]],
                 "genres": [["<spotify id or null>", "<name>", "<mbid>", "isrc"]]},
     "looked_up": {"2026-11-29": "q4Fz0aB1Xk9pLmN2"}}

``pending`` holds each artist until its record is emitted, listed under the step it is at
(see STEPS), oldest first, as bare values: a name waiting for its search takes its length
and 3 or 4 bytes (5,000 export artists: about 110 KB, shrinking as they are looked up).
``looked_up`` holds, per UTC day, an 8-character digest (48 bits of SHA-256) of each artist
looked up that day, concatenated: about 8 bytes per artist instead of a 22-character id or a
name. A digest cannot be looked up again by itself, so an artist is refreshed when it is
*played again* ``genres_refresh_days`` after its lookup; an artist no longer played keeps the
record it has. Two of 10,000 artists share a digest with a chance of about 1 in 5 million.
"""

from __future__ import annotations

import base64
import hashlib
import typing as t
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tap_spotify_recent.errors import TapError
from tap_spotify_recent.genres.sightings import Sighting
from tap_spotify_recent.incremental import STATE_ADVICE

if t.TYPE_CHECKING:
    from collections.abc import Iterable, MutableMapping

LINK = "link"
"""An artist with a Spotify id: find the MusicBrainz artist linked to its Spotify URL."""
ISRC = "isrc"
"""No MusicBrainz artist links the Spotify URL: find it through the ISRC of its track."""
SEARCH = "search"
"""An artist known by name only (the export, local files): search MusicBrainz for the name."""
GENRES = "genres"
"""The MusicBrainz artist is known (``mbid``): read its genres and tags."""
STEPS = (GENRES, LINK, ISRC, SEARCH)
"""The order in which a run spends its requests: finish what is matched, then match more."""
DIGEST_CHARS = 8


def digest(identity: str) -> str:
    """8 URL-safe base64 characters of the SHA-256 of an artist's identity."""
    return base64.urlsafe_b64encode(hashlib.sha256(identity.encode()).digest()[:6]).decode()


@dataclass(frozen=True)
class PendingArtist:
    """An artist waiting for its record, at ``step``."""

    sighting: Sighting
    step: str
    mbid: str | None = None  # the MusicBrainz artist, once matched
    via: str | None = None  # how it was matched

    def to_state(self) -> str | list[str | None]:
        """The state entry: the name (SEARCH), [id, name, isrc] or [id, name, mbid, via]."""
        sighting = self.sighting
        if self.step == SEARCH:
            return sighting.name
        if self.step == GENRES:
            return [sighting.spotify_id, sighting.name, self.mbid, self.via]
        return [sighting.spotify_id, sighting.name, sighting.isrc]

    @classmethod
    def from_state(cls, step: str, entry: t.Any) -> PendingArtist:
        """Read a state entry of ``step``.

        Raises:
            TapError: it is not one this module writes.
        """
        size = {SEARCH: None, GENRES: 4}.get(step, 3)
        values = [entry] if size is None else entry
        if (
            not isinstance(values, list)
            or len(values) != (size or 1)
            or not all(isinstance(value, (str, type(None))) for value in values)
            or not values[0 if size is None else 1]
            or (step in {LINK, ISRC} and not values[0])
            or (step == GENRES and not values[2])
        ):
            _damaged(f"a pending artist of step {step!r} is {entry!r}")
        if size is None:
            return cls(Sighting(values[0]), step)
        if step == GENRES:
            return cls(Sighting(values[1], values[0]), step, values[2], values[3])
        return cls(Sighting(values[1], values[0], values[2]), step)


@dataclass
class LookupBook:
    """The pending artists (by identity, oldest first) and the day of each past lookup."""

    pending: dict[str, PendingArtist]
    looked_up: dict[str, date]  # digest -> UTC day of the last lookup
    refresh: timedelta

    @classmethod
    def from_state(cls, state: t.Mapping[str, t.Any], *, refresh_days: int) -> LookupBook:
        """Read the stream state (empty on a first run).

        Raises:
            TapError: the state is not shaped as this module writes it.
        """
        pending = state.get("pending", {})
        looked_up = state.get("looked_up", {})
        if not isinstance(pending, dict) or not all(
            step in STEPS and isinstance(entries, list) for step, entries in pending.items()
        ):
            _damaged(f"pending is {pending!r}, not lists of artists by step {STEPS}")
        if not isinstance(looked_up, dict):
            _damaged(f"looked_up is {looked_up!r}, not an object")
        book = cls({}, {}, timedelta(days=refresh_days))
        for step, entries in pending.items():
            for entry in entries:
                artist = PendingArtist.from_state(step, entry)
                book.pending[artist.sighting.identity] = artist
        for day, digests in looked_up.items():
            try:
                when = date.fromisoformat(day)
            except (TypeError, ValueError):
                _damaged(f"looked_up has the key {day!r}, not a date")
            if not isinstance(digests, str) or len(digests) % DIGEST_CHARS:
                _damaged(f"looked_up[{day!r}] is not a string of {DIGEST_CHARS}-character digests")
            for start in range(0, len(digests), DIGEST_CHARS):
                book.looked_up[digests[start : start + DIGEST_CHARS]] = when
        return book

    def write(self, state: MutableMapping[str, t.Any]) -> None:
        """Put the book into the stream state."""
        by_day: dict[date, list[str]] = {}
        for key, day in self.looked_up.items():
            by_day.setdefault(day, []).append(key)
        pending: dict[str, list[t.Any]] = {}
        for artist in self.pending.values():
            pending.setdefault(artist.step, []).append(artist.to_state())
        state["pending"] = pending
        state["looked_up"] = {
            day.isoformat(): "".join(sorted(keys)) for day, keys in sorted(by_day.items())
        }

    def note(self, sightings: Iterable[Sighting], today: date) -> int:
        """Queue each artist not looked up within the refresh interval; return how many.

        An artist already waiting keeps its place and gains an ISRC it lacked.
        """
        added = 0
        for sighting in sightings:
            identity = sighting.identity
            waiting = self.pending.get(identity)
            if waiting is not None:
                if sighting.isrc and not waiting.sighting.isrc:
                    self.pending[identity] = replace(
                        waiting, sighting=replace(waiting.sighting, isrc=sighting.isrc)
                    )
                continue
            last = self.looked_up.get(digest(identity))
            if last is not None and today - last < self.refresh:
                continue
            self.pending[identity] = PendingArtist(
                sighting, LINK if sighting.spotify_id else SEARCH
            )
            added += 1
        return added

    def waiting(self, step: str, limit: int = 1) -> list[PendingArtist]:
        """The first ``limit`` artists waiting at ``step``."""
        found = []
        for artist in self.pending.values():
            if artist.step == step:
                found.append(artist)
                if len(found) == limit:
                    break
        return found

    def advance(
        self, artist: PendingArtist, step: str, *, mbid: str | None = None, via: str | None = None
    ) -> None:
        """Move ``artist`` on to ``step`` (keeping its place in the queue)."""
        self.pending[artist.sighting.identity] = replace(artist, step=step, mbid=mbid, via=via)

    def finish(self, artist: PendingArtist, today: date) -> None:
        """``artist`` has its record: it leaves the queue until the refresh interval passes."""
        identity = artist.sighting.identity
        del self.pending[identity]
        self.looked_up[digest(identity)] = today


def _damaged(problem: str) -> t.NoReturn:
    msg = f"The state of stream artist_genres is damaged: {problem}. {STATE_ADVICE}"
    raise TapError(msg)
