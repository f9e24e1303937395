"""The listening-history streams: recently-played, the gaps between runs, the data export."""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qs

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseHATEOASPaginator
from typing_extensions import override

from tap_spotify_recent.client import SpotifyStream, TapStream
from tap_spotify_recent.errors import TapError
from tap_spotify_recent.genres.sightings import NotesExportedArtists, NotesLiveArtists
from tap_spotify_recent.incremental import (
    PAGE_SIZE,
    WINDOW_KEY,
    PreviousRun,
    select_plays,
)
from tap_spotify_recent.instants import parse_instant, utc_now_text
from tap_spotify_recent.schemas import LISTENING_GAP, PLAY_HISTORY, streaming_history_schema

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from urllib.parse import ParseResult

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, Record

    from tap_spotify_recent.incremental import Selection

GAP_ADVICE = (
    "Spotify only serves the last 50 plays. Backfill the gap from your Spotify data export "
    "(Account > Privacy settings > Extended streaming history, "
    "https://www.spotify.com/account/privacy/), and run the tap more often than 50 plays "
    "take (every 10-30 minutes)."
)


class OverflowPaginator(BaseHATEOASPaginator):
    """Follows ``next`` only while a full page is still newer than ``floor``.

    Normally the first page reaches back to the bookmark and the run makes one API call. Only
    when it does not is ``next`` asked: Spotify documents an empty page there today, and the
    paginator reads whatever it would serve if that changed.
    """

    def __init__(self, floor: datetime | None) -> None:
        super().__init__()
        self.floor = floor

    @override
    def get_next_url(self, response: requests.Response) -> str | None:
        """Spotify's ``next`` link."""
        return response.json().get("next")

    @override
    def has_more(self, response: requests.Response) -> bool:
        """Whether the page was full and all of it is newer than the floor."""
        items = response.json().get("items") or []
        if len(items) < PAGE_SIZE:
            return False
        oldest = min(parse_instant(item["played_at"]) for item in items)
        return self.floor is None or oldest > self.floor


class RecentlyPlayedStream(NotesLiveArtists, SpotifyStream):
    """One record per play, from ``GET /me/player/recently-played`` (late-play safe)."""

    name = "recently_played"
    path = "/me/player/recently-played"
    primary_keys: t.ClassVar[list[str]] = ["played_at"]
    replication_key = "played_at"
    is_sorted = False
    records_jsonpath = "$.items[*]"
    schema = PLAY_HISTORY

    _floor: datetime | None = None
    _pending_gap: dict[str, str] | None = None
    #: This run's selection, for the sync_runs record; None until the stream has synced.
    last_selection: Selection | None = None

    @override
    def answer(self, response: requests.Response) -> dict[str, t.Any]:
        """A recently-played page: a JSON object with an ``items`` list."""
        page = super().answer(response)
        if not isinstance(page.get("items"), list):
            keys = ", ".join(sorted(page)) or "none"
            msg = (
                f"The api_url setting ({response.url}) does not answer like Spotify's Web API: "
                f"HTTP {response.status_code} with JSON that has no items list (its keys: "
                f"{keys}). Check the api_url setting."
            )
            raise TapError(msg)
        return page

    @override
    def get_new_paginator(self) -> OverflowPaginator:
        """Page back only past a full page that is newer than the bookmark."""
        return OverflowPaginator(self._floor)

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: ParseResult | None
    ) -> dict[str, t.Any]:
        """Always the whole window; on a next page only its ``before`` cursor, never its host."""
        params: dict[str, t.Any] = {"limit": PAGE_SIZE}
        if next_page_token is not None:
            params.update(
                (key, values[0])
                for key, values in parse_qs(next_page_token.query).items()
                if key == "before"
            )
        return params

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Emit the plays not emitted before (oldest first), then remember the window."""
        previous = PreviousRun.from_state(self.get_context_state(context))
        start = parse_instant(self.config["start_date"]) if self.config.get("start_date") else None
        self._floor = previous.bookmark_instant or start
        selection = select_plays(
            self.request_records(context),
            previous,
            start=start,
            detected_at=utc_now_text(),
        )
        if selection.gap:
            self.logger.warning(
                "Possible gap in the listening history: all %d plays Spotify served are newer "
                "than the bookmark, so plays between %s and %s may be missing. %s",
                len(selection.window),
                selection.gap["bookmark"],
                selection.gap["oldest_returned_played_at"],
                GAP_ADVICE,
            )
        self._pending_gap = selection.gap
        self.last_selection = selection
        yield from selection.plays
        if self.selected:
            self.get_context_state(context)[WINDOW_KEY] = selection.window

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        """Hand a detected gap to ``listening_gaps``, once, with the first record."""
        if self._pending_gap is not None:
            yield self._pending_gap
            self._pending_gap = None

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Keep the newest ``played_at`` as the bookmark, comparing instants.

        The SDK keeps the greatest *string* among this run's records: a run that only brings a
        late play would move the bookmark back, and ``…08Z`` sorts after ``…08.359Z``.
        """
        state = self.get_context_state(context)
        value = latest_record["played_at"]
        current = state.get("replication_key_value")
        if current is None or parse_instant(value) > parse_instant(current):
            state["replication_key"] = self.replication_key
            state["replication_key_value"] = value


class ListeningGapsStream(TapStream):
    """One record per run that may have lost plays (more than 50 since the last run)."""

    name = "listening_gaps"
    parent_stream_type = RecentlyPlayedStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # no per-gap state
    primary_keys: t.ClassVar[list[str]] = ["bookmark", "oldest_returned_played_at"]
    schema = LISTENING_GAP

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The gap the parent stream detected."""
        if context:
            yield dict(context)


class StreamingHistoryStream(NotesExportedArtists, TapStream):
    """One record per play of the Spotify data export at ``history_path`` (an import).

    No replication key: an export is imported whole, and the key makes a re-import rewrite
    the same rows. The state remembers which files were imported (see ``export.importer``).
    """

    name = "streaming_history"
    primary_keys: t.ClassVar[list[str]] = ["play_id"]
    # Records are built with their schema's exact types (export/entries.py checks every value),
    # so the SDK's per-property conformance, half of a large import's time, has nothing to do.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap) -> None:
        keep = bool(tap.config.get("history_keep_personal_fields"))
        super().__init__(tap, schema=streaming_history_schema(personal_fields=keep))

    # mypy reports a settable property's override even with @override (mypy#15900).
    @property  # type: ignore[explicit-override]
    @override
    def selected(self) -> bool:
        """Selected in the catalog, and given an export.

        Without ``history_path`` the stream writes nothing, not even its SCHEMA, so the
        scheduled sync pays nothing for it.
        """
        return bool(self.config.get("history_path")) and super().selected

    @selected.setter
    def selected(self, value: bool | None) -> None:
        TapStream.selected.fset(self, value)  # type: ignore[attr-defined]

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        """Never: a new table version would make targets delete the plays of earlier imports."""
        return False

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The export's plays, each once; files imported before and unchanged are skipped."""
        from tap_spotify_recent.export.importer import HistoryImporter

        importer = HistoryImporter(
            self.config["history_path"],
            keep_personal_fields=bool(self.config.get("history_keep_personal_fields")),
            skip_malformed=bool(self.config.get("history_skip_malformed")),
            state=self.get_context_state(context),
            logger=self.logger,
        )
        yield from importer.records()
