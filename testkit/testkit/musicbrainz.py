"""A local HTTP server that follows MusicBrainz's documented web service contract.

Built from MusicBrainz's API documentation (https://musicbrainz.org/doc/MusicBrainz_API and its
Rate_Limiting page) and from its server's source (metabrainz/musicbrainz-server:
``lib/MusicBrainz/Server/Controller/WS/2/*.pm``, the JSON serializers and the tests under
``t/lib/t/MusicBrainz/Server/Controller/WS/2/JSON/``), not from what any client expects.
It serves ``/ws/2`` on a free loopback port:

- ``GET /ws/2/url?resource=<url>[&resource=<url>...]&inc=artist-rels``: one ``resource`` answers
  the URL object or 404; repeated, it answers ``{"url-count", "url-offset", "urls"}`` for the
  URLs it knows (unknown ones are left out, no 404), ordered by URL, and reads only the first
  100 (``$MAX_RESOURCE_PARAMS``). ``relations`` list the linked artists (``direction``
  backward, ``type`` "free streaming" for Spotify links, the artist without genres or tags).
- ``GET /ws/2/artist/<mbid>?inc=genres+tags``: the artist with ``genres`` (``id``, ``name``,
  ``count``, ``disambiguation``) and ``tags`` (``name``, ``count``), each sorted by name,
  votes of 0 or less left out; 400 ``Invalid mbid.``, 404 ``Not Found``.
- ``GET /ws/2/isrc/<isrc>?inc=artists``: ``{"isrc", "recordings"}``, each recording with its
  ``artist-credit`` (``name``, ``joinphrase``, ``artist``); 400 ``Invalid isrc.`` unless the
  code matches ``[A-Z]{2}[A-Z0-9]{3}[0-9]{7}``, 404 when no recording has it. ``inc=genres``
  is refused (400): ISRC lookups take no genres.
- ``GET /ws/2/artist?query=<lucene>&limit=&offset=``: search results ``{"created", "count",
  "offset", "artists"}`` with an integer ``score`` (0-100), ``aliases`` and ``tags``. The
  query understands ``artist:"..."``, ``alias:"..."`` and bare phrases joined by ``OR``;
  diacritics and case are ignored, as the documented search fields say.
- Unknown ``inc`` values are a 400 (``<inc> is not a valid inc parameter for the <resource>
  resource.``). JSON needs ``fmt=json`` (or ``Accept: application/json``); otherwise the
  answer is XML, MusicBrainz's default.

Rules, as the Rate_Limiting page states them: a request without a User-Agent, or with the
default one of a generic HTTP library, is refused (403); requests from one IP address closer
than ``interval`` seconds (1 by default: "one call per second") are declined with 503 and
``Retry-After``, and declined requests count too (the rate must drop to be let through again).
Errors are JSON ``{"error": ..., "help": ...}`` as the server's JSONSerializer writes them.

Python API::

    with MusicBrainzServer() as mb:          # or the ``musicbrainz_server`` fixture
        sigur = mb.add_artist("Sigur Rós", genres={"post-rock": 7}, spotify_ids=["6UUrUCI..."])
        mb.add_recording("Hoppípolla", isrcs=["GBAHS0500123"], artists=[sigur])
        mb.fail_next("unavailable")          # see FAULTS
        mb.ws_url                            # the musicbrainz_url setting
        mb.requests                          # the request log, for assertions
"""

from __future__ import annotations

import math
import re
import threading
import time
import typing as t
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

from testkit.loopback import DROP, LoopbackServer, QuietHandler, Reply

