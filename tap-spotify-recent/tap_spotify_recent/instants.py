"""Instants from Spotify's RFC 3339 text, compared as instants and never as strings."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timezone

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<fraction>\d+))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?)?"
)


def parse_instant(value: str) -> datetime:
    """An aware UTC datetime from RFC 3339 text.

    Accepts any fraction length (``08Z``, ``08.359Z``, ``08.359123456Z``), an offset or none
    (UTC assumed) and a bare date (midnight UTC), which Python 3.10's ``fromisoformat`` does not.
    """
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        msg = f"not an RFC 3339 date-time: {value!r}"
        raise ValueError(msg)
    clock = match["time"] or "00:00:00"
    clock += ":00" if clock.count(":") == 1 else ""
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    offset = (match["offset"] or "Z").upper().replace(":", "")
    offset = "+00:00" if offset == "Z" else f"{offset[:3]}:{offset[3:]}"
    return datetime.fromisoformat(f"{match['date']}T{clock}.{fraction}{offset}").astimezone(
        timezone.utc
    )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (Aug 31 + 6 = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def utc_now_text() -> str:
    """The current instant in Spotify's style: UTC, milliseconds, ``Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
