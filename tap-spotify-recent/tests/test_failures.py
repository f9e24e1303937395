"""Failures: retried when transient, explained (exit 1, no traceback) when the user must act."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from tap_spotify_recent.auth import refresh_token_age_notice
from tap_spotify_recent.instants import add_months


def _statuses(requests) -> list[int | None]:
    return [r.status for r in requests]


# -- retried, and the run succeeds ------------------------------------------------------------


def test_429_waits_retry_after_seconds_then_retries(fast_retries, spotify_server, sync_tap):
    spotify_server.add_plays(3)
    spotify_server.fail_next("rate_limited", retry_after=1)

    run = sync_tap(spotify_server.tap_config(**fast_retries))

    first, second = spotify_server.api_requests()
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1
    assert len(run.played_at()) == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_with_backoff(fast_retries, spotify_server, sync_tap, status):
    spotify_server.add_plays(3)
    spotify_server.fail_next("server_error", status=status, times=2)

    run = sync_tap(spotify_server.tap_config(**fast_retries))

    assert _statuses(spotify_server.api_requests()) == [status, status, 200]
    assert len(run.played_at()) == 3


def test_dropped_connection_is_retried(fast_retries, spotify_server, sync_tap):
    spotify_server.add_plays(3)
    spotify_server.fail_next("connection_drop")

    run = sync_tap(spotify_server.tap_config(**fast_retries))

    assert _statuses(spotify_server.api_requests()) == [None, 200]
    assert len(run.played_at()) == 3


def test_token_endpoint_hiccups_are_retried(fast_retries, spotify_server, sync_tap):
    spotify_server.add_plays(3)
    spotify_server.fail_next("server_error", endpoint="token")
    spotify_server.fail_next("connection_drop", endpoint="token")

    run = sync_tap(spotify_server.tap_config(**fast_retries))

    assert _statuses(spotify_server.token_requests()) == [503, None, 200]
    assert len(run.played_at()) == 3


def test_401_mid_run_refreshes_the_token_and_retries_once(fast_retries, spotify_server, sync_tap):
    spotify_server.add_plays(3)
    spotify_server.fail_next("token_expired")

    run = sync_tap(spotify_server.tap_config(**fast_retries))

    assert _statuses(spotify_server.api_requests()) == [401, 200]
    assert _statuses(spotify_server.token_requests()) == [200, 200]
    first, second = spotify_server.api_requests()
    assert first.headers["authorization"] != second.headers["authorization"]
    assert len(run.played_at()) == 3


def test_token_is_refreshed_before_it_expires(fast_retries, make_spotify_server, sync_tap):
    # Tokens live 1 s; a 429 makes the run wait past that before its next request.
    server = make_spotify_server(access_token_ttl=1)
    server.add_plays(3)
    server.fail_next("rate_limited", retry_after=1)

    run = sync_tap(server.tap_config(**fast_retries))

    assert _statuses(server.token_requests()) == [200, 200]
    assert _statuses(server.api_requests()) == [429, 200]  # no 401: refreshed in time
    assert len(run.played_at()) == 3


def test_rotated_refresh_token_is_used_and_logged_without_its_value(
    fast_retries, make_spotify_server, sync_tap, caplog
):
    server = make_spotify_server(access_token_ttl=1, rotate_refresh_tokens=True)
    server.add_plays(3)
    server.fail_next("rate_limited", retry_after=1)
    first_token = server.refresh_token

    with caplog.at_level(logging.INFO):
        run = sync_tap(server.tap_config(**fast_retries))

    first_grant, second_grant = server.token_requests()
    rotated = server.current_refresh_token
    assert first_grant.form["refresh_token"] == first_token
    assert second_grant.form["refresh_token"] != first_token
    assert second_grant.status == 200
    assert len(run.played_at()) == 3
    assert "rotated the refresh token" in caplog.text
    assert first_token not in caplog.text
    assert rotated not in caplog.text


# -- explained: exit 1 with a message that says what to do ------------------------------------


def _assert_explained(run, *phrases: str) -> None:
    """Exit 1 with one error line holding every phrase (no second line from the SDK)."""
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, errors
    for phrase in phrases:
        assert phrase in errors[0]


def _assert_config_refused(run, *phrases: str) -> None:
    """Exit 1 with a line per config problem, each phrase in one of them, then the SDK's."""
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert errors[-1].endswith("| Config validation failed")
    assert len(errors) == len(phrases) + 1, errors
    for phrase in phrases:
        assert any(phrase in line for line in errors[:-1]), phrase


