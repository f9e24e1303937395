"""Failures a user can act on, with the message that says how.

Kept free of singer_sdk imports: the `auth` command uses it and must start fast.
"""

from __future__ import annotations

import json
import typing as t

if t.TYPE_CHECKING:
    import requests

SCOPE = "user-read-recently-played"
AUTH_COMMAND = "tap-spotify-recent auth"
REAUTHORIZE = (
    f"Get a new refresh token with `{AUTH_COMMAND}` (in a Meltano project: "
    "`meltano invoke tap-spotify-recent:auth`) and store it with "
    "`meltano config set tap-spotify-recent refresh_token <token>`."
)


class TapError(Exception):
    """An expected failure: the CLI prints the message and exits 1, without a traceback."""


def spotify_message(response: requests.Response) -> str:
    """The human part of a Spotify error body (Web API or Accounts style), or the raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or response.reason)
    if isinstance(error, str):
        description = body.get("error_description")
        return f"{error}: {description}" if description else error
    return json.dumps(body)[:200]


def token_endpoint_error(response: requests.Response, *, grant: str) -> TapError:
    """Explain a refused token request; ``grant`` says what was sent (refresh token or code)."""
    message = spotify_message(response)
    if message.startswith("invalid_client"):
        return TapError(
            f"Spotify rejected the app credentials ({message}). Check the client_id and "
            "client_secret settings against your app in the Spotify Developer Dashboard "
            "(https://developer.spotify.com/dashboard)."
        )
    if message.startswith("invalid_grant") and grant == "refresh_token":
        return TapError(
            f"Spotify rejected the refresh_token setting ({message}): it was revoked, has "
            f"expired (they last six months) or belongs to another app. {REAUTHORIZE}"
        )
    if message.startswith("invalid_grant"):
        return TapError(
            f"Spotify rejected the authorization code ({message}): codes work once and "
            f"expire after a few minutes. Run `{AUTH_COMMAND}` again."
        )
    return TapError(
        f"The Spotify token endpoint {response.url} refused the {grant} grant with "
        f"HTTP {response.status_code} ({message}). Check the token_url setting."
    )


def forbidden_error(message: str) -> TapError:
    """Explain a 403 from the Web API by the cause Spotify names."""
    if "scope" in message.lower():
        return TapError(
            f"Spotify refused the request: {message}. The refresh token was granted without "
            f"the scope {SCOPE}. {REAUTHORIZE}"
        )
    if "not registered" in message.lower():
        return TapError(
            f"Spotify refused the request: {message}. Add the Spotify account to your app's "
            "user allowlist (Developer Dashboard > your app > User Management; "
            "development-mode apps allow 5 users), then run the tap again."
        )
    return TapError(
        f"Spotify refused the request (403: {message}). Development-mode apps lose access "
        "when the app owner's Premium subscription lapses; check the app in the Developer "
        "Dashboard."
    )
