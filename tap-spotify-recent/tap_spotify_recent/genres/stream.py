"""The ``artist_genres`` stream: MusicBrainz lookups within a per-run request budget.

It syncs after the other streams (see ``TapSpotifyRecent.load_streams``), queues the artists
of the plays they emitted (``sightings``, ``book``) and spends at most
``genres_requests_per_run`` requests, one every ``musicbrainz_request_interval_seconds``, on
the oldest work first (``book.STEPS``): read the genres of matched artists, match up to 100
Spotify artists in one URL lookup, then ISRC lookups and name searches. An artist's record is
emitted once its lookup is complete, with or without a match.

MusicBrainz is optional enrichment: when it does not answer (503s, 5xx, no connection, after
the retries), the run logs a warning and ends normally, the queue kept for the next run. What
needs the user to act fails the run: a 403 (User-Agent refused, address blocked), or answers
that are not MusicBrainz's (a wrong ``musicbrainz_url``, which must not record every artist as
unmatched).
"""

from __future__ import annotations

import logging
import time
import typing as t
from datetime import datetime, timezone
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlparse

import requests
from singer_sdk import Stream
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_spotify_recent.client import REQUEST_TIMEOUT_SECONDS, _retry_after
from tap_spotify_recent.errors import TapError
from tap_spotify_recent.genres import matching
from tap_spotify_recent.genres.book import GENRES, ISRC, LINK, STEPS, LookupBook
from tap_spotify_recent.genres.schema import ARTIST_GENRE
from tap_spotify_recent.genres.settings import CONTACT, user_agent
from tap_spotify_recent.genres.sightings import ARTIST_GENRES
from tap_spotify_recent.instants import utc_now_text

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Iterator
    from datetime import date

    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, Record

    from tap_spotify_recent.genres.book import PendingArtist
    from tap_spotify_recent.genres.sightings import Sighting

URL_BATCH = 100
"""Spotify URLs per URL lookup: the server reads at most 100 ``resource`` values."""
SEARCH_LIMIT = 10
TRIES = 3
"""Tries per request: a 503 means "over the rate" or "busy", and the next run comes soon."""
LONGEST_WAIT_SECONDS = 10
"""A longer ``Retry-After`` ends this run's lookups instead of holding up the sync."""


class MusicBrainzUnavailableError(Exception):
    """MusicBrainz asks to wait longer than this run should: try again next run."""


class LookupRefusedError(Exception):
    """MusicBrainz refused one lookup (400): that artist gets no match, the others go on."""


