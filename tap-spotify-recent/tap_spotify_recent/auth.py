"""Access tokens from Spotify's refresh-token grant, and the refresh token's six-month life."""

from __future__ import annotations

import base64
import logging
from datetime import date, datetime, timezone

import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import override

from tap_spotify_recent.errors import (
    REAUTHORIZE,
    spotify_message,
    token_answer,
    token_without,
)
from tap_spotify_recent.instants import add_months, parse_instant

DEFAULT_TOKEN_LIFETIME = 3600  # Spotify's documented `expires_in`
REFRESH_MARGIN_SECONDS = 120  # refresh this early, so a token never expires mid-request
TOKEN_TIMEOUT_SECONDS = 30
REFRESH_TOKEN_LIFETIME_MONTHS = 6  # since 2026-07-20, counted from the user's authorization
WARN_DAYS_BEFORE_EXPIRY = 14


class SpotifyAuthenticator(OAuthAuthenticator):
    """Bearer tokens from ``POST {token_url}`` with ``grant_type=refresh_token``.

    The app's credentials go in an HTTP Basic header (authorization code flow). Tokens are
    refreshed shortly before they expire, and again when the API answers 401 (the stream calls
    :meth:`invalidate`). If Spotify returns a new refresh token, the run goes on with it.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        token_url: str,
    ) -> None:
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        super().__init__(
            auth_endpoint=token_url,
            client_id=client_id,
            client_secret=client_secret,
            default_expiration=DEFAULT_TOKEN_LIFETIME,
            oauth_headers={"Authorization": f"Basic {basic}"},
        )
        self.refresh_token = refresh_token
        self.logger = logging.getLogger(__name__)

    @property
    @override
    def oauth_request_body(self) -> dict:
        """The refresh-token grant."""
        return {"grant_type": "refresh_token", "refresh_token": self.refresh_token}

    @override
    def is_token_valid(self) -> bool:
        """Whether the access token still has more than the refresh margin to live."""
        if self.access_token is None or self.last_refreshed is None:
            return False
        lifetime = self.expires_in or DEFAULT_TOKEN_LIFETIME
        margin = min(REFRESH_MARGIN_SECONDS, lifetime / 10)
        age = (datetime.now(timezone.utc) - self.last_refreshed).total_seconds()
        return age < lifetime - margin

    def invalidate(self) -> None:
        """Forget the access token, so the next request gets a new one."""
        self.last_refreshed = None

    @override
    def update_access_token(self) -> None:
        """Get a new access token; keep a rotated refresh token.

        Raises:
            RetriableAPIError: On 429 or 5xx, for the stream's backoff to retry.
            TapError: When Spotify refuses the refresh token or the app credentials.
        """
        self.logger.info("Requesting a Spotify access token from %s", self.auth_endpoint)
        requested_at = datetime.now(timezone.utc)
        # Plain requests, not the SDK's session: its own retries would stack on the stream's.
        response = requests.post(
            self.auth_endpoint,
            headers=self._oauth_headers,
            data=self.oauth_request_body,
            timeout=TOKEN_TIMEOUT_SECONDS,
        )
        if response.status_code == 429 or response.status_code >= 500:
            msg = f"token endpoint answered {response.status_code} ({spotify_message(response)})"
            raise RetriableAPIError(msg, response)
        token = token_answer(
            response, grant="refresh_token", client_secret=self.client_secret or ""
        )
        access_token = token.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise token_without("access_token", response, token)
        self.access_token = access_token
        expires_in = token.get("expires_in")
        self.expires_in = expires_in if type(expires_in) is int else DEFAULT_TOKEN_LIFETIME
        self.last_refreshed = requested_at
        rotated = token.get("refresh_token")
        if rotated and rotated != self.refresh_token:
            self.refresh_token = rotated
            self.logger.warning(
                "Spotify rotated the refresh token: this run goes on with the new one. The "
                "stored refresh_token may stop working; if a later run reports invalid_grant: %s",
                REAUTHORIZE,
            )


def refresh_token_expires_on(obtained_at: str) -> date:
    """The day a refresh token obtained on ``obtained_at`` expires: six months later."""
    return add_months(parse_instant(obtained_at).date(), REFRESH_TOKEN_LIFETIME_MONTHS)


def refresh_token_age_notice(obtained_at: str, today: date) -> tuple[int, str] | None:
    """A log level and message when the refresh token is near or past its six-month expiry."""
    obtained = parse_instant(obtained_at).date()
    expires = refresh_token_expires_on(obtained_at)
    days_left = (expires - today).days
    if days_left < 0:
        return logging.ERROR, (
            f"The Spotify refresh token expired on {expires}, six months after "
            f"refresh_token_obtained_at ({obtained}). {REAUTHORIZE} Then set "
            "refresh_token_obtained_at to the date it prints."
        )
    if days_left < WARN_DAYS_BEFORE_EXPIRY:
        plural = "" if days_left == 1 else "s"
        return logging.WARNING, (
            f"The Spotify refresh token expires in {days_left} day{plural}, on {expires} "
            f"(six months after refresh_token_obtained_at, {obtained}). {REAUTHORIZE}"
        )
    return None
