"""What the contract servers share: a loopback server, quiet handlers, their replies."""

from __future__ import annotations

import json
import threading
import typing as t
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DROP = object()
"""A reply that closes the connection without answering."""


@dataclass
class Reply:
    """A contract's answer: a dict or list body is sent as JSON, text as the handler's text."""

    status: int
    body: dict[str, t.Any] | list[t.Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


S = t.TypeVar("S", bound="LoopbackServer")


class LoopbackServer:
    """Serves `handler` on a port bound at construction.

    Handlers reach this object as `self.server.contract`. Use as a context manager, or
    `start()` and `stop()`.
    """

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._httpd.contract = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        # typeshed allows a bytes host (Unix sockets); an IPv4 server's host is text.
        return f"http://{t.cast('str', host)}:{port}"

    def start(self: S) -> S:
        # A short poll interval: stop() waits for it, and tests stop a server each.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    """Sends every method to `_serve`, logs nothing (the contracts keep their own logs)."""

    def log_message(self, format: str, *args: t.Any) -> None:
        """Stay quiet."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        raise NotImplementedError

    def reply(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        headers: t.Mapping[str, str] | None = None,
    ) -> None:
        """Send one response: status, content type and length, `headers`, then the payload.

        A HEAD request gets no payload.
        """
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send(self, reply: Reply, *, json_type: str, text_type: str) -> None:
        """Send `reply`: a dict or list body as JSON (`json_type`), text as `text_type`."""
        if isinstance(reply.body, (dict, list)):
            payload, content_type = json.dumps(reply.body).encode(), json_type
        else:
            payload, content_type = (reply.body or "").encode(), text_type
        self.reply(reply.status, payload, content_type, reply.headers)

    def read_body(self) -> str:
        """The request body as text ("" without one)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode(errors="replace") if length else ""
