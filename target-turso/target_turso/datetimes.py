"""Dates, times and date-times as the text the target stores.

A `date-time` is stored in one canonical UTC form,
`YYYY-MM-DDTHH:MM:SS[.fraction]+00:00`, the fraction being the digits sent without
trailing zeros. One instant is then one text (`…T00:00:00Z` and `…T05:30:00+05:30`
merge on a key), and text order is time order: whole seconds end with `+`, which
sorts before `.` and every digit. SQLite's date functions read the form (they
use milliseconds). A text no instant can be read from, or one SQLite cannot read
(leap seconds, years outside 0001-9999 in UTC, the last half millisecond of 9999
that SQLite rounds into year 10000), is refused with the reason.

`date` values are kept as `YYYY-MM-DD`; `time` values are checked and kept when
SQLite reads them. Other ISO 8601 spellings (`+0200`, basic format) are normalised.
"""

from __future__ import annotations

import datetime
import functools
import re
import typing as t

UTC_SUFFIX = "+00:00"

# RFC 3339 and the ISO 8601 extended spellings taps send: `T`, `t` or a space;
# optional seconds and fraction; `Z`, or an offset with optional minutes and seconds
# (tap-postgres sends `+05:21:10` for local mean time before 1900).
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"(?:[Zz]|([+-])(\d\d)(?::?(\d\d)(?::?(\d\d))?)?)?"
)
# The common case, already UTC (`Z`, `+00:00` or no offset) with seconds: checked and
# rebuilt from its own pieces, 5x faster than through `datetime`.
_UTC = re.compile(
    r"(\d{4}-\d\d-\d\d)[Tt ]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d+))?(?:[Zz]|\+00:00)?"
)
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_TIME = re.compile(r"(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(?:[zZ]|[+-]\d\d:\d\d)?")
_LAST_SECOND = datetime.datetime(9999, 12, 31, 23, 59, 59)


class InvalidDateTimeError(ValueError):
    """A date, time or date-time property holds text that is no such value."""


def canonical_date_time(text: str) -> str:
    """Return the canonical UTC text of an ISO 8601 date-time (no offset = UTC).

    Raises:
        InvalidDateTimeError: no instant can be read from the text, or SQLite cannot.
    """
    utc = _UTC.fullmatch(text)
    if utc is not None and _is_day(day := utc[1]) and day != "9999-12-31":
        fraction = (utc[5] or "").rstrip("0")
        dot = "." if fraction else ""
        return f"{day}T{utc[2]}:{utc[3]}:{utc[4]}{dot}{fraction}{UTC_SUFFIX}"
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return _canonical_from_python(text)
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m, off_s = match.groups()
    try:
        moment = datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
        )
    except ValueError as error:
        raise _invalid(text, str(error)) from None
    if sign:
        moment = _to_utc(text, moment, sign, off_h, off_m, off_s)
    fraction = (fraction or "").rstrip("0")
    if moment == _LAST_SECOND and fraction[:4].ljust(4, "0") >= "9995":
        raise _invalid(
            text,
            "SQLite's date functions round it to milliseconds, past the year 9999; "
            "9999-12-31T23:59:59.999 is the last instant they read",
        )
    return f"{moment.isoformat()}{'.' if fraction else ''}{fraction}{UTC_SUFFIX}"


@functools.lru_cache(maxsize=4096)
def _is_day(text: str) -> bool:
    """Whether `YYYY-MM-DD` is a day of the years 0001-9999 (cached: plays share days)."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _to_utc(
    text: str,
    moment: datetime.datetime,
    sign: str,
    hours: str,
    minutes: str | None,
    seconds: str | None,
) -> datetime.datetime:
    h, m, s = int(hours), int(minutes or 0), int(seconds or 0)
    if h > 23 or m > 59 or s > 59:
        raise _invalid(text, f"the offset {sign}{hours}:{minutes or '00'} is out of range")
    offset = datetime.timedelta(hours=h, minutes=m, seconds=s)
    try:
        return moment - offset if sign == "+" else moment + offset
    except OverflowError:
        raise _invalid(text, "in UTC it is outside the years 0001-9999") from None


def _canonical_from_python(text: str) -> str:
    """Other ISO 8601 spellings Python reads (basic format, a date alone)."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidDateTimeError(f"{text!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise _invalid(text, "in UTC it is outside the years 0001-9999") from None
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    whole = moment.replace(microsecond=0).isoformat()
    return f"{whole}{'.' if fraction else ''}{fraction}{UTC_SUFFIX}"


def _invalid(text: str, reason: str) -> InvalidDateTimeError:
    return InvalidDateTimeError(f"{text!r} is not a valid date-time ({reason})")


def canonical_date(text: str) -> str:
    """Return a `date` as `YYYY-MM-DD` after checking it is a real day.

    Raises:
        InvalidDateTimeError: the text is no ISO 8601 date.
    """
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidDateTimeError(f"{text!r} is not an ISO 8601 date") from None
    return text if _DATE.fullmatch(text) else day.isoformat()


def canonical_time(text: str) -> str:
    """Return a `time` SQLite reads: kept when it has such a shape, else normalised.

    Raises:
        InvalidDateTimeError: the text is no ISO 8601 time.
    """
    match = _TIME.fullmatch(text)
    try:
        if match is not None:
            hour, minute, second = match.groups()
            datetime.time(int(hour), int(minute), int(second or 0))
            return text
        return datetime.time.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise InvalidDateTimeError(f"{text!r} is not an ISO 8601 time") from None


CANONICAL: dict[str, t.Callable[[str], str]] = {
    "date-time": canonical_date_time,
    "date": canonical_date,
    "time": canonical_time,
}
"""The canonical text for each JSON Schema format the target normalises."""


def date_time_format(property_schema: dict[str, t.Any]) -> str | None:
    """Return "date-time", "date" or "time" if the property is such a string."""
    fmt = property_schema.get("format")
    if fmt in CANONICAL:
        return fmt
    for key in ("anyOf", "oneOf"):
        for option in property_schema.get(key) or []:
            if isinstance(option, dict) and (found := date_time_format(option)):
                return found
    return None


def date_time_text(value: t.Any, fmt: str) -> t.Any:
    """Return a date/time value as its canonical text (other values unchanged).

    Raises:
        InvalidDateTimeError: the text is no such value, or one SQLite cannot read.
    """
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    elif isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if not isinstance(value, str):
        return value
    return CANONICAL[fmt](value)
