"""The time window and time zone a report covers."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%f"
"""How a local time is spelled in SQL: like `played_at`, without the `Z`."""


def parse_timezone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name` (e.g. `Europe/Berlin`, `UTC`).

    Raises:
        ValueError: the name is not a known time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {name!r}: use an IANA name such as UTC or Europe/Berlin"
        raise ValueError(msg) from None


def parse_bound(text: str, timezone: ZoneInfo, *, end: bool = False) -> dt.datetime:
    """Return the instant a `--since`/`--until` value stands for.

    A date (`2024-01-31`) means the start of that day in `timezone`, or with `end`
    the start of the next day, so `--until 2024-01-31` includes all of that day.
    A date-time without an offset is read in `timezone`.

    Raises:
        ValueError: the text is neither an ISO 8601 date nor a date-time.
    """
    try:
        if len(text) == len("2024-01-31"):
            day = dt.date.fromisoformat(text) + dt.timedelta(days=1 if end else 0)
            return dt.datetime.combine(day, dt.time(), tzinfo=timezone)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = f"{text!r} is not a date (2024-01-31) or an ISO 8601 date-time"
        raise ValueError(msg) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone)


def utc_text(moment: dt.datetime) -> str:
    """Spell `moment` the way the views spell `played_at`, so text comparison works."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_utc(text: str) -> dt.datetime:
    """Read an instant as the views spell it (`2024-01-31T23:59:59.123Z`)."""
    return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def _offset_minutes(zone: ZoneInfo, moment: dt.datetime) -> int:
    offset = moment.astimezone(zone).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 60)


def offset_changes(
    zone: ZoneInfo, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, int]]:
    """Return the UTC offset of `zone` (minutes) at `start`, then each change until `end`.

    Each item is (instant from which the offset holds, offset). Offsets change on a
    whole minute and at most once a day: a daily walk, then a bisection over the
    minutes of the day, finds every change.
    """
    changes = [(start, _offset_minutes(zone, start))]
    day = start.replace(second=0, microsecond=0)
    while day < end:
        if _offset_minutes(zone, day + dt.timedelta(days=1)) != changes[-1][1]:
            same, changed = 0, 24 * 60  # minutes after `day`
            while changed - same > 1:
                middle = (same + changed) // 2
                moment = day + dt.timedelta(minutes=middle)
                if _offset_minutes(zone, moment) == changes[-1][1]:
                    same = middle
                else:
                    changed = middle
            change = day + dt.timedelta(minutes=changed)
            changes.append((change, _offset_minutes(zone, change)))
        day += dt.timedelta(days=1)
    return changes


def local_time_sql(column: str, changes: list[tuple[dt.datetime, int]]) -> tuple[str, tuple]:
    """Return SQL turning the UTC text `column` into local time text, and its parameters.

    `changes` comes from `offset_changes`; the result is exact for the instants it covers.
    """
    whens, params = [], []
    for (_, offset), (instant, _) in itertools.pairwise(changes):
        whens.append(f"WHEN {column} < ? THEN ?")
        params += [utc_text(instant), f"{offset:+d} minutes"]
    params.append(f"{changes[-1][1]:+d} minutes")
    modifier = f"CASE {' '.join(whens)} ELSE ? END" if whens else "?"
    return f"strftime('{LOCAL_FORMAT}', {column}, {modifier})", tuple(params)


def local_seconds_sql(column: str, changes: list[tuple[dt.datetime, int]]) -> tuple[str, tuple]:
    """Return SQL turning the Unix time `column` (seconds) into local seconds, and its parameters.

    `changes` comes from `offset_changes`, as for `local_time_sql`.
    """
    whens, params = [], []
    for (_, offset), (instant, _) in itertools.pairwise(changes):
        whens.append(f"WHEN {column} < ? THEN ?")
        params += [int(instant.timestamp()), offset * 60]
    params.append(changes[-1][1] * 60)
    modifier = f"CASE {' '.join(whens)} ELSE ? END" if whens else "?"
    return f"({column} + {modifier})", tuple(params)


def aligned(changes: list[tuple[dt.datetime, int]], minutes: int) -> bool:
    """Tell whether whole spans of `minutes` (UTC) fall in one local hour, all along `changes`.

    True when every offset is a multiple of `minutes` and changes on a multiple of it.
    """
    return all(offset % minutes == 0 for _, offset in changes) and all(
        int(instant.timestamp()) % (minutes * 60) == 0 for instant, _ in changes[1:]
    )


@dataclass(frozen=True)
class Period:
    """Plays from `since` (inclusive) until `until` (exclusive), seen in `timezone`."""

    timezone: ZoneInfo
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @property
    def whole(self) -> bool:
        """Whether the period has no bound: every play."""
        return self.since is None and self.until is None

    def plays_where(self, column: str = "played_at") -> tuple[str, tuple[str, ...]]:
        """Return an SQL condition on `column` and its parameters."""
        conditions, params = [], []
        if self.since is not None:
            conditions.append(f"{column} >= ?")
            params.append(utc_text(self.since))
        if self.until is not None:
            conditions.append(f"{column} < ?")
            params.append(utc_text(self.until))
        return " AND ".join(conditions), tuple(params)

    def contains(self, moment: dt.datetime) -> bool:
        """Tell whether `moment` lies in the period."""
        return (self.since is None or moment >= self.since) and (
            self.until is None or moment < self.until
        )

    def local(self, text: str) -> dt.datetime:
        """Return the UTC text of a view as a date-time in the period's time zone."""
        return parse_utc(text).astimezone(self.timezone)
