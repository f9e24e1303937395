"""Which served plays are new, and when plays may have been lost: the incremental design.

Spotify serves only the last 50 plays, newest first, and a play can show up late with an older
``played_at`` (a phone that played offline, a lagging feed), so ``after=<bookmark>`` loses
plays. Each run therefore reads the whole window (``limit=50``, no cursor) and the stream state
keeps the ``played_at`` of every play served (``recent_window``). A served play is new unless it
was in the previous window. A play that has left the window never comes back, so the window is
all the memory needed: every play that is still among the last 50 is emitted exactly once,
whatever its ``played_at``. Plays are only re-emitted when a run fails before its state is
saved, and then at most the 50 of that window (the ``played_at`` key dedupes them downstream).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_spotify_recent.errors import TapError
from tap_spotify_recent.instants import parse_instant

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

WINDOW_KEY = "recent_window"
STATE_ADVICE = (
    "Correct the state, or clear it with `meltano state clear <state id>` (`meltano state "
    "list` shows the id): the next run then emits the last 50 plays again, which a target "
    "that merges on played_at stores once."
)
PAGE_SIZE = 50  # Spotify's maximum `limit`, and the whole window it serves


@dataclass(frozen=True)
class PreviousRun:
    """What the stream state remembers from the last successful run."""

    #: ``played_at`` of the newest play emitted so far, exactly as Spotify sent it.
    bookmark: str | None
    #: Instants of the plays served last run; None for a state written without it.
    window: frozenset[datetime] | None

    @classmethod
    def from_state(cls, state: Mapping[str, t.Any]) -> PreviousRun:
        """Read the bookmark and the window from a stream state dict."""
        bookmark = state.get("replication_key_value")
        if bookmark is not None:
            _state_instant(bookmark, "replication_key_value")
        window = state.get(WINDOW_KEY)
        if window is not None and not isinstance(window, list):
            msg = (
                f"The state of stream recently_played has {WINDOW_KEY} = {window!r}, which is "
                f"not a list of RFC 3339 date-times. {STATE_ADVICE}"
            )
            raise TapError(msg)
        return cls(
            bookmark=bookmark,
            window=None
            if window is None
            else frozenset(_state_instant(value, f"an entry of {WINDOW_KEY}") for value in window),
        )

    @property
    def bookmark_instant(self) -> datetime | None:
        """The bookmark as an instant."""
        return None if self.bookmark is None else parse_instant(self.bookmark)

    def has_emitted(self, instant: datetime) -> bool:
        """Whether a play at ``instant`` was emitted by an earlier run."""
        if self.window is not None:
            return instant in self.window
        # A bookmark without a window (older or hand-written state): trust the bookmark.
        bookmark = self.bookmark_instant
        return bookmark is not None and instant <= bookmark


def _state_instant(value: t.Any, where: str) -> datetime:
    """``value`` from the stream state as an instant, or a TapError saying how to fix it."""
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except ValueError:
            pass
    msg = (
        f"The state of stream recently_played has {where} = {value!r}, which is not an "
        f"RFC 3339 date-time. {STATE_ADVICE}"
    )
    raise TapError(msg)


@dataclass(frozen=True)
class Selection:
    """The outcome of comparing one run's served plays with the previous run."""

    plays: list[dict[str, t.Any]]  # to emit, oldest first
    window: list[str]  # played_at of every served play, newest first: the next run's memory
    gap: dict[str, str] | None  # a listening_gaps record, if plays may have been lost


def select_plays(
    served: Iterable[dict[str, t.Any]],
    previous: PreviousRun,
    *,
    start: datetime | None,
    detected_at: str,
) -> Selection:
    """Pick the plays to emit and detect a gap.

    A gap means the oldest play served is newer than the bookmark although Spotify served a full
    page: plays between the two may have dropped out of the 50-play window unseen.
    """
    by_instant: dict[datetime, dict[str, t.Any]] = {}
    for play in served:
        by_instant.setdefault(parse_instant(play["played_at"]), play)
    ordered = sorted(by_instant.items(), key=lambda item: item[0])
    plays = [
        play
        for instant, play in ordered
        if not previous.has_emitted(instant) and (start is None or instant >= start)
    ]
    bookmark = previous.bookmark_instant
    gap = None
    if bookmark is not None and len(ordered) >= PAGE_SIZE and ordered[0][0] > bookmark:
        gap = {
            "detected_at": detected_at,
            "bookmark": t.cast("str", previous.bookmark),
            "oldest_returned_played_at": ordered[0][1]["played_at"],
        }
    return Selection(
        plays=plays,
        window=[play["played_at"] for _, play in reversed(ordered)],
        gap=gap,
    )
