"""TapSpotifyRecent: settings and streams."""

from __future__ import annotations

import json
import typing as t
from datetime import datetime, timezone
from urllib.parse import urlsplit

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from typing_extensions import override

from tap_spotify_recent.errors import AUTH_COMMAND, SCOPE, TapError
from tap_spotify_recent.genres.settings import GENRE_SETTINGS, genre_setting_errors
from tap_spotify_recent.genres.sightings import ARTIST_GENRES
from tap_spotify_recent.incremental import STATE_ADVICE
from tap_spotify_recent.instants import parse_instant

if t.TYPE_CHECKING:
    from singer_sdk import Stream


#: The settings the live feed (recently_played, listening_gaps) needs; an export import does not.
CREDENTIALS = ("client_id", "client_secret", "refresh_token")
LIVE_STREAMS = ("recently_played", "listening_gaps")
#: Where each stream syncs; the others (the live feed) sync at 1.
SYNC_ORDER = {"streaming_history": 0, ARTIST_GENRES: 2, "sync_runs": 3}
FOR_THE_LIVE_FEED = (
    "to read recently_played (the live feed); importing a data export alone (history_path) "
    "needs no Spotify credentials"
)


class TapSpotifyRecent(Tap):
    """Singer tap for your Spotify listening history: recently played, and your data export."""

    name = "tap-spotify-recent"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType(min_length=1),
            description=(
                "Client ID of your app in the Spotify Developer Dashboard. Required, with "
                f"client_secret and refresh_token, {FOR_THE_LIVE_FEED}."
            ),
        ),
        th.Property(
            "client_secret",
            th.StringType(min_length=1),
            secret=True,
            description=f"Client secret of that app. Required {FOR_THE_LIVE_FEED}.",
        ),
        th.Property(
            "refresh_token",
            th.StringType(min_length=1),
            secret=True,
            description=(
                f"Refresh token with the scope {SCOPE}; `{AUTH_COMMAND}` gets one. "
                "The tap exchanges it for access tokens (authorization code flow). Required "
                f"{FOR_THE_LIVE_FEED}."
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
        th.Property(
            "run_trigger",
            th.StringType,
            description=(
                "What started this run, recorded in the sync_runs stream (e.g. schedule, "
                "workflow_dispatch, cron); the sync workflow sets it."
            ),
        ),
        th.Property(
            "history_path",
            th.StringType,
            description=(
                "Your Spotify data export, to import into the streaming_history stream: the "
                "zip as downloaded, the folder it unzips to (zips inside are read too), or "
                "one JSON file. Reads Extended streaming history (Streaming_History_Audio_*, "
                "Streaming_History_Video_*, endsong_*) and Account data (StreamingHistory*). "
                "Unset: streaming_history emits nothing."
            ),
        ),
        th.Property(
            "history_keep_personal_fields",
            th.BooleanType,
            default=False,
            description=(
                "Keep ip_addr, user_agent_decrypted, conn_country and username in "
                "streaming_history records; they are dropped by default."
            ),
        ),
        th.Property(
            "history_skip_malformed",
            th.BooleanType,
            default=False,
            description=(
                "Import the rest of the export past a malformed entry, logging each one "
                "skipped with its file and index. By default the import stops at the first "
                "one and names it."
            ),
        ),
        *GENRE_SETTINGS,
    ).to_dict()

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Validate the schema, then the formats JSON Schema leaves unchecked (dates, URLs).

        A bad `start_date` would otherwise surface mid-sync as a bare ValueError
        that does not say which setting to fix.
        """
        errors = (
            credential_errors(self._config)
            + format_errors(self._config)
            + genre_setting_errors(self._config)
        )
        try:
            schema_errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as error:
            schema_errors = error.errors
        if raise_errors and (schema_errors or errors):
            raise ConfigValidationError(
                "Config validation failed",
                errors=schema_errors + errors,
                schema=self.config_jsonschema,
            )
        return schema_errors + errors

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """Load the state, refusing one that is not shaped like a Singer state.

        Raises:
            TapError: `state` or its `bookmarks` is not an object of objects.
        """
        bookmarks = state.get("bookmarks", {}) if isinstance(state, dict) else None
        if not isinstance(bookmarks, dict) or not all(
            isinstance(stream_state, dict) for stream_state in bookmarks.values()
        ):
            msg = (
                "The state is not a Singer state: expected "
                '{"bookmarks": {"<stream>": {...}}}, got '
                f"{json.dumps(state)[:200]}. {STATE_ADVICE}"
            )
            raise TapError(msg)
        super().load_state(state)

    @override
    def discover_streams(self) -> list[Stream]:
        """The streams; imported here so `--about` stays quick."""
        from tap_spotify_recent.genres.stream import ArtistGenresStream
        from tap_spotify_recent.streams import (
            ListeningGapsStream,
            RecentlyPlayedStream,
            StreamingHistoryStream,
        )
        from tap_spotify_recent.sync_runs import SyncRunsStream

        return [
            RecentlyPlayedStream(self),
            ListeningGapsStream(self),
            StreamingHistoryStream(self),
            ArtistGenresStream(self),
            SyncRunsStream(self),
        ]

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        """The streams in sync order: export, live feed, ``artist_genres``, ``sync_runs``.

        The import makes no request, so a wrong history_path fails before the live feed
        writes anything, and a refused token or an unreachable Spotify cannot stop it.
        ``artist_genres`` looks up the artists of the plays the others emitted in this run;
        ``sync_runs`` records what they all did. (The SDK loads them sorted by name.)
        """
        loaded = super().streams
        return dict(sorted(loaded.items(), key=lambda item: SYNC_ORDER.get(item[0], 1)))

    # The SDK marks sync_all final and offers no hook before the streams sync: this runs the
    # tap's checks first, then the SDK's sync_all unchanged.
    @override  # type: ignore[misc]
    def sync_all(self) -> None:
        """Sync; without credentials (an export import), skip the live feed and say so.

        Also warns about a refresh token near or past its six-month expiry.
        """
        live = [self.streams[name] for name in LIVE_STREAMS if self.streams[name].selected]
        missing = [name for name in CREDENTIALS if not self.config.get(name)]
        if live and missing:  # config validation allows this only with history_path
            self.logger.warning(
                "Importing only the data export at history_path: recently_played and "
                "listening_gaps (the live feed) are skipped, as %s %s not set. To sync the "
                "live feed too, set client_id, client_secret and refresh_token (`%s`).",
                " and ".join(missing),
                "is" if len(missing) == 1 else "are",
                AUTH_COMMAND,
            )
            for stream in live:
                stream.selected = False
            # sync_runs describes a sync of the live feed; an import alone is not one.
            self.streams["sync_runs"].selected = False
        obtained_at = self.config.get("refresh_token_obtained_at")
        if obtained_at and not missing:
            from tap_spotify_recent.auth import refresh_token_age_notice

            notice = refresh_token_age_notice(obtained_at, datetime.now(timezone.utc).date())
            if notice:
                self.logger.log(*notice)
        from tap_spotify_recent.sync_runs import SyncRunsStream

        runs = self.streams.get(SyncRunsStream.name)
        if isinstance(runs, SyncRunsStream):
            runs.begin()
        super().sync_all()


def credential_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Messages naming each missing credential, unless an export is imported (history_path)."""
    if config.get("history_path"):
        return []
    return [
        f"{name}: not set; it is required {FOR_THE_LIVE_FEED}"
        for name in CREDENTIALS
        if not config.get(name)
    ]


def format_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Messages naming each date or URL setting whose value cannot be used."""
    errors = []
    for name, example in (
        ("start_date", "2026-01-31T00:00:00Z"),
        ("refresh_token_obtained_at", "2026-01-31"),
    ):
        value = config.get(name)
        if value is None or value == "":
            continue
        try:
            parse_instant(str(value))
        except ValueError:
            problem = f"is not an RFC 3339 date or date-time (e.g. {example})"
            errors.append(f"{name}: {value!r} {problem}")
    for name in ("api_url", "token_url"):
        value = config.get(name)
        if not isinstance(value, str):
            continue
        url = urlsplit(value)
        if url.scheme not in {"http", "https"} or not url.netloc:
            errors.append(f"{name}: {value!r} is not an http(s):// URL")
    return errors