def test_revoked_refresh_token_names_the_setting_and_the_auth_command(
    fast_retries, spotify_server, run_cli
):
    spotify_server.revoke_refresh_tokens()

    run = run_cli(spotify_server.tap_config(**fast_retries))

    _assert_explained(
        run,
        "invalid_grant: Refresh token revoked",
        "refresh_token setting",
        "tap-spotify-recent auth",
        "meltano config set tap-spotify-recent refresh_token",
    )
    assert spotify_server.api_requests() == []


def test_wrong_client_secret_names_client_id_and_secret(fast_retries, spotify_server, run_cli):
    run = run_cli(spotify_server.tap_config(client_secret="not-the-secret", **fast_retries))

    _assert_explained(run, "invalid_client: Invalid client secret", "client_id and client_secret")


def test_missing_scope_names_the_scope(fast_retries, spotify_server, run_cli):
    token_without_scope = spotify_server.issue_refresh_token(scopes=["user-read-email"])

    run = run_cli(spotify_server.tap_config(refresh_token=token_without_scope, **fast_retries))

    _assert_explained(
        run, "Insufficient client scope", "user-read-recently-played", "tap-spotify-recent auth"
    )


def test_unregistered_user_is_told_to_add_the_account_to_the_allowlist(
    fast_retries, spotify_server, run_cli
):
    spotify_server.user_registered = False

    run = run_cli(spotify_server.tap_config(**fast_retries))

    _assert_explained(
        run, "User not registered in the Developer Dashboard", "allowlist", "allow 5 users"
    )


def test_persistent_server_errors_stop_after_the_configured_tries(
    fast_retries, spotify_server, run_cli
):
    spotify_server.fail_next("server_error", times=10)

    run = run_cli(spotify_server.tap_config(**fast_retries))

    _assert_explained(run, "did not answer after 3 tries", "503 Service Unavailable")
    assert _statuses(spotify_server.api_requests()) == [503, 503, 503]


def test_retry_after_beyond_the_limit_stops_at_once(fast_retries, spotify_server, run_cli):
    spotify_server.fail_next("rate_limited", retry_after=3600)

    run = run_cli(spotify_server.tap_config(max_retry_after_seconds=60, **fast_retries))

    _assert_explained(run, "wait 3600 seconds", "max_retry_after_seconds (60)")
    assert _statuses(spotify_server.api_requests()) == [429]


def test_second_401_after_a_refresh_stops_the_run(fast_retries, spotify_server, run_cli):
    spotify_server.fail_next("token_expired", times=2)

    run = run_cli(spotify_server.tap_config(**fast_retries))

    _assert_explained(run, "rejected a freshly refreshed access token")
    assert _statuses(spotify_server.api_requests()) == [401, 401]


def test_unreachable_api_is_explained(fast_retries, spotify_server, run_cli):
    config = spotify_server.tap_config(api_url="http://127.0.0.1:9/v1", **fast_retries)

    run = run_cli(config)

    _assert_explained(run, "did not answer after 3 tries", "ConnectionError")


def test_wrong_api_path_points_at_the_api_url_setting(fast_retries, spotify_server, run_cli):
    run = run_cli(spotify_server.tap_config(api_url=f"{spotify_server.url}/v2", **fast_retries))

    _assert_explained(run, "404", "api_url")


def test_api_url_answering_a_web_page_names_the_setting_and_what_came_back(
    fast_retries, spotify_server, other_site, run_cli
):
    run = run_cli(spotify_server.tap_config(api_url=other_site.url, **fast_retries))

    _assert_explained(
        run,
        f"The api_url setting ({other_site.url}/me/player/recently-played?limit=50) does not "
        "answer like Spotify's Web API: it answered HTTP 200 (text/html) '<!DOCTYPE html> "
        "<html> <head> <title>Welcome to nginx!</title> </head> <body> <h…'. Check the api_url "
        "setting.",
    )
    assert other_site.requests == ["GET /me/player/recently-played?limit=50"]  # no retries


def test_api_url_answering_other_json_names_the_setting_and_its_keys(
    fast_retries, spotify_server, other_site, run_cli
):
    other_site.reply = (200, "application/json", '{"status": "ok", "version": "2.1"}')

    run = run_cli(spotify_server.tap_config(api_url=other_site.url, **fast_retries))

    _assert_explained(
        run,
        f"The api_url setting ({other_site.url}/me/player/recently-played?limit=50) does not "
        "answer like Spotify's Web API: HTTP 200 with JSON that has no items list (its keys: "
        "status, version). Check the api_url setting.",
    )
    assert run.messages[-1]["type"] != "RECORD"
    assert "recently_played" not in run.records


