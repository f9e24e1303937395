"""``tap-spotify-recent auth``: get a refresh token with Spotify's authorization code flow.

Prints the authorize URL (scope ``user-read-recently-played``), waits on a loopback redirect URI
(``http://127.0.0.1:<port>/callback``: Spotify no longer accepts ``localhost``), checks
``state``, exchanges the code at ``token_url`` and prints the refresh token once, inside the
``meltano config`` line that stores it, with the date for ``refresh_token_obtained_at``.

Client id and secret come from options or from the ``TAP_SPOTIFY_RECENT_*`` variables Meltano
sets for a plugin command. Free of singer_sdk, so it starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import sys
import threading
import typing as t
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from typing_extensions import override

from tap_spotify_recent.errors import (
    AUTH_COMMAND,
    SCOPE,
    TapError,
    token_answer,
    token_without,
)
from tap_spotify_recent.instants import add_months

ENV_PREFIX = "TAP_SPOTIFY_RECENT_"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"  # noqa: S105 (a URL)
DEFAULT_PORT = 8888
CALLBACK_PATH = "/callback"
PLUGIN = "tap-spotify-recent"
IDLE_CONNECTION_SECONDS = 10


class _CallbackHandler(BaseHTTPRequestHandler):
    """Takes Spotify's redirect to the callback path; ignores everything else (favicon...)."""

    # Browsers open connections ahead of use and may leave them idle: each one has its own
    # thread, and one that sends nothing for this long is closed.
    timeout = IDLE_CONNECTION_SECONDS

    @override
    def log_message(self, format: str, *args: t.Any) -> None:
        """Keep the terminal for the instructions."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self.send_error(404)
            return
        params = dict(parse_qsl(parts.query))
        server = t.cast("_CallbackServer", self.server)
        if params.get("state") != server.expected_state:
            # Not this login's redirect (a stale tab, a forged link): refuse it, keep waiting.
            self._page(
                400,
                "This request does not belong to the login running in the terminal "
                "(its state does not match), so it was ignored. Open the URL the "
                "terminal shows.",
            )
            return
        if "error" in params:
            self._page(400, "Spotify did not authorize the app. See the terminal.")
        else:
            self._page(200, "Authorized. You can close this tab and return to the terminal.")
        server.deliver(params)  # after the page is sent: the command may exit at once

    def _page(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>{PLUGIN}</title><p>{text}</p>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


class _CallbackServer(ThreadingHTTPServer):
    """The loopback redirect URI, waiting for this login's redirect or the timeout.

    Each connection is served in its own thread, so a connection a browser opened and left
    idle holds up neither the redirect nor the timeout.
    """

    daemon_threads = True  # an idle connection's thread never holds up the exit

    def __init__(self, port: int, expected_state: str) -> None:
        super().__init__(("127.0.0.1", port), _CallbackHandler)
        self.expected_state = expected_state
        self.callback: dict[str, str] | None = None
        self._arrived = threading.Event()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{CALLBACK_PATH}"

    def deliver(self, params: dict[str, str]) -> None:
        """Keep the first redirect with the expected state."""
        if not self._arrived.is_set():
            self.callback = params
            self._arrived.set()

    def wait_for_callback(self, timeout: float) -> dict[str, str]:
        serving = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1})
        serving.start()
        try:
            arrived = self._arrived.wait(timeout)
        finally:
            self.shutdown()
            serving.join()
        if not arrived or self.callback is None:
            msg = f"No answer from Spotify in {timeout:g} seconds. Run `{AUTH_COMMAND}` again."
            raise TapError(msg)
        return self.callback


def authorize(
    *,
    client_id: str,
    client_secret: str,
    token_url: str,
    authorize_url: str,
    port: int,
    timeout: float,
    open_browser: bool,
) -> None:
    """Run the authorization code flow and print the refresh token once."""
    state = secrets.token_urlsafe(24)
    with _listen(port, state) as server:
        url = _consent_url(authorize_url, client_id, server.redirect_uri, state)
        _say(_consent_steps(server.redirect_uri, url, timeout))
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        callback = server.wait_for_callback(timeout)
    refresh_token = _exchange_code(
        code=_authorization_code(callback),
        redirect_uri=server.redirect_uri,
        client_id=client_id,
        client_secret=client_secret,
        token_url=token_url,
    )
    _say(_storing_steps(refresh_token, datetime.now(timezone.utc).date()))


def _listen(port: int, state: str) -> _CallbackServer:
    """The redirect URI's server on ``port``, or an error saying to pick another port."""
    try:
        return _CallbackServer(port, state)
    except OSError as exc:
        msg = f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}). Pick another --port."
        raise TapError(msg) from None


def _consent_url(authorize_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """Spotify's consent page for this app, scope and redirect URI."""
    query = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": SCOPE,
    }
    return f"{authorize_url}?{urlencode(query)}"


