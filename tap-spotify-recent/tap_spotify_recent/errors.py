"""Failures a user can act on, with the message that says how.

Kept free of singer_sdk imports: the `auth` command uses it and must start fast.
"""

from __future__ import annotations

import json
import typing as t
from urllib.parse import parse_qsl

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests

SCOPE = "user-read-recently-played"
AUTH_COMMAND = "tap-spotify-recent auth"
REAUTHORIZE = (
    f"Get a new refresh token with `{AUTH_COMMAND}` (in a Meltano project: "
    "`meltano invoke tap-spotify-recent:auth`) and store it with "
    "`meltano config set tap-spotify-recent refresh_token <token>`."
)


EXCERPT_CHARACTERS = 80


class TapError(Exception):
    """An expected failure: the CLI prints the message and exits 1, without a traceback."""


def json_object(
    response: requests.Response, *, setting: str, expected: str, secrets: Iterable[str] = ()
) -> dict[str, t.Any]:
    """The JSON object of a successful answer; anything else names ``setting`` and what came.

    A wrong URL (a web page, a captive portal, another API) often answers 200 with HTML.

    Raises:
        TapError: The answer is not a JSON object.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    msg = (
        f"The {setting} setting ({response.url}) does not answer like {expected}: it answered "
        f"{answer_summary(response, secrets)}. Check the {setting} setting."
    )
    raise TapError(msg)


def token_answer(
    response: requests.Response, *, grant: str, client_secret: str
) -> dict[str, t.Any]:
    """The token endpoint's JSON object, or the error explaining why it refused ``grant``."""
    if not response.ok:
        raise token_endpoint_error(response, grant=grant)
    return json_object(
        response,
        setting="token_url",
        expected="Spotify's token endpoint",
        secrets=(client_secret,),
    )


def token_without(name: str, response: requests.Response, token: dict[str, t.Any]) -> TapError:
    """A token endpoint's JSON that lacks ``name``: name its keys (never their values)."""
    keys = ", ".join(sorted(token)) or "none"
    return TapError(
        f"The token_url setting ({response.url}) answered HTTP {response.status_code} with JSON "
        f"that has no {name} (its keys: {keys}): it does not look like Spotify's token "
        "endpoint. Check the token_url setting."
    )


def answer_summary(response: requests.Response, secrets: Iterable[str] = ()) -> str:
    """Status, content type and the start of the body on one line.

    Masked: ``secrets`` and whatever the request sent that an echoing server could quote
    back (the Authorization credentials, the form's values).
    """
    text = " ".join(response.text.split())
    for secret in sorted({*secrets, *_sent_secrets(response.request)}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    excerpt = text[:EXCERPT_CHARACTERS] + ("…" if len(text) > EXCERPT_CHARACTERS else "")
    content_type = response.headers.get("Content-Type") or "no content type"
    return f"HTTP {response.status_code} ({content_type}) {excerpt!r}"


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


def _sent_secrets(request: requests.PreparedRequest) -> set[str]:
    """The Authorization credentials and the form values (bar the grant type) of a request."""
    sent: set[str] = set()
    authorization = request.headers.get("Authorization")
    if isinstance(authorization, str) and authorization:
        sent.add(authorization.partition(" ")[2])
    if isinstance(request.body, str):
        sent |= {value for name, value in parse_qsl(request.body) if name != "grant_type"}
    return sent
