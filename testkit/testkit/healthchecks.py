"""A local server that follows healthchecks.io's documented Pinging API.

Written from https://healthchecks.io/docs/http_api/ : ``HEAD|GET|POST <base>/<uuid>``
(success), ``<uuid>/start``, ``<uuid>/fail``, ``<uuid>/log`` and ``<uuid>/<exit-status>``
(0-255; 0 is success); an optional ``rid=<uuid>`` run ID pairs a start with its end; a POST
body is kept as the ping's log (up to 100 kB). Answers ``200 OK`` with the body ``OK``,
``404 not found`` for an unknown check, ``400 invalid url format`` for a bad exit status or
run ID. A check's status is ``new`` until pinged, then ``up``, ``down`` (after a failure) or
``started`` (a start without its end).

Python API::

    with PingServer() as pings:                 # or the ``ping_server`` fixture
        url = pings.add_check()                 # http://127.0.0.1:PORT/<uuid>
        pings.fail_next(2)                      # the next 2 pings get a 500
        pings.pings(url), pings.status(url)
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from testkit.loopback import LoopbackServer, QuietHandler

BODY_LIMIT = 100_000


@dataclass
class Ping:
    kind: str  # success, start, fail, log
    method: str
    rid: str | None
    body: str
    exit_status: int | None = None


class PingServer(LoopbackServer):
    """healthchecks.io's Pinging API on a loopback port (bound at construction)."""

    def __init__(self) -> None:
        self._checks: dict[str, list[Ping]] = {}
        self._failures = 0
        self._lock = threading.Lock()
        super().__init__(_Handler)

    def add_check(self) -> str:
        """Create a check; return its ping URL."""
        check = str(uuid.uuid4())
        with self._lock:
            self._checks[check] = []
        return f"{self.url}/{check}"

    def fail_next(self, times: int) -> None:
        """Answer the next ``times`` pings with 500 (a hiccup the client should retry)."""
        self._failures = times

    def pings(self, ping_url: str) -> list[Ping]:
        with self._lock:
            return list(self._checks[ping_url.rsplit("/", 1)[-1]])

    def status(self, ping_url: str) -> str:
        """new, up, down or started, as the check's page shows it."""
        status, started = "new", False
        for ping in self.pings(ping_url):
            if ping.kind == "start":
                started = True
            elif ping.kind in {"success", "fail"}:
                status, started = ("up" if ping.kind == "success" else "down"), False
        return "started" if started else status

    def _receive(self, method: str, path: str, query: dict[str, str], body: str) -> tuple[int, str]:
        with self._lock:
            if self._failures > 0:
                self._failures -= 1
                return 500, "internal server error"
        parts = [part for part in path.split("/") if part]
        if not parts or len(parts) > 2:
            return 404, "not found"
        check, action = parts[0], (parts[1] if len(parts) == 2 else "")
        rid = query.get("rid")
        if rid is not None:
            try:
                uuid.UUID(rid)
            except ValueError:
                return 400, "invalid url format"
        exit_status = None
        if action.isdigit():
            exit_status = int(action)
            if exit_status > 255:
                return 400, "invalid url format"
            kind = "success" if exit_status == 0 else "fail"
        elif action in {"", "start", "fail", "log"}:
            kind = action or "success"
        else:
            return 404, "not found"
        with self._lock:
            if check not in self._checks:
                return 404, "not found"
            self._checks[check].append(Ping(kind, method, rid, body[:BODY_LIMIT], exit_status))
        return 200, "OK"


class _Handler(QuietHandler):
    server_version = "PingContract/1.0"

    def _serve(self) -> None:
        contract: PingServer = self.server.contract  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        body = self.read_body()
        status, text = contract._receive(
            self.command, parts.path, dict(parse_qsl(parts.query)), body
        )
        headers = {"Ping-Body-Limit": str(BODY_LIMIT)}
        self.reply(status, text.encode(), "text/plain; charset=utf-8", headers)
