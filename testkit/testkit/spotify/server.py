"""A local HTTP server that follows Spotify's documented Web API and Accounts contract.

Written from Spotify's public documentation, not from what any tap expects:
https://developer.spotify.com/documentation/web-api/reference/get-recently-played,
https://developer.spotify.com/documentation/web-api/tutorials/code-flow,
https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens,
https://developer.spotify.com/documentation/web-api/concepts/redirect_uri,
https://developer.spotify.com/documentation/web-api/concepts/rate-limits and the February
2026 changes (https://developer.spotify.com/documentation/web-api/references/changes/february-2026).
It serves, on a free loopback port:

- ``POST /api/token``: the refresh-token and authorization-code grants, client credentials in an
  HTTP Basic header or in the body, JSON errors ``invalid_client``/``invalid_grant``/
  ``unsupported_grant_type``, access tokens that expire, optional refresh-token rotation (the
  old token is invalid at once, the lifetime is not extended).
- ``GET /authorize``: checks client id, ``response_type=code`` and the redirect URI rules
  (loopback IP literal with any port, never ``localhost``), then acts like a user clicking
  "Agree" (or "Cancel") and redirects to ``redirect_uri`` with ``code`` and ``state``.
- ``GET /v1/me/player/recently-played``: Bearer check, ``limit`` (default 20, 1..50, else 400),
  ``after``/``before`` Unix-ms cursors (not both), only the 50 most recent plays, newest first,
  ``next`` built with ``before``, ``cursors`` null on an empty page, full TrackObjects as a
  Development Mode app gets them since Feb 2026 (no popularity/available_markets/linked_from),
  local files (null ``id``, ``spotify:local:`` URI), unicode names, nullable ``context``.

Plays are drawn from a seeded ``testkit.spotify.catalogue.Catalogue``. Python API (what
tests, the demo and the benchmarks use)::

    with SpotifyServer() as server:          # or the ``spotify_server`` fixture
        server.add_plays(60)                 # seeded, deterministic, newest last
        server.add_play(played_at="2026-06-01T09:00:00Z")   # a late (offline) play
        server.fail_next("rate_limited", retry_after=1)     # see FAULTS
        release = server.hold_api_requests()                # requests wait for release.set()
        config = server.tap_config()         # client_id, client_secret, refresh_token, urls
        server.requests                      # the request log, for assertions

Standalone: ``python -m testkit.spotify --port 8899 --plays 120`` prints the tap config as
JSON on one line, then serves until interrupted.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import secrets
import threading
import time
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode, urlsplit

from testkit.loopback import DROP, LoopbackServer, QuietHandler, Reply
from testkit.spotify.catalogue import Catalogue, Track, artist_object, format_played_at, to_ms
from testkit.spotify.catalogue import context as draw_context

SCOPE = "user-read-recently-played"
WINDOW = 50  # "Returns the most recent 50 tracks played by a user."
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
DEFAULT_START = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
RECENTLY_PLAYED = "/v1/me/player/recently-played"

#: Failure kinds for :meth:`SpotifyServer.fail_next`, per endpoint.
FAULTS: dict[str, frozenset[str]] = {
    "api": frozenset(
        {
            "rate_limited",  # 429 with Retry-After (seconds)
            "server_error",  # 500/502/503 (``status=``)
            "token_expired",  # 401 "The access token expired"; the presented token dies
            "insufficient_scope",  # 403 "Insufficient client scope"
            "user_not_registered",  # 403 "User not registered in the Developer Dashboard"
            "connection_drop",  # the socket closes without a response
        }
    ),
    "token": frozenset({"rate_limited", "server_error", "connection_drop"}),
}

_AUTO: t.Any = object()  # "pick a seeded value" for add_play's track/context


# --------------------------------------------------------------------------------------------
# Server state
# --------------------------------------------------------------------------------------------


@dataclass
class _RefreshGrant:
    scopes: frozenset[str]
    issued_at: float
    revoked: str | None = None  # error_description once it can no longer be used


@dataclass
class _AccessToken:
    scopes: frozenset[str]
    expires_at: float


@dataclass
class _AuthCode:
    redirect_uri: str
    scopes: frozenset[str]
    used: bool = False


@dataclass
class _Fault:
    kind: str
    times: int
    retry_after: int
    status: int


@dataclass
class LoggedRequest:
    """One request the server received, for assertions."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    status: int | None = None  # None: the connection was dropped
    at: float = field(default_factory=time.monotonic)  # when it arrived