def _consent_steps(redirect_uri: str, url: str, timeout: float) -> str:
    """What the user does before Spotify redirects back: register the URI, open the URL."""
    return (
        "1. In the Spotify Developer Dashboard, add this Redirect URI to your app:\n"
        f"     {redirect_uri}\n"
        "   (Spotify accepts 127.0.0.1 with any port when registered as "
        f"http://127.0.0.1{CALLBACK_PATH}; never localhost.)\n"
        "2. Open this URL, log in and click Agree:\n"
        f"     {url}\n"
        f"Waiting up to {timeout:g} seconds for Spotify to redirect back..."
    )


def _authorization_code(callback: dict[str, str]) -> str:
    """The code of Spotify's redirect, or an error if the user did not agree."""
    if "error" in callback:
        msg = (
            f"Spotify did not authorize the app ({callback['error']}): run `{AUTH_COMMAND}` again."
        )
        raise TapError(msg)
    return callback.get("code", "")


def _storing_steps(refresh_token: str, today: date) -> str:
    """The ``meltano config`` lines that store the token, and when to authorize again."""
    return (
        "\nAuthorized. Store the refresh token now; it is not shown again:\n\n"
        f"  meltano config set {PLUGIN} refresh_token {shlex.quote(refresh_token)}\n"
        f"  meltano config set {PLUGIN} refresh_token_obtained_at {today.isoformat()}\n\n"
        f"(Meltano 3 and older take `meltano config {PLUGIN} set <setting> <value>`.)\n"
        "Spotify refresh tokens expire six months after authorization (this one around "
        f"{add_months(today, 6).isoformat()}): run `{AUTH_COMMAND}` again before then."
    )


def _exchange_code(
    *, code: str, redirect_uri: str, client_id: str, client_secret: str, token_url: str
) -> str:
    """Trade the authorization code for tokens; return the refresh token."""
    try:
        response = requests.post(
            token_url,
            auth=(client_id, client_secret),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            timeout=30,
        )
    except requests.RequestException as exc:
        msg = f"Could not reach the token endpoint {token_url} ({type(exc).__name__})."
        raise TapError(msg) from None
    token = token_answer(response, grant="authorization_code", client_secret=client_secret)
    refresh_token = token.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise token_without("refresh_token", response, token)
    granted = token.get("scope")
    if isinstance(granted, str) and SCOPE not in granted.split():
        msg = f"Spotify granted '{granted}' without {SCOPE}. Run `{AUTH_COMMAND}` again."
        raise TapError(msg)
    return refresh_token


def _say(text: str) -> None:
    print(text, flush=True)


def _setting(name: str, config: dict[str, t.Any]) -> str | None:
    """A setting from the environment Meltano prepares, else from the config file."""
    return os.environ.get(f"{ENV_PREFIX}{name.upper()}") or config.get(name)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=AUTH_COMMAND,
        description="Get a Spotify refresh token for tap-spotify-recent.",
        epilog=f"Settings fall back to the {ENV_PREFIX}CLIENT_ID, ..._CLIENT_SECRET and "
        "..._TOKEN_URL environment variables (Meltano sets them for plugin commands).",
    )
    parser.add_argument("--config", type=Path, help="tap config JSON with client_id etc.")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret", help="prefer the environment variable")
    parser.add_argument("--token-url")
    parser.add_argument("--authorize-url", help="default: /authorize on the token URL's host")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait")
    parser.add_argument("--open-browser", action="store_true", help="open the URL for you")
    return parser.parse_args(argv)


def _credentials(args: argparse.Namespace) -> tuple[str, str, str]:
    """Client id, client secret and token URL: options, then Meltano's environment, then --config.

    Missing client id or secret is an error naming both ways to give them.
    """
    config = json.loads(args.config.read_text()) if args.config else {}
    client_id = args.client_id or _setting("client_id", config)
    client_secret = args.client_secret or _setting("client_secret", config)
    token_url = args.token_url or _setting("token_url", config) or DEFAULT_TOKEN_URL
    if not client_id or not client_secret:
        missing = [
            f"--{name.replace('_', '-')} (or {ENV_PREFIX}{name.upper()})"
            for name, value in (("client_id", client_id), ("client_secret", client_secret))
            if not value
        ]
        msg = f"Missing {' and '.join(missing)}: copy them from your app's Dashboard page."
        raise TapError(msg)
    return client_id, client_secret, token_url


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status."""
    args = _arguments(argv)
    try:
        client_id, client_secret, token_url = _credentials(args)
        origin = urlsplit(token_url)
        authorize(
            client_id=client_id,
            client_secret=client_secret,
            token_url=token_url,
            authorize_url=args.authorize_url or f"{origin.scheme}://{origin.netloc}/authorize",
            port=args.port,
            timeout=args.timeout,
            open_browser=args.open_browser,
        )
    except (TapError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