WS = "/ws/2"
MAX_RESOURCE_PARAMS = 100
HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
RATE_LIMITED = (
    "Your requests are exceeding the allowable rate limit. Please see "
    "https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting for more information."
)
#: User-Agents of generic HTTP libraries, which MusicBrainz blocks ("provide meaningful
#: User-Agent strings"; the old Rate_Limiting page: requests without one get a 403).
GENERIC_USER_AGENT = re.compile(
    r"^(python-requests|python-urllib|python-httpx|aiohttp|curl|wget|go-http-client|java|"
    r"okhttp|axios|node-fetch|libwww-perl|singer-sdk)/",
    re.IGNORECASE,
)
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FREE_STREAMING = ("free streaming", "769085a1-c2f7-4c24-a532-2375a77693bd")
ARTIST_TYPES = {
    "Person": "b6e035f4-3ce9-331c-97df-83397230b0df",
    "Group": "e431f5f6-b5d2-343d-8b36-72607fffb74b",
}
#: ``inc`` values each lookup accepts (from the controllers' ``$ws_defs``), for the 400s.
ALLOWED_INC = {
    "url": {"artist-rels", "release-rels", "recording-rels", "label-rels", "url-rels"},
    "artist": {"aliases", "annotation", "tags", "user-tags", "genres", "user-genres", "ratings"},
    "isrc": {"artists", "releases", "isrcs", "artist-credits", "aliases", "tags", "ratings"},
}
#: Failure kinds for :meth:`MusicBrainzServer.fail_next`.
FAULTS = frozenset(
    {
        "unavailable",  # 503 with Retry-After, as when over the rate
        "server_error",  # 500
        "forbidden",  # 403, as for a blocked User-Agent or address
        "bad_request",  # 400, as for a query the server cannot parse
        "connection_drop",  # the socket closes without an answer
    }
)


def _uuid(kind: str, value: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"musicbrainz-contract:{kind}:{value}"))


def _fold(text: str) -> str:
    """Case and diacritics ignored, as the search fields do."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", _fold(text))


@dataclass
class Artist:
    """A MusicBrainz artist of the contract's catalogue."""

    mbid: str
    name: str
    sort_name: str
    type: str | None
    disambiguation: str
    aliases: list[str]
    genres: dict[str, int]
    tags: dict[str, int]
    spotify_ids: list[str]

    def ref(self) -> dict[str, t.Any]:
        """The artist as relationships and artist credits show it (no genres, no tags)."""
        return {
            "id": self.mbid,
            "name": self.name,
            "sort-name": self.sort_name,
            "disambiguation": self.disambiguation,
            "type": self.type,
            "type-id": ARTIST_TYPES.get(self.type or ""),
        }


@dataclass
class Recording:
    mbid: str
    title: str
    length: int | None
    isrcs: list[str]
    credits: list[tuple[Artist, str, str]]  # (artist, credited name, join phrase)