class ArtistGenresStream(RESTStream):
    """One record per artist played: its MusicBrainz genres and tags, and how it matched."""

    name = ARTIST_GENRES
    path = ""
    primary_keys: t.ClassVar[list[str]] = ["artist_key"]
    schema = ARTIST_GENRE

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap)
        self._sightings: dict[str, Sighting] = {}
        self._requests = 0
        self._next_request_at = 0.0

    # mypy reports a settable property's override even with @override (mypy#15900).
    @property  # type: ignore[explicit-override]
    @override
    def selected(self) -> bool:
        """Selected in the catalog, and given a ``musicbrainz_contact``.

        Without the contact the stream writes nothing, not even its SCHEMA, and MusicBrainz
        is never asked.
        """
        return bool(self.config.get(CONTACT)) and super().selected

    @selected.setter
    def selected(self, value: bool | None) -> None:
        Stream.selected.fset(self, value)  # type: ignore[attr-defined]

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        """Never: each run emits a few artists, and a new table version would delete the rest."""
        return False

    @property
    @override
    def url_base(self) -> str:
        """The ``musicbrainz_url`` setting."""
        return self.config["musicbrainz_url"].rstrip("/")

    @property
    @override
    def timeout(self) -> int:
        """Seconds to wait for an answer."""
        return REQUEST_TIMEOUT_SECONDS

    @cached_property
    @override
    def user_agent(self) -> str:
        """``tap-spotify-recent/<version> ( <musicbrainz_contact> )``."""
        return user_agent(self.config[CONTACT])

    def note(self, sightings: Iterable[Sighting]) -> None:
        """Remember artists of emitted plays, once each (keeping an ISRC if one comes)."""
        for sighting in sightings:
            known = self._sightings.get(sighting.identity)
            if known is None or (sighting.isrc and not known.isrc):
                self._sightings[sighting.identity] = sighting

    # The run: queue, look up within the budget, keep the rest for later.

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        """Queue this run's artists, then emit the records of the lookups the budget allows."""
        state = self.get_context_state(context)
        book = LookupBook.from_state(state, refresh_days=int(self.config["genres_refresh_days"]))
        today = datetime.now(timezone.utc).date()
        queued = book.note(self._sightings.values(), today)
        self._sightings.clear()
        budget = int(self.config["genres_requests_per_run"])
        emitted = matched = 0
        try:
            while self._requests < budget:
                step = next((step for step in STEPS if book.waiting(step)), None)
                if step is None:
                    break
                for record in self._perform(step, book, today):
                    emitted += 1
                    matched += record["matched_by"] is not None
                    yield record
        except (MusicBrainzUnavailableError, RetriableAPIError, requests.RequestException) as exc:
            reason = _reason(exc)
            self.logger.warning(
                "MusicBrainz did not answer (%s). Nothing is lost: artists waiting for a "
                "lookup: %d, looked up in the next runs. Check musicbrainz_url if this persists.",
                reason,
                len(book.pending),
            )
        book.write(state)
        self.logger.info(
            "Genres: %d artists queued this run, %d records emitted (%d matched) with %d "
            "MusicBrainz requests; %d artists wait for later runs.",
            queued,
            emitted,
            matched,
            self._requests,
            len(book.pending),
        )

    def _perform(self, step: str, book: LookupBook, today: date) -> Iterator[Record]:
        """Spend one request on ``step``; yield the records of the artists it completes."""
        if step == LINK:
            yield from self._match_links(book.waiting(LINK, URL_BATCH), book, today)
            return
        artist = book.waiting(step)[0]
        record: Record | None
        try:
            if step == GENRES:
                record = self._genres(artist)
            elif step == ISRC:
                record = self._match_isrc(artist, book)
            else:
                record = self._match_name(artist, book)
        except LookupRefusedError as refused:
            self.logger.warning(
                "MusicBrainz refused the lookup of %r (%s): recorded without a match.",
                artist.sighting.name,
                refused,
            )
            record = _record(artist, unmatched=matching.REFUSED)
        if record is not None:
            book.finish(artist, today)
            yield record

    def _match_links(
        self, artists: list[PendingArtist], book: LookupBook, today: date
    ) -> Iterator[Record]:
        """One URL lookup for up to 100 Spotify artists; the unlinked go on to their ISRC."""
        urls = [matching.SPOTIFY_ARTIST_URL.format(a.sighting.spotify_id) for a in artists]
        no_link = matching.NO_LINK
        try:
            links = matching.linked_artists(
                self._get("/url", {"resource": urls, "inc": "artist-rels"})
            )
        except LookupRefusedError as refused:
            self.logger.warning("MusicBrainz refused a URL lookup (%s).", refused)
            links, no_link = {}, matching.REFUSED
        for artist in artists:
            candidates = links.get(t.cast("str", artist.sighting.spotify_id), [])
            chosen = matching.choose(candidates, artist.sighting.name, linked=True)
            if chosen is not None:
                book.advance(artist, GENRES, mbid=chosen.mbid, via=matching.VIA_SPOTIFY_URL)
            elif matching.canonical_isrc(artist.sighting.isrc):
                book.advance(artist, ISRC)
            else:
                book.finish(artist, today)
                yield _record(artist, unmatched=no_link)

    def _match_isrc(self, artist: PendingArtist, book: LookupBook) -> Record | None:
        """The artist of that name credited on the track's ISRC, or a record without match."""
        isrc = matching.canonical_isrc(artist.sighting.isrc)
        body = self._get(f"/isrc/{isrc}", {"inc": "artists"})
        if body is None:
            return _record(artist, unmatched=matching.ISRC_UNKNOWN)
        chosen = matching.choose(matching.credited_artists(body), artist.sighting.name)
        if chosen is None:
            return _record(artist, unmatched=matching.NOT_CREDITED)
        book.advance(artist, GENRES, mbid=chosen.mbid, via=matching.VIA_ISRC)
        return None

    def _match_name(self, artist: PendingArtist, book: LookupBook) -> Record | None:
        """The only artist of that name, or a record saying there is none or several."""
        body = self._get(
            "/artist",
            {"query": matching.search_query(artist.sighting.name), "limit": str(SEARCH_LIMIT)},
        )
        candidates = matching.searched_artists(body)
        chosen = matching.choose(candidates, artist.sighting.name)
        if chosen is None:
            several = len(matching.named(candidates, artist.sighting.name)) > 1
            reason = matching.NAME_AMBIGUOUS if several else matching.NAME_NOT_FOUND
            return _record(artist, unmatched=reason)
        book.advance(artist, GENRES, mbid=chosen.mbid, via=matching.VIA_NAME)
        return None

    def _genres(self, artist: PendingArtist) -> Record:
        """The matched artist's genres and tags."""
        body = self._get(f"/artist/{artist.mbid}", {"inc": "genres tags"})
        if body is None:  # merged away or deleted since it was matched
            return _record(artist, unmatched=matching.ARTIST_GONE)
        return _record(
            artist,
            musicbrainz_name=body.get("name"),
            genres=matching.genres_of(body),
            tags=matching.tags_of(body),
        )

    # HTTP: the SDK's request and retry machinery, spaced and read the MusicBrainz way.

    def _get(self, path: str, params: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """GET ``{musicbrainz_url}{path}`` as JSON; None for a 404."""
        self._requests += 1
        prepared = self.build_prepared_request(
            method="GET",
            url=self.url_base + path,
            params={**params, "fmt": "json"},
            headers={"Accept": "application/json"},
        )
        response = self.request_decorator(self._request)(prepared, None)
        if response.status_code == HTTPStatus.NOT_FOUND:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            msg = (
                f"MusicBrainz answered {response.status_code} for {urlparse(response.url).path} "
                "with something else than its JSON. Check musicbrainz_url."
            )
            raise TapError(msg)
        return body

    @override
    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Send once the interval since the last answer has passed (retries included)."""
        wait = self._next_request_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            return super()._request(prepared_request, context)
        finally:
            # Counted from the answer, so the server sees the requests at least this far apart.
            interval = float(self.config["musicbrainz_request_interval_seconds"])
            self._next_request_at = time.monotonic() + interval

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Retry 503 and 5xx; a 400 refuses one lookup; a 403 needs the user."""
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST or (
            status == HTTPStatus.NOT_FOUND and _json_error(response) is not None
        ):
            return
        if status == HTTPStatus.BAD_REQUEST:
            raise LookupRefusedError(_message(response))
        if status == HTTPStatus.FORBIDDEN:
            msg = (
                f"MusicBrainz refused the request (403: {_message(response)}). It refuses "
                "clients without a meaningful User-Agent and blocks addresses that send more "
                f"than one request per second: check {CONTACT} and keep "
                "musicbrainz_request_interval_seconds at 1 or more for musicbrainz.org."
            )
            raise TapError(msg)
        if status in {HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE} or (
            status >= HTTPStatus.INTERNAL_SERVER_ERROR
        ):
            wait = _retry_after(response, default=0)
            if wait > LONGEST_WAIT_SECONDS:
                msg = f"{self.response_error_message(response)}, asks to wait {wait:g} s"
                raise MusicBrainzUnavailableError(msg)
            raise RetriableAPIError(self.response_error_message(response), response)
        msg = (
            f"MusicBrainz answered {self.response_error_message(response)}. Check musicbrainz_url."
        )
        raise TapError(msg)

    @override
    def response_error_message(self, response: requests.Response) -> str:
        """Status, path and MusicBrainz's message (no query: it holds artist names)."""
        path = urlparse(response.url).path
        return f"{response.status_code} {response.reason} for {path} ({_message(response)})"

    @override
    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        """``Retry-After`` when MusicBrainz sends one, else twice the interval, doubling."""
        base = max(float(self.config["musicbrainz_request_interval_seconds"]), 1.0)
        failures = 0
        exception = yield 0  # primed by the backoff library; this first value is discarded
        while True:
            response = getattr(exception, "response", None)
            wait = _retry_after(response, default=-1) if response is not None else -1
            if wait < 0:
                wait = base * 2**failures
            failures += 1
            exception = yield wait

    @override
    def backoff_max_tries(self) -> int:
        """TRIES."""
        return TRIES

    @override
    def backoff_jitter(self, value: float) -> float:
        """No jitter: ``Retry-After`` is honoured as given."""
        return value

    @override
    def backoff_handler(self, details: Details) -> None:
        """One warning line per retry."""
        self.log(
            "MusicBrainz: retrying in %.1f s (try %d of %d: %s)",
            details.get("wait"),
            details.get("tries"),
            TRIES,
            _reason(details.get("exception")),
            level=logging.WARNING,
        )


def _reason(exception: BaseException | None) -> str:
    """An exception's message when it is the tap's own text, else its type (no URL, no query)."""
    if isinstance(exception, (RetriableAPIError, MusicBrainzUnavailableError)):
        return str(exception.args[0])
    return type(exception).__name__


def _json_error(response: requests.Response) -> str | None:
    """MusicBrainz's ``{"error": ...}`` text, if the body is that."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return str(error) if error else None


def _message(response: requests.Response) -> str:
    """MusicBrainz's error text, or the start of the body."""
    return _json_error(response) or response.text[:200].strip() or response.reason


def _record(
    artist: PendingArtist,
    *,
    musicbrainz_name: str | None = None,
    genres: list[dict[str, t.Any]] | None = None,
    tags: list[dict[str, t.Any]] | None = None,
    unmatched: str | None = None,
) -> Record:
    """The ``artist_genres`` record of ``artist`` (matched unless ``unmatched`` says why not)."""
    spotify_id = artist.sighting.spotify_id
    matched = unmatched is None
    return {
        "artist_key": f"spotify:artist:{spotify_id}" if spotify_id else artist.sighting.name,
        "spotify_artist_id": spotify_id,
        "artist_name": artist.sighting.name,
        "musicbrainz_id": artist.mbid if matched else None,
        "musicbrainz_name": musicbrainz_name if matched else None,
        "matched_by": artist.via if matched else None,
        "unmatched_reason": unmatched,
        "genres": genres or [],
        "tags": tags or [],
        "looked_up_at": utc_now_text(),
    }
