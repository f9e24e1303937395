"""Ways to run the tap against the contract server (``spotify_server`` comes from the kit)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import typing as t
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tap_spotify_recent.tap import TapSpotifyRecent

TAP = shutil.which("tap-spotify-recent", path=str(Path(sys.executable).parent))


@dataclass
class Run:
    """What one tap run wrote."""

    messages: list[dict]
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    records: dict[str, list[dict]] = field(init=False)

    def __post_init__(self) -> None:
        self.records = {}
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records.setdefault(message["stream"], []).append(message["record"])

    def history(self) -> list[dict]:
        return self.records.get("streaming_history", [])

    def played_at(self) -> list[str]:
        return [record["played_at"] for record in self.records.get("recently_played", [])]

    @property
    def state(self) -> dict:
        """The last STATE message: what Meltano would store."""
        return [m for m in self.messages if m["type"] == "STATE"][-1]["value"]


@pytest.fixture
def tap_executable() -> str:
    """The installed console script, next to this Python."""
    assert TAP, "tap-spotify-recent is not installed in this virtualenv"
    return TAP


@pytest.fixture
def fast_retries() -> dict:
    """Settings for quick retries: the behaviour is the same, the waits are settings."""
    return {"backoff_base_seconds": 0.01, "request_max_tries": 3}


@pytest.fixture
def sync_tap():
    """Run a full sync in this process (fast); returns the messages it wrote."""

    def sync(config: dict, state: dict | None = None, catalog: dict | None = None) -> Run:
        tap = TapSpotifyRecent(config=config, state=state, catalog=catalog)
        stdout = io.StringIO()
        with redirect_stdout(stdout):
            tap.sync_all()
        return Run([json.loads(line) for line in stdout.getvalue().splitlines()])

    return sync


@pytest.fixture
def run_cli(tmp_path, tap_executable):
    """Run the installed ``tap-spotify-recent`` command as Meltano does, in a subprocess."""

    def run(config: dict, *args: str, state: dict | None = None, env: dict | None = None) -> Run:
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(config))
        command = [tap_executable, "--config", str(config_file), *args]
        if state is not None:
            state_file = tmp_path / "state.json"
            state_file.write_text(json.dumps(state))
            command += ["--state", str(state_file)]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **(env or {})},
            check=False,
        )
        messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        return Run(messages, done.stdout, done.stderr, done.returncode)

    return run


def only_streaming_history(config: dict) -> dict:
    """A catalog of the tap with only ``streaming_history`` selected."""
    catalog = TapSpotifyRecent(config=config).catalog_dict
    for entry in catalog["streams"]:
        stream_level = next(m for m in entry["metadata"] if m["breadcrumb"] == [])
        stream_level["metadata"]["selected"] = entry["tap_stream_id"] == "streaming_history"
    return catalog


@pytest.fixture
def import_history(sync_tap):
    """Import an export in this process, with only ``streaming_history`` selected."""

    def run(history_path: str | Path, state: dict | None = None, **settings) -> Run:
        config = {"history_path": str(history_path), **settings}  # no Spotify credentials
        return sync_tap(config, state=state, catalog=only_streaming_history(config))

    return run


@pytest.fixture
def import_history_cli(run_cli, tmp_path):
    """Import an export with the ``tap-spotify-recent`` command, as Meltano runs it."""

    def run(history_path: str | Path, env: dict | None = None, **settings) -> Run:
        config = {"history_path": str(history_path), **settings}  # no Spotify credentials
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps(only_streaming_history(config)))
        return run_cli(config, "--catalog", str(catalog), env=env)

    return run


# -- a wrong URL: some other web server answering whatever is asked ---------------------------

NGINX_WELCOME = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
    "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
    "installed and working.</p>\n</body>\n</html>\n"
)


class OtherSite(ThreadingHTTPServer):
    """A web server that is not Spotify: every GET and POST gets ``reply``.

    With ``echo`` the body is followed by the request as received (the form, then the headers
    by name), as debugging endpoints answer: a message quoting it must not leak secrets.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _OtherSiteHandler)
        self.reply: tuple[int, str, str] = (200, "text/html", NGINX_WELCOME)
        self.echo = False
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _OtherSiteHandler(BaseHTTPRequestHandler):
    server: OtherSite

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length).decode() if length else ""
        self.server.requests.append(f"{self.command} {self.path}")
        status, content_type, body = self.server.reply
        if self.server.echo:
            headers = sorted(f"{name}: {value}" for name, value in self.headers.items())
            body += "\n".join([sent, *headers])
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def other_site() -> t.Iterator[OtherSite]:
    """A web server that is not Spotify, on a loopback port (an HTML page by default)."""
    site = OtherSite()
    serving = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.02})
    serving.start()
    yield site
    site.shutdown()
    serving.join()
    site.server_close()