def _api_error(status: int, message: str) -> Reply:
    return Reply(status, {"error": {"status": status, "message": message}})


def _oauth_error(error: str, description: str, status: int = 400) -> Reply:
    return Reply(status, {"error": error, "error_description": description})


class SpotifyServer(LoopbackServer):
    """A Spotify Web API + Accounts stand-in on a loopback port (bound at construction)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        start: datetime = DEFAULT_START,
        client_id: str = "contract-client-id",
        client_secret: str | None = None,
        access_token_ttl: int = 3600,
        rotate_refresh_tokens: bool = False,
        refresh_token_lifetime: float = 183 * 86400,
        invalid_client_status: int = 400,
        redirect_uris: t.Sequence[str] = ("http://127.0.0.1/callback", "http://[::1]/callback"),
    ) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self.client_id = client_id
        self.client_secret = client_secret or f"cs-{secrets.token_hex(12)}"
        self.access_token_ttl = access_token_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.refresh_token_lifetime = refresh_token_lifetime
        self.invalid_client_status = invalid_client_status
        self.redirect_uris = list(redirect_uris)
        self.user_registered = True
        self.authorize_decision = "agree"  # or "deny": what the simulated user clicks
        self.requests: list[LoggedRequest] = []
        # 12 artists of 3 tracks, 4 local files: every artist and a local file show up
        # among a test's few dozen plays.
        self.catalogue = Catalogue.generate(
            self._rng, artists=12, albums=(1, 1), album_tracks=(3, 3), local_tracks=4
        )
        self._plays: list[tuple[int, dict[str, t.Any]]] = []  # (played_at ms, PlayHistoryObject)
        self._next_slot = start
        self._refresh: dict[str, _RefreshGrant] = {}
        self._access: dict[str, _AccessToken] = {}
        self._codes: dict[str, _AuthCode] = {}
        self._faults: dict[str, list[_Fault]] = {"api": [], "token": []}
        self._hold: threading.Event | None = None
        self.refresh_token = self.issue_refresh_token()
        super().__init__(_Handler, host, port)

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def token_url(self) -> str:
        return f"{self.url}/api/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/authorize"

    def tap_config(self, **overrides: t.Any) -> dict[str, t.Any]:
        """Settings for tap-spotify-recent pointing at this server."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "api_url": self.api_url,
            "token_url": self.token_url,
            **overrides,
        }

    # -- listening history ------------------------------------------------------------------

    def add_plays(self, count: int) -> list[dict[str, t.Any]]:
        """Add ``count`` seeded plays after the newest one; return them oldest first."""
        return [self.add_play() for _ in range(count)]

    def add_play(
        self,
        played_at: str | datetime | None = None,
        *,
        track: Track = _AUTO,
        context: dict[str, t.Any] | None = _AUTO,
    ) -> dict[str, t.Any]:
        """Add one play. An explicit older ``played_at`` is a late play (an offline phone).

        A string ``played_at`` is served exactly as given (e.g. without milliseconds).
        """
        with self._lock:
            track = self._rng.choice(self.catalogue.tracks) if track is _AUTO else track
            context = draw_context(self._rng) if context is _AUTO else context
            if played_at is None:
                played_at = self._next_slot + timedelta(milliseconds=track["duration_ms"])
            text = played_at if isinstance(played_at, str) else format_played_at(played_at)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            gap = timedelta(
                seconds=self._rng.randint(1, 90), milliseconds=self._rng.randint(0, 999)
            )
            self._next_slot = max(self._next_slot, moment + gap)
            play = {"track": track, "played_at": text, "context": context}
            self._plays.append((to_ms(moment), play))
            self._plays.sort(key=lambda item: item[0], reverse=True)
            return play

    def track_of(self, *artists: tuple[str, str], isrc: str | None = None) -> Track:
        """A TrackObject credited to ``artists`` ((id, name) pairs), for ``add_play(track=)``."""
        track = json.loads(json.dumps(self.catalogue.tracks_by_artist[0][0]))  # a deep copy
        track["artists"] = [artist_object(artist_id, name) for artist_id, name in artists]
        track["external_ids"] = {"isrc": isrc} if isrc else {}
        return track

    @property
    def tracks(self) -> list[Track]:
        """The seeded catalogue of TrackObjects that plays are drawn from."""
        return self.catalogue.tracks

    @property
    def plays(self) -> list[dict[str, t.Any]]:
        """Every play, newest first (the API serves only the first 50)."""
        with self._lock:
            return [play for _, play in self._plays]

    # -- tokens -----------------------------------------------------------------------------

    def issue_refresh_token(self, scopes: t.Iterable[str] = (SCOPE,)) -> str:
        """A refresh token as if the user had just authorized these scopes."""
        token = f"rt-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._refresh[token] = _RefreshGrant(frozenset(scopes), time.time())
        return token

    def revoke_refresh_tokens(self) -> None:
        """The user removed the app's access: every refresh token gets ``invalid_grant``."""
        with self._lock:
            for grant in self._refresh.values():
                grant.revoked = grant.revoked or "Refresh token revoked"

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on."""
        with self._lock:
            for token in self._access.values():
                token.expires_at = 0

    @property
    def current_refresh_token(self) -> str:
        """The newest refresh token that still works (differs from the first after rotation)."""
        with self._lock:
            return next(tok for tok, grant in reversed(self._refresh.items()) if not grant.revoked)

    def secrets(self) -> set[str]:
        """Every secret value this server issued or knows: must never show up in tap output."""
        with self._lock:
            return {self.client_secret, *self._refresh, *self._access, *self._codes}

    # -- failure injection ------------------------------------------------------------------

    def fail_next(
        self,
        kind: str,
        *,
        times: int = 1,
        endpoint: str = "api",
        retry_after: int = 1,
        status: int = 503,
    ) -> None:
        """Answer the next ``times`` requests to ``endpoint`` ("api" or "token") with ``kind``."""
        if kind not in FAULTS.get(endpoint, ()):
            msg = f"unknown fault {kind!r} for endpoint {endpoint!r}; choose from {FAULTS}"
            raise ValueError(msg)
        with self._lock:
            self._faults[endpoint].append(_Fault(kind, times, retry_after, status))

    def hold_api_requests(self) -> threading.Event:
        """Keep API requests waiting until the returned event is set (a run caught mid-way)."""
        self._hold = threading.Event()
        return self._hold

    def wait_for_api_requests(self, count: int, timeout: float) -> None:
        """Wait until ``count`` API requests have arrived (a condition, not a sleep)."""
        deadline = time.monotonic() + timeout
        while len(self.api_requests()) < count:
            if time.monotonic() > deadline:
                msg = f"fewer than {count} API requests arrived within {timeout:g} s"
                raise TimeoutError(msg)
            time.sleep(0.02)

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._lock:
            queue = self._faults[endpoint]
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    # -- request log helpers ----------------------------------------------------------------

    def api_requests(self) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path.startswith("/v1/")]

    def token_requests(self) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path == "/api/token"]

    # -- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, request: LoggedRequest) -> Reply | object:
        if request.method == "POST" and request.path == "/api/token":
            return self._token_endpoint(request)
        if request.method == "GET" and request.path == "/authorize":
            return self._authorize_endpoint(request)
        if request.method == "GET" and request.path == RECENTLY_PLAYED:
            return self._recently_played_endpoint(request)
        if request.path.startswith("/v1/"):
            return _api_error(404, "Service not found")
        return Reply(404, "Not found")

    def _fault_reply(self, fault: _Fault, endpoint: str) -> Reply | object:
        if fault.kind == "connection_drop":
            return DROP
        if fault.kind == "rate_limited":
            reply = (
                _api_error(429, "API rate limit exceeded")
                if endpoint == "api"
                else Reply(429, "Too many requests")
            )
            reply.headers["Retry-After"] = str(fault.retry_after)
            return reply
        if fault.kind == "server_error":
            return _api_error(fault.status, HTTPStatus(fault.status).phrase)
        if fault.kind == "insufficient_scope":
            return _api_error(403, "Insufficient client scope")
        return _api_error(403, "User not registered in the Developer Dashboard")

    # -- POST /api/token --------------------------------------------------------------------

    def _client_error(self, request: LoggedRequest) -> Reply | None:
        """Check client credentials from the Basic header or from the body."""
        client_id = request.form.get("client_id")
        client_secret = request.form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id:
            return _oauth_error("invalid_client", "Invalid client", self.invalid_client_status)
        if client_secret != self.client_secret:
            return _oauth_error(
                "invalid_client", "Invalid client secret", self.invalid_client_status
            )
        return None

    def _token_endpoint(self, request: LoggedRequest) -> Reply | object:
        fault = self._take_fault("token")
        if fault:
            return self._fault_reply(fault, "token")
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _oauth_error("invalid_request", "Content-Type must be form-urlencoded")
        error = self._client_error(request)
        if error:
            return error
        grant_type = request.form.get("grant_type")
        if grant_type == "refresh_token":
            return self._refresh_grant(request.form.get("refresh_token"))
        if grant_type == "authorization_code":
            return self._code_grant(request.form.get("code"), request.form.get("redirect_uri"))
        return _oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} not supported")

    def _refresh_grant(self, token: str | None) -> Reply:
        if not token:
            return _oauth_error("invalid_request", "refresh_token must be supplied")
        with self._lock:
            grant = self._refresh.get(token)
            if grant is None:
                return _oauth_error("invalid_grant", "Invalid refresh token")
            if grant.revoked:
                return _oauth_error("invalid_grant", grant.revoked)
            if time.time() > grant.issued_at + self.refresh_token_lifetime:
                return _oauth_error("invalid_grant", "Refresh token expired")
            body = self._access_token_body(grant.scopes)
            if self.rotate_refresh_tokens:
                # The new token keeps the original authorization time: no extended lifetime.
                new = f"rt-{secrets.token_urlsafe(24)}"
                self._refresh[new] = _RefreshGrant(grant.scopes, grant.issued_at)
                grant.revoked = "Invalid refresh token"
                body["refresh_token"] = new
            return Reply(200, body)

    def _code_grant(self, code: str | None, redirect_uri: str | None) -> Reply:
        with self._lock:
            issued = self._codes.get(code or "")
            if issued is None or issued.used:
                return _oauth_error("invalid_grant", "Invalid authorization code")
            issued.used = True
            if redirect_uri != issued.redirect_uri:
                return _oauth_error("invalid_grant", "Invalid redirect URI")
            body = self._access_token_body(issued.scopes)
            body["refresh_token"] = self.issue_refresh_token(issued.scopes)
            return Reply(200, body)

    def _access_token_body(self, scopes: frozenset[str]) -> dict[str, t.Any]:
        token = f"at-{secrets.token_urlsafe(32)}"
        self._access[token] = _AccessToken(scopes, time.time() + self.access_token_ttl)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes)),
            "expires_in": self.access_token_ttl,
        }

    # -- GET /authorize ---------------------------------------------------------------------

    def _redirect_allowed(self, redirect_uri: str) -> bool:
        """Exact match, except that a loopback IP literal registered without a port may use any."""
        if redirect_uri in self.redirect_uris:
            return True
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in {"127.0.0.1", "::1"}:
            return False
        portless = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]).geturl()
        return portless in self.redirect_uris

    def _authorize_endpoint(self, request: LoggedRequest) -> Reply:
        query = request.query
        if query.get("client_id") != self.client_id:
            return Reply(400, "INVALID_CLIENT: Invalid client")
        redirect_uri = query.get("redirect_uri", "")
        if not self._redirect_allowed(redirect_uri):
            return Reply(400, "INVALID_CLIENT: Invalid redirect URI")
        if query.get("response_type") != "code":
            return Reply(400, "unsupported_response_type")
        answer = {"state": query["state"]} if "state" in query else {}
        if self.authorize_decision == "agree":
            code = f"code-{secrets.token_urlsafe(16)}"
            scopes = frozenset(query.get("scope", "").split())
            with self._lock:
                self._codes[code] = _AuthCode(redirect_uri, scopes)
            answer = {"code": code, **answer}
        else:
            answer = {"error": "access_denied", **answer}
        return Reply(302, None, {"Location": f"{redirect_uri}?{urlencode(answer)}"})

    # -- GET /v1/me/player/recently-played --------------------------------------------------

    def _recently_played_endpoint(self, request: LoggedRequest) -> Reply | object:
        if self._hold is not None:
            self._hold.wait(timeout=300)
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.startswith("Bearer ") else None
        fault = self._take_fault("api")
        if fault and fault.kind == "token_expired":
            with self._lock:
                if bearer in self._access:
                    self._access[bearer].expires_at = 0
            return _api_error(401, "The access token expired")
        if fault:
            return self._fault_reply(fault, "api")
        with self._lock:
            token = self._access.get(bearer or "")
        if bearer is None:
            return _api_error(401, "No token provided")
        if token is None:
            return _api_error(401, "Invalid access token")
        if time.time() >= token.expires_at:
            return _api_error(401, "The access token expired")
        if SCOPE not in token.scopes:
            return _api_error(403, "Insufficient client scope")
        if not self.user_registered:
            return _api_error(403, "User not registered in the Developer Dashboard")
        return self._history_page(request.query)

    def _history_page(self, query: dict[str, str]) -> Reply:
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return _api_error(400, "Invalid limit")
        if not 1 <= limit <= MAX_LIMIT:
            return _api_error(400, "Invalid limit")
        if "after" in query and "before" in query:
            return _api_error(400, "Only one of either after or before may be specified")
        try:
            after = int(query["after"]) if "after" in query else None
            before = int(query["before"]) if "before" in query else None
        except ValueError:
            return _api_error(400, "Invalid cursor")
        with self._lock:
            window = self._plays[:WINDOW]
        if after is not None:
            # Which plays `after` picks is undocumented: serve those closest to the cursor.
            page = [item for item in window if item[0] > after][-limit:]
        elif before is not None:
            page = [item for item in window if item[0] < before][:limit]
        else:
            page = window[:limit]
        href = f"{self.api_url}/me/player/recently-played?{urlencode(query)}"
        if not page:
            return Reply(
                200, {"items": [], "next": None, "cursors": None, "limit": limit, "href": href}
            )
        oldest, newest = page[-1][0], page[0][0]
        return Reply(
            200,
            {
                "items": [json.loads(json.dumps(play)) for _, play in page],
                "next": f"{self.api_url}/me/player/recently-played?before={oldest}&limit={limit}",
                "cursors": {"after": str(newest), "before": str(oldest)},
                "limit": limit,
                "href": href,
            },
        )


class _Handler(QuietHandler):
    server_version = "SpotifyContract/1.0"

    def _serve(self) -> None:
        contract: SpotifyServer = self.server.contract  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        body = self.read_body()
        request = LoggedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            form=dict(parse_qsl(body, keep_blank_values=True)),
            headers={key.lower(): value for key, value in self.headers.items()},
        )
        with contract._lock:
            contract.requests.append(request)
        reply = contract._dispatch(request)
        if reply is DROP:
            self.close_connection = True
            return
        assert isinstance(reply, Reply)
        request.status = reply.status
        self.send(reply, json_type="application/json", text_type="text/html; charset=utf-8")