@dataclass
class LoggedRequest:
    """One request the server received, for assertions."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    client: str
    at: float = field(default_factory=time.monotonic)  # when it arrived
    status: int | None = None  # None: the connection was dropped

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": message, "help": HELP})


class MusicBrainzServer(LoopbackServer):
    """A MusicBrainz web service stand-in on a loopback port (bound at construction)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, interval: float = 1.0) -> None:
        self.interval = interval
        self.requests: list[LoggedRequest] = []
        self._lock = threading.RLock()
        self._artists: dict[str, Artist] = {}
        self._recordings: list[Recording] = []
        self._last_arrival: dict[str, float] = {}
        self._faults: list[list[t.Any]] = []  # [kind, times left, retry_after]
        super().__init__(_Handler, host, port)

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        """The base URL a client is configured with (``https://musicbrainz.org/ws/2``)."""
        return self.url + WS

    # -- catalogue --------------------------------------------------------------------------

    def add_artist(
        self,
        name: str,
        *,
        genres: dict[str, int] | None = None,
        tags: dict[str, int] | None = None,
        spotify_ids: t.Sequence[str] = (),
        aliases: t.Sequence[str] = (),
        sort_name: str | None = None,
        type: str | None = "Group",
        disambiguation: str = "",
    ) -> Artist:
        """Add an artist; each Spotify id becomes a linked ``https://open.spotify.com/artist/<id>``."""
        with self._lock:
            mbid = _uuid("artist", f"{name}#{len(self._artists)}")
            artist = Artist(
                mbid=mbid,
                name=name,
                sort_name=sort_name or name,
                type=type,
                disambiguation=disambiguation,
                aliases=list(aliases),
                genres=dict(genres or {}),
                tags=dict(tags or genres or {}),
                spotify_ids=list(spotify_ids),
            )
            self._artists[mbid] = artist
            return artist

    def add_recording(
        self,
        title: str,
        *,
        isrcs: t.Sequence[str],
        artists: t.Sequence[Artist],
        credited_as: t.Sequence[str] | None = None,
        length: int | None = 240_000,
    ) -> Recording:
        """Add a recording with ISRCs and its artist credit (``credited_as`` names, if any)."""
        names = list(credited_as) if credited_as else [artist.name for artist in artists]
        joins = [" & "] * (len(artists) - 1) + [""]
        with self._lock:
            recording = Recording(
                mbid=_uuid("recording", f"{title}#{len(self._recordings)}"),
                title=title,
                length=length,
                isrcs=list(isrcs),
                credits=list(zip(artists, names, joins, strict=True)),
            )
            self._recordings.append(recording)
            return recording

    def fail_next(self, kind: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` requests with ``kind`` (see FAULTS)."""
        if kind not in FAULTS:
            msg = f"unknown fault {kind!r}; choose from {sorted(FAULTS)}"
            raise ValueError(msg)
        with self._lock:
            self._faults.append([kind, times, retry_after])

    @staticmethod
    def genre_id(name: str) -> str:
        """The MBID of the genre ``name``."""
        return _uuid("genre", name)

    def wait_for_interval(self) -> None:
        """Block until a new request keeps the interval since the last one.

        As runs minutes apart do; the server logs arrivals on the same monotonic clock.
        """
        with self._lock:
            last = max(self._last_arrival.values(), default=None)
        while last is not None and (left := last + self.interval - time.monotonic()) > 0:
            time.sleep(left)

    # -- request log helpers ----------------------------------------------------------------

    def paths(self) -> list[str]:
        """Path of each request, in order (``/ws/2/url``, ``/ws/2/artist/<mbid>``, ...)."""
        return [request.path for request in self.requests]

    def answered(self) -> list[LoggedRequest]:
        """The requests that got a 200."""
        return [request for request in self.requests if request.status == 200]

    # -- dispatch ---------------------------------------------------------------------------

    def _serve(self, request: LoggedRequest) -> Reply | object:
        user_agent = (request.user_agent or "").strip()
        if not user_agent or GENERIC_USER_AGENT.match(user_agent):
            return _error(
                403,
                "Requests need a meaningful User-Agent: Application name/<version> "
                "( contact-url or contact-email ).",
            )
        with self._lock:
            last = self._last_arrival.get(request.client)
            self._last_arrival[request.client] = request.at
            fault = self._take_fault()
        if last is not None and request.at - last < self.interval:
            reply = _error(503, RATE_LIMITED)
            reply.headers["Retry-After"] = str(math.ceil(self.interval))
            return reply
        if fault is not None:
            kind, retry_after = fault
            if kind == "connection_drop":
                return DROP
            if kind == "unavailable":
                reply = _error(503, RATE_LIMITED)
                reply.headers["Retry-After"] = str(retry_after)
                return reply
            if kind == "forbidden":
                return _error(403, "Your IP address has been blocked.")
            if kind == "bad_request":
                return _error(400, "Invalid request.")
            return _error(500, "Internal server error")
        return self._route(request)

    def _take_fault(self) -> tuple[str, int] | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        fault[1] -= 1
        if fault[1] <= 0:
            self._faults.pop(0)
        return fault[0], fault[2]

    def _route(self, request: LoggedRequest) -> Reply:
        if not request.path.startswith(WS + "/"):
            return Reply(404, "Not found")
        parts = request.path[len(WS) + 1 :].split("/")
        resource, argument = parts[0], "/".join(parts[1:])
        inc_values = request.query.get("inc", [])
        if len(inc_values) > 1:
            return _error(
                400,
                "Inc arguments must be combined with a space (+ or %20), but you provided "
                "multiple parameters",
            )
        inc = set(inc_values[0].split()) if inc_values else set()
        unknown = sorted(inc - ALLOWED_INC.get(resource, set()))
        if unknown:
            return _error(
                400, f"{unknown[0]} is not a valid inc parameter for the {resource} resource."
            )
        if resource == "url" and not argument and "resource" in request.query:
            reply = self._urls(request.query["resource"], inc)
        elif resource == "artist" and argument:
            reply = self._artist(argument, inc)
        elif resource == "artist" and "query" in request.query:
            reply = self._search(request.query)
        elif resource == "isrc" and argument:
            reply = self._isrc(argument)
        else:
            reply = _error(400, "Invalid request.")
        if reply.status == 200 and not _wants_json(request):
            return Reply(200, '<?xml version="1.0" encoding="UTF-8"?><metadata/>')
        return reply

    # -- GET /ws/2/url ----------------------------------------------------------------------

    def _url_object(self, resource: str, inc: set[str]) -> dict[str, t.Any] | None:
        match = re.fullmatch(r"https://open\.spotify\.com/artist/([A-Za-z0-9]+)", resource)
        if not match:
            return None
        with self._lock:
            linked = [a for a in self._artists.values() if match.group(1) in a.spotify_ids]
        if not linked:
            return None
        body: dict[str, t.Any] = {"id": _uuid("url", resource), "resource": resource}
        if "artist-rels" in inc:
            body["relations"] = [
                {
                    "artist": artist.ref(),
                    "attribute-ids": {},
                    "attribute-values": {},
                    "attributes": [],
                    "begin": None,
                    "direction": "backward",
                    "end": None,
                    "ended": False,
                    "source-credit": "",
                    "target-credit": "",
                    "target-type": "artist",
                    "type": FREE_STREAMING[0],
                    "type-id": FREE_STREAMING[1],
                }
                for artist in linked
            ]
        return body

    def _urls(self, resources: list[str], inc: set[str]) -> Reply:
        if len(resources) == 1:
            found = self._url_object(resources[0], inc)
            return Reply(200, found) if found else _error(404, "Not Found")
        urls = [self._url_object(resource, inc) for resource in resources[:MAX_RESOURCE_PARAMS]]
        known = sorted((url for url in urls if url), key=lambda url: url["resource"])
        return Reply(200, {"url-count": len(known), "url-offset": 0, "urls": known})

    # -- GET /ws/2/artist/<mbid> ------------------------------------------------------------

    def _artist(self, mbid: str, inc: set[str]) -> Reply:
        if not MBID.match(mbid):
            return _error(400, "Invalid mbid.")
        with self._lock:
            artist = self._artists.get(mbid)
        if artist is None:
            return _error(404, "Not Found")
        body: dict[str, t.Any] = {
            **artist.ref(),
            "country": None,
            "area": None,
            "begin-area": None,
            "end-area": None,
            "gender": None,
            "gender-id": None,
            "life-span": {"begin": None, "end": None, "ended": False},
            "isnis": [],
            "ipis": [],
        }
        if "genres" in inc:
            body["genres"] = [
                {"count": count, "disambiguation": "", "id": _uuid("genre", name), "name": name}
                for name, count in sorted(artist.genres.items())
                if count > 0
            ]
        if "tags" in inc:
            body["tags"] = [
                {"count": count, "name": name}
                for name, count in sorted(artist.tags.items())
                if count > 0
            ]
        return Reply(200, body)

    # -- GET /ws/2/isrc/<isrc> --------------------------------------------------------------

    def _isrc(self, isrc: str) -> Reply:
        if not ISRC.match(isrc):
            return _error(400, "Invalid isrc.")
        with self._lock:
            recordings = [r for r in self._recordings if isrc in r.isrcs]
        if not recordings:
            return _error(404, "Not Found")
        return Reply(
            200,
            {
                "isrc": isrc,
                "recordings": [
                    {
                        "id": recording.mbid,
                        "title": recording.title,
                        "length": recording.length,
                        "disambiguation": "",
                        "video": False,
                        "artist-credit": [
                            {"name": name, "joinphrase": join, "artist": artist.ref()}
                            for artist, name, join in recording.credits
                        ],
                    }
                    for recording in recordings
                ],
            },
        )

    # -- GET /ws/2/artist?query= ------------------------------------------------------------

    def _search(self, query: dict[str, list[str]]) -> Reply:
        try:
            limit = int(query.get("limit", ["25"])[0])
            offset = int(query.get("offset", ["0"])[0])
        except ValueError:
            return _error(400, "Invalid limit or offset.")
        limit = min(max(limit, 1), 100)
        terms = _parse_query(query["query"][0])
        with self._lock:
            artists = list(self._artists.values())
        scored = [(score, artist) for artist in artists if (score := _score(artist, terms)) > 0]
        scored.sort(key=lambda item: (-item[0], item[1].name, item[1].mbid))
        page = scored[offset : offset + limit]
        return Reply(
            200,
            {
                "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "count": len(scored),
                "offset": offset,
                "artists": [
                    {
                        "id": artist.mbid,
                        "type": artist.type,
                        "type-id": ARTIST_TYPES.get(artist.type or ""),
                        "score": score,
                        "name": artist.name,
                        "sort-name": artist.sort_name,
                        **(
                            {"disambiguation": artist.disambiguation}
                            if artist.disambiguation
                            else {}
                        ),
                        "life-span": {"ended": None},
                        "aliases": [
                            {
                                "sort-name": alias,
                                "name": alias,
                                "locale": None,
                                "type": None,
                                "primary": None,
                                "begin-date": None,
                                "end-date": None,
                            }
                            for alias in artist.aliases
                        ],
                        "tags": [
                            {"count": count, "name": name}
                            for name, count in sorted(artist.tags.items())
                            if count > 0
                        ],
                    }
                    for score, artist in page
                ],
            },
        )


def _wants_json(request: LoggedRequest) -> bool:
    return request.query.get("fmt") == ["json"] or "application/json" in request.headers.get(
        "accept", ""
    )


def _parse_query(text: str) -> list[tuple[str, list[str]]]:
    """``field:"phrase"`` terms (or bare phrases/words) joined by OR: (field, tokens) pairs."""
    terms = []
    pattern = r'(?:(\w+):)?(?:"((?:[^"\\]|\\.)*)"|(\S+))'
    for part in re.split(r"\s+OR\s+", text.strip()):
        match = re.fullmatch(pattern, part.strip())
        if not match:
            continue
        phrase = match.group(2) if match.group(2) is not None else match.group(3)
        phrase = re.sub(r"\\(.)", r"\1", phrase)
        terms.append((match.group(1) or "artist", _tokens(phrase)))
    return terms


def _score(artist: Artist, terms: list[tuple[str, list[str]]]) -> int:
    """100 for a whole-name match, less for an alias or a part of the name, 0 for none."""
    best = 0
    for field_name, tokens in terms:
        if not tokens:
            continue
        names = {
            "artist": [artist.name],
            "alias": artist.aliases,
            "sortname": [artist.sort_name],
        }.get(field_name, [artist.name])
        for name in names:
            words = _tokens(name)
            contains = any(
                words[i : i + len(tokens)] == tokens for i in range(len(words) - len(tokens) + 1)
            )
            if not contains:
                continue
            whole = 100 if field_name == "artist" else 95
            best = max(best, whole if words == tokens else int(90 * len(tokens) / len(words)))
    return best


class _Handler(QuietHandler):
    server_version = "MusicBrainzContract/1.0"

    def _serve(self) -> None:
        if self.command not in {"GET", "HEAD"}:  # the lookups and searches are all it serves
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return
        contract: MusicBrainzServer = self.server.contract  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        request = LoggedRequest(
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={key.lower(): value for key, value in self.headers.items()},
            client=self.client_address[0],
        )
        with contract._lock:
            contract.requests.append(request)
        reply = contract._serve(request)
        if reply is DROP:
            self.close_connection = True
            return
        assert isinstance(reply, Reply)
        request.status = reply.status
        xml = isinstance(reply.body, str) and reply.body.startswith("<?xml")
        self.send(
            reply,
            json_type="application/json; charset=utf-8",
            text_type=f"{'application/xml' if xml else 'text/plain'}; charset=utf-8",
        )
