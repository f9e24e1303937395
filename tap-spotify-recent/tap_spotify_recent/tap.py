"""TapSpotifyRecent: settings and streams."""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from singer_sdk import Tap
from singer_sdk import typing as th

from tap_spotify_recent.errors import AUTH_COMMAND, SCOPE

if t.TYPE_CHECKING:
    from singer_sdk import Stream


class TapSpotifyRecent(Tap):
    """Singer tap for your Spotify listening history (recently played tracks)."""

    name = "tap-spotify-recent"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType(min_length=1),
            required=True,
            description="Client ID of your app in the Spotify Developer Dashboard.",
        ),
        th.Property(
            "client_secret",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            description="Client secret of that app.",
        ),
        th.Property(
            "refresh_token",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            description=(
                f"Refresh token with the scope {SCOPE}; `{AUTH_COMMAND}` gets one. "
                "The tap exchanges it for access tokens (authorization code flow)."
            ),
        ),
        th.Property(
            "refresh_token_obtained_at",
            th.DateType,
            description=(
                f"Date the refresh token was obtained (`{AUTH_COMMAND}` prints it). Spotify "
                "refresh tokens expire six months later: the tap warns 14 days ahead and "
                "logs an error once expired."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            description=(
                "Earliest played_at to emit. Spotify only serves the last 50 plays, so this "
                "only trims the first run."
            ),
        ),
        th.Property(
            "api_url",
            th.StringType,
            default="https://api.spotify.com/v1",
            description="Base URL of the Spotify Web API (for tests or a proxy).",
        ),
        th.Property(
            "token_url",
            th.StringType,
            default="https://accounts.spotify.com/api/token",
            description="Spotify's token endpoint (for tests or a proxy).",
        ),
        th.Property(
            "request_max_tries",
            th.IntegerType(minimum=1),
            default=5,
            description="Tries per request on 429, 5xx and connection errors before giving up.",
        ),
        th.Property(
            "backoff_base_seconds",
            th.NumberType(minimum=0),
            default=2,
            description="First wait after a 5xx or connection error; it doubles on each retry.",
        ),
        th.Property(
            "max_retry_after_seconds",
            th.IntegerType(minimum=0),
            default=120,
            description=(
                "Longest Retry-After (429) the tap waits for; a longer one ends the run with "
                "an error, and the next run catches up."
            ),
        ),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        """The streams; imported here so `--about` stays quick."""
        from tap_spotify_recent.streams import (
            ListeningGapsStream,
            RecentlyPlayedStream,
        )

        return [RecentlyPlayedStream(self), ListeningGapsStream(self)]

    def sync_all(self) -> None:
        """Warn about an expiring refresh token, then sync."""
        obtained_at = self.config.get("refresh_token_obtained_at")
        if obtained_at:
            from tap_spotify_recent.auth import refresh_token_age_notice

            notice = refresh_token_age_notice(obtained_at, datetime.now(timezone.utc).date())
            if notice:
                self.logger.log(*notice)
        super().sync_all()
