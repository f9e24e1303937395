"""No secret (client secret, refresh or access token) appears in any output, at DEBUG level."""

from __future__ import annotations

import base64

import pytest

DEBUG = {"TAP_SPOTIFY_RECENT_LOGLEVEL": "DEBUG"}


def _leaks(run, secrets: set[str]) -> list[str]:
    output = run.stdout + run.stderr
    return sorted(secret for secret in secrets if secret in output)


def _basic_credentials(config: dict) -> str:
    return base64.b64encode(f"{config['client_id']}:{config['client_secret']}".encode()).decode()


def test_passing_run_with_retries_refreshes_and_rotation_prints_no_secret(
    make_spotify_server, run_cli, fast_retries
):
    server = make_spotify_server(access_token_ttl=1, rotate_refresh_tokens=True)
    server.add_plays(60)
    server.fail_next("rate_limited", retry_after=1)  # outlives the 1 s access token
    server.fail_next("token_expired")
    server.fail_next("server_error")
    config = server.tap_config(**{**fast_retries, "request_max_tries": 4})

    run = run_cli(config, env=DEBUG)

    assert run.returncode == 0
    assert len(run.records["recently_played"]) == 50
    assert "| DEBUG" in run.stderr
    assert "rotated the refresh token" in run.stderr
    assert len(server.token_requests()) == 3
    assert _leaks(run, server.secrets() | {_basic_credentials(config)}) == []


@pytest.mark.parametrize(
    "failure",
    [
        "revoked_refresh_token",
        "wrong_client_secret",
        "missing_scope",
        "server_down",
        "token_url_echoes_the_request",
        "api_url_echoes_the_request",
    ],
)
def test_failing_run_prints_no_secret(spotify_server, other_site, run_cli, fast_retries, failure):
    config = spotify_server.tap_config(**fast_retries)
    other_site.reply, other_site.echo = (200, "text/plain", ""), True
    if failure == "revoked_refresh_token":
        spotify_server.revoke_refresh_tokens()
    elif failure == "wrong_client_secret":
        config["client_secret"] = "cs-wrong-but-still-a-secret"
    elif failure == "missing_scope":
        config["refresh_token"] = spotify_server.issue_refresh_token(scopes=["user-read-email"])
    elif failure == "server_down":
        spotify_server.fail_next("server_error", times=10)
    elif failure == "token_url_echoes_the_request":
        config["token_url"] = other_site.url  # its answer quotes the refresh token sent
    else:
        config["api_url"] = other_site.url  # its answer quotes the access token sent

    run = run_cli(config, env=DEBUG)

    assert run.returncode == 1
    assert "| DEBUG" in run.stderr
    assert "echoes" not in failure or "***" in run.stderr
    secrets = spotify_server.secrets() | {config["client_secret"], _basic_credentials(config)}
    assert _leaks(run, secrets) == []
