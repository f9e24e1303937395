"""The ``sync_runs`` stream: one record per successful run, so a year of runs can be checked.

A scheduler that starts runs late, or not at all, loses plays without an error anywhere. Each
run therefore leaves a record of itself: when it ran, what started it, where the bookmark
stood before and after, what Spotify served, whether plays may have been lost, how many API
requests it took and when the refresh token expires. The stream is synced last (the tap orders
it so) and reads what the other streams did; a run that fails writes no record, so the newest
record is the last successful run.
"""

from __future__ import annotations

import secrets
import typing as t

from singer_sdk import Stream
from singer_sdk import typing as th
from typing_extensions import override

from tap_spotify_recent.auth import refresh_token_expires_on
from tap_spotify_recent.client import SpotifyStream
from tap_spotify_recent.instants import utc_now_text

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, TapState

    from tap_spotify_recent.incremental import Selection

RECENTLY_PLAYED = "recently_played"

SYNC_RUN = th.PropertiesList(
    th.Property(
        "run_id",
        th.StringType,
        required=True,
        description=(
            "started_at followed by 8 random hex digits: unique, and in start order when "
            "sorted as text (a key index finds the newest run without reading the others)."
        ),
    ),
    th.Property("started_at", th.DateTimeType, required=True, description="When the run began."),
    th.Property(
        "finished_at",
        th.DateTimeType,
        required=True,
        description="When every other stream had synced (the run's records were all written).",
    ),
    th.Property(
        "trigger",
        th.StringType,
        description="What started the run: the run_trigger setting (schedule, cron, ...).",
    ),
    th.Property("tap_version", th.StringType, description="Version of tap-spotify-recent."),
    th.Property(
        "bookmark_before",
        th.DateTimeType,
        description="Newest play stored before the run (null on a first run).",
    ),
    th.Property(
        "bookmark_after",
        th.DateTimeType,
        description="Newest play stored after the run.",
    ),
    th.Property(
        "plays_served",
        th.IntegerType,
        description="Plays Spotify returned (at most 50); null when recently_played did not run.",
    ),
    th.Property(
        "plays_emitted",
        th.IntegerType,
        description="Plays not seen before, emitted to recently_played.",
    ),
    th.Property(
        "gap_detected",
        th.BooleanType,
        description="Whether plays may have been lost since the last run (see listening_gaps).",
    ),
    th.Property(
        "api_requests",
        th.IntegerType,
        description="Requests answered by the Spotify Web API, retries included.",
    ),
    th.Property(
        "refresh_token_expires_on",
        th.DateType,
        description="Six months after refresh_token_obtained_at; null when that is not set.",
    ),
).to_dict()


class SyncRunsStream(Stream):
    """One record per run, written after every other stream synced."""

    name = "sync_runs"
    primary_keys: t.ClassVar[list[str]] = ["run_id"]
    schema = SYNC_RUN

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap)
        self._started_at: str | None = None
        self._bookmark_before: str | None = None
        self._api_requests = 0

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        """Never: a new table version would make targets delete the earlier runs."""
        return False

    def begin(self) -> None:
        """Note the start and the bookmark, and count the Spotify requests from now on.

        Called by the tap before any stream syncs.
        """
        self._started_at = utc_now_text()
        self._bookmark_before = _bookmark(self._tap.state)
        for stream in self._tap.streams.values():
            if isinstance(stream, SpotifyStream):
                stream.requests_session.hooks["response"].append(self._count_response)

    def _count_response(self, response: requests.Response, *_args: t.Any, **_kwargs: t.Any) -> None:
        self._api_requests += 1

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """This run's record."""
        started_at = self._started_at or utc_now_text()
        recent = self._tap.streams.get(RECENTLY_PLAYED)
        selection: Selection | None = getattr(recent, "last_selection", None)
        obtained_at = self.config.get("refresh_token_obtained_at")
        yield {
            "run_id": f"{started_at}-{secrets.token_hex(4)}",
            "started_at": started_at,
            "finished_at": utc_now_text(),
            "trigger": self.config.get("run_trigger") or None,
            "tap_version": self._tap.plugin_version,
            "bookmark_before": self._bookmark_before,
            "bookmark_after": _bookmark(self._tap.state),
            "plays_served": None if selection is None else len(selection.window),
            "plays_emitted": None if selection is None else len(selection.plays),
            "gap_detected": None if selection is None else selection.gap is not None,
            "api_requests": self._api_requests,
            "refresh_token_expires_on": (
                refresh_token_expires_on(obtained_at).isoformat() if obtained_at else None
            ),
        }


def _bookmark(state: TapState) -> str | None:
    """The recently_played bookmark in a tap state."""
    stream_state = state.get("bookmarks", {}).get(RECENTLY_PLAYED, {})
    return stream_state.get("replication_key_value")
