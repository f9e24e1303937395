"""The time window and time zone a report covers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc


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


@dataclass(frozen=True)
class Period:
    """Plays from `since` (inclusive) until `until` (exclusive), seen in `timezone`."""

    timezone: ZoneInfo
    since: dt.datetime | None = None
    until: dt.datetime | None = None

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
