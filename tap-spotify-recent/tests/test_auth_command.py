"""``tap-spotify-recent auth`` end to end: the test plays the user's browser."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests


class AuthCommand:
    """The command running in a subprocess with the environment Meltano gives plugin commands."""

    def __init__(
        self,
        executable: str,
        server,
        *args: str,
        env: dict | None = None,
        timeout: float = 20,
    ) -> None:
        settings = {
            "TAP_SPOTIFY_RECENT_CLIENT_ID": server.client_id,
            "TAP_SPOTIFY_RECENT_CLIENT_SECRET": server.client_secret,
            "TAP_SPOTIFY_RECENT_TOKEN_URL": server.token_url,
        }
        self.process = subprocess.Popen(
            [executable, "auth", "--port", "0", "--timeout", f"{timeout:g}", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **settings, **(env or {})},
        )
        self.printed: list[str] = []

    def authorize_url(self) -> str:
        """Read the instructions up to the URL the user is told to open."""
        for line in self.process.stdout:
            self.printed.append(line)
            if "/authorize?" in line:
                return line.strip()
        pytest.fail(f"no authorize URL printed: {self.printed} {self.process.stderr.read()}")

    def finish(self) -> tuple[int, str, str]:
        stdout, stderr = self.process.communicate(timeout=60)
        return self.process.returncode, "".join(self.printed) + stdout, stderr


def test_auth_prints_the_refresh_token_once_as_the_meltano_config_line(
    tap_executable, spotify_server, sync_tap
):
    command = AuthCommand(tap_executable, spotify_server)
    url = command.authorize_url()

    browser = requests.get(url, timeout=10)  # Spotify's page: the user clicks "Agree"
    returncode, stdout, stderr = command.finish()

    assert (returncode, stderr) == (0, "")
    assert browser.status_code == 200
    assert "You can close this tab" in browser.text
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["user-read-recently-played"]
    assert query["response_type"] == ["code"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", query["redirect_uri"][0])
    [token] = re.findall(r"meltano config set tap-spotify-recent refresh_token (\S+)\n", stdout)
    assert stdout.count(token) == 1
    today = datetime.now(timezone.utc).date().isoformat()
    assert f"meltano config set tap-spotify-recent refresh_token_obtained_at {today}\n" in stdout
    # The printed token is a working one.
    spotify_server.add_plays(2)
    run = sync_tap(spotify_server.tap_config(refresh_token=token))
    assert len(run.played_at()) == 2


def test_auth_refuses_a_callback_with_another_state_and_keeps_waiting(
    tap_executable, spotify_server
):
    command = AuthCommand(tap_executable, spotify_server)
    consent = requests.get(command.authorize_url(), allow_redirects=False, timeout=10)
    callback = urlsplit(consent.headers["Location"])
    forged = {**parse_qs(callback.query), "state": ["attacker-state"]}

    refused = requests.get(
        callback._replace(query=urlencode(forged, doseq=True)).geturl(), timeout=10
    )
    assert command.process.poll() is None  # still waiting for this login's redirect
    browser = requests.get(callback.geturl(), timeout=10)
    returncode, stdout, stderr = command.finish()

    assert refused.status_code == 400
    assert "its state does not match" in refused.text
    assert (returncode, stderr) == (0, "")
    assert browser.status_code == 200
    assert len(re.findall(r"refresh_token (\S+)\n", stdout)) == 1
    [grant] = spotify_server.token_requests()
    assert grant.form["code"] == parse_qs(callback.query)["code"][0]


def test_auth_serves_the_redirect_while_a_browser_holds_an_idle_connection(
    tap_executable, spotify_server
):
    command = AuthCommand(tap_executable, spotify_server)
    url = command.authorize_url()
    port = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0]).port

    with socket.create_connection(("127.0.0.1", port)):  # opened ahead, never used
        browser = requests.get(url, timeout=10)
        returncode, stdout, stderr = command.finish()

    assert (returncode, stderr, browser.status_code) == (0, "", 200)
    assert "meltano config set tap-spotify-recent refresh_token " in stdout


def test_auth_gives_up_after_the_timeout_while_idle_connections_stay_open(
    tap_executable, spotify_server
):
    command = AuthCommand(tap_executable, spotify_server, timeout=2)
    url = command.authorize_url()
    port = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0]).port

    with (
        socket.create_connection(("127.0.0.1", port)),
        socket.create_connection(("127.0.0.1", port)),
    ):
        returncode, _, stderr = command.finish()  # the old server waited for them forever

    assert returncode == 1
    assert stderr == (
        "error: No answer from Spotify in 2 seconds. Run `tap-spotify-recent auth` again.\n"
    )
    assert spotify_server.token_requests() == []


def test_auth_reports_a_denied_consent(tap_executable, spotify_server):
    spotify_server.authorize_decision = "deny"
    command = AuthCommand(tap_executable, spotify_server)

    requests.get(command.authorize_url(), timeout=10)
    returncode, _, stderr = command.finish()

    assert returncode == 1
    assert "did not authorize the app (access_denied)" in stderr


def test_auth_names_the_missing_client_credentials(tap_executable, spotify_server):
    command = AuthCommand(
        tap_executable, spotify_server, env={"TAP_SPOTIFY_RECENT_CLIENT_SECRET": ""}
    )

    returncode, _, stderr = command.finish()

    assert returncode == 1
    assert "--client-secret (or TAP_SPOTIFY_RECENT_CLIENT_SECRET)" in stderr


def test_auth_names_the_token_url_when_it_answers_a_web_page_without_echoing_secrets(
    tap_executable, spotify_server, other_site
):
    other_site.reply, other_site.echo = (200, "text/html", ""), True  # quotes the request
    command = AuthCommand(
        tap_executable,
        spotify_server,
        "--authorize-url",
        spotify_server.authorize_url,
        env={"TAP_SPOTIFY_RECENT_TOKEN_URL": f"{other_site.url}/token"},
    )
    consent = requests.get(command.authorize_url(), allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]

    requests.get(consent.headers["Location"], timeout=10)
    returncode, stdout, stderr = command.finish()

    assert returncode == 1
    assert stderr.startswith(
        f"error: The token_url setting ({other_site.url}/token) does not answer like Spotify's "
        "token endpoint: it answered HTTP 200 (text/html) 'grant_type=authorization_code&code=***"
    )
    assert stderr.endswith("…'. Check the token_url setting.\n")
    assert len(stderr.splitlines()) == 1
    assert code not in stderr + stdout
    assert spotify_server.client_secret not in stderr + stdout
