"""``tap-spotify-recent auth`` end to end: the test plays the user's browser."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests


class AuthCommand:
    """The command running in a subprocess with the environment Meltano gives plugin commands."""

    def __init__(self, executable: str, server, *, env: dict | None = None) -> None:
        settings = {
            "TAP_SPOTIFY_RECENT_CLIENT_ID": server.client_id,
            "TAP_SPOTIFY_RECENT_CLIENT_SECRET": server.client_secret,
            "TAP_SPOTIFY_RECENT_TOKEN_URL": server.token_url,
        }
        self.process = subprocess.Popen(
            [executable, "auth", "--port", "0", "--timeout", "20"],
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
        stdout, stderr = self.process.communicate(timeout=20)
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


def test_auth_refuses_a_callback_with_another_state(tap_executable, spotify_server):
    command = AuthCommand(tap_executable, spotify_server)
    consent = requests.get(command.authorize_url(), allow_redirects=False, timeout=10)
    callback = urlsplit(consent.headers["Location"])
    forged = {**parse_qs(callback.query), "state": ["attacker-state"]}

    browser = requests.get(
        callback._replace(query=urlencode(forged, doseq=True)).geturl(), timeout=10
    )
    returncode, stdout, stderr = command.finish()

    assert returncode == 1
    assert browser.status_code == 400
    assert "state" in stderr
    assert "Traceback" not in stderr
    assert "refresh_token " not in stdout
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