def test_token_url_answering_a_web_page_names_the_setting_and_what_came_back(
    fast_retries, spotify_server, other_site, run_cli
):
    other_site.reply = (200, "text/html; charset=utf-8", "<html><body>Sign in to the Wi-Fi")

    run = run_cli(spotify_server.tap_config(token_url=f"{other_site.url}/token", **fast_retries))

    _assert_explained(
        run,
        f"The token_url setting ({other_site.url}/token) does not answer like Spotify's token "
        "endpoint: it answered HTTP 200 (text/html; charset=utf-8) '<html><body>Sign in to the "
        "Wi-Fi'. Check the token_url setting.",
    )
    assert other_site.requests == ["POST /token"]
    assert spotify_server.api_requests() == []


def test_token_response_without_access_token_names_its_keys_not_its_values(
    fast_retries, spotify_server, other_site, run_cli
):
    other_site.reply = (200, "application/json", '{"token_type": "Bearer", "id_token": "eyJ.x"}')

    run = run_cli(spotify_server.tap_config(token_url=f"{other_site.url}/token", **fast_retries))

    _assert_explained(
        run,
        f"The token_url setting ({other_site.url}/token) answered HTTP 200 with JSON that has no "
        "access_token (its keys: id_token, token_type): it does not look like Spotify's token "
        "endpoint. Check the token_url setting.",
    )
    assert "eyJ.x" not in run.stderr
    assert "KeyError" not in run.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("start_date", "yesterday"),
        ("start_date", "2026-13-01T00:00:00Z"),
        ("refresh_token_obtained_at", "last week"),
        ("api_url", "api.spotify.com/v1"),
        ("token_url", "ftp://accounts.spotify.com/api/token"),
    ],
)
def test_an_unusable_date_or_url_setting_is_named_before_any_request(
    setting, value, spotify_server, run_cli
):
    run = run_cli({**spotify_server.tap_config(), setting: value})

    _assert_config_refused(run, f"{setting}: {value!r} is not")
    assert run.messages == []
    assert spotify_server.api_requests() == []


def test_every_config_problem_is_listed_at_once(spotify_server, run_cli):
    config = {**spotify_server.tap_config(), "start_date": "soon"}
    del config["client_id"]

    run = run_cli(config)

    _assert_config_refused(
        run,
        "client_id: not set; it is required to read recently_played (the live feed); importing "
        "a data export alone (history_path) needs no Spotify credentials",
        "start_date: 'soon' is not",
    )


# -- the refresh token's six-month life -------------------------------------------------------


def _obtained_for_expiry_in(days: int) -> str:
    """A refresh_token_obtained_at whose six-month expiry is ``days`` from today."""
    return add_months(datetime.now(timezone.utc).date() + timedelta(days=days), -6).isoformat()


@pytest.mark.parametrize(
    ("obtained_at", "level", "phrase"),
    [
        (_obtained_for_expiry_in(10), logging.WARNING, "refresh token expires in"),
        (_obtained_for_expiry_in(-31), logging.ERROR, "refresh token expired on"),
    ],
    ids=["10-days-left", "expired-a-month-ago"],
)
def test_refresh_token_age_is_announced(
    spotify_server, sync_tap, caplog, obtained_at, level, phrase
):
    with caplog.at_level(logging.INFO):
        sync_tap(spotify_server.tap_config(refresh_token_obtained_at=obtained_at))

    [notice] = [r for r in caplog.records if "refresh_token_obtained_at" in r.getMessage()]
    assert notice.levelno == level
    assert phrase in notice.getMessage()
    assert "tap-spotify-recent auth" in notice.getMessage()


def test_refresh_token_with_months_left_is_not_announced(spotify_server, sync_tap, caplog):
    with caplog.at_level(logging.INFO):
        sync_tap(spotify_server.tap_config(refresh_token_obtained_at=_obtained_for_expiry_in(40)))

    assert "refresh_token_obtained_at" not in caplog.text


@pytest.mark.parametrize(
    ("obtained", "today", "expected"),
    [
        (date(2026, 6, 1), date(2026, 11, 17), None),
        (
            date(2026, 6, 1),
            date(2026, 11, 18),
            (logging.WARNING, "expires in 13 days, on 2026-12-01"),
        ),
        (
            date(2026, 6, 1),
            date(2026, 12, 1),
            (logging.WARNING, "expires in 0 days, on 2026-12-01"),
        ),
        (date(2026, 6, 1), date(2026, 12, 2), (logging.ERROR, "expired on 2026-12-01")),
        (
            date(2026, 8, 31),
            date(2027, 2, 27),
            (logging.WARNING, "expires in 1 day, on 2027-02-28"),
        ),
    ],
    ids=["14-days-left", "13-days-left", "last-day", "day-after", "month-end-clamped"],
)
def test_refresh_token_expires_six_calendar_months_after_it_was_obtained(obtained, today, expected):
    notice = refresh_token_age_notice(obtained.isoformat(), today)

    if expected is None:
        assert notice is None
        return
    level, message = notice
    assert level == expected[0]
    assert expected[1] in message
