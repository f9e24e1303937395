"""Export entries as ``streaming_history`` records: one shape for both formats, and the key.

Extended streaming history entries carry ``ts`` (end of the play, UTC, seconds) and Spotify
URIs; Account data entries carry ``endTime`` (UTC, minutes, ``2018-07-10 06:58``) and names
only. Both become the same record; what a format does not say stays null.

The key, ``play_id``, is the first 32 hex digits of the SHA-256 of a JSON array
``[source_format, ended_at, ms_played, *identity]`` (compact, UTF-8): the identity is the
item's URI (track, episode, audiobook chapter or audiobook) in Extended entries, or their names
when there is none; the creator and item names in Account data. Only fields that stay the same
when the export is downloaded again take part: not ``platform`` (reworded over the years), the
reasons, flags or personal fields. So a re-import of the same plays, from a zip or a folder, an
``endsong_*`` or a ``Streaming_History_Audio_*`` file, yields the same keys, and rows that
repeat a play (exact duplicates, or differing only in fields that take no part) share one
key. The two formats never share a key: Account data is minute-precise and has no URI, so
matching its plays to Extended ones is a tolerance join, left to the views.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t
from datetime import datetime, timedelta, timezone
from numbers import Number

from tap_spotify_recent.instants import parse_instant

EXTENDED = "extended"
ACCOUNT_DATA = "account_data"

#: Record fields that identify or locate the user; dropped unless history_keep_personal_fields.
PERSONAL_FIELDS = ("ip_addr", "user_agent_decrypted", "conn_country", "username")

# Record field <- Extended streaming history field: what was played, then how.
_EXTENDED_ITEM_TEXT = {
    "track_name": "master_metadata_track_name",
    "artist_name": "master_metadata_album_artist_name",
    "album_name": "master_metadata_album_album_name",
    "spotify_track_uri": "spotify_track_uri",
    "episode_name": "episode_name",
    "episode_show_name": "episode_show_name",
    "spotify_episode_uri": "spotify_episode_uri",
    "audiobook_title": "audiobook_title",
    "audiobook_uri": "audiobook_uri",
    "audiobook_chapter_title": "audiobook_chapter_title",
    "audiobook_chapter_uri": "audiobook_chapter_uri",
}
_EXTENDED_PLAY_TEXT = {
    "reason_start": "reason_start",
    "reason_end": "reason_end",
    "platform": "platform",
}
_EXTENDED_TEXT = {**_EXTENDED_ITEM_TEXT, **_EXTENDED_PLAY_TEXT}
_EXTENDED_FLAGS = ("shuffle", "skipped", "offline", "incognito_mode")
_URI_FIELDS = ("spotify_track_uri", "spotify_episode_uri", "audiobook_chapter_uri", "audiobook_uri")
_NAME_FIELDS = (
    "track_name",
    "artist_name",
    "album_name",
    "episode_name",
    "episode_show_name",
    "audiobook_title",
    "audiobook_chapter_title",
)
EXTENDED_FIELDS = frozenset(
    {"ts", "ms_played", "offline_timestamp", "ip_addr_decrypted"}
    | {*_EXTENDED_TEXT.values(), *_EXTENDED_FLAGS, *PERSONAL_FIELDS}
)
#: The record's fields between the key fields and source_format/source_file, in order.
RECORD_FIELDS = (
    "kind",
    *_EXTENDED_ITEM_TEXT,
    "audiobook_author",  # Account data only
    *_EXTENDED_PLAY_TEXT,
    *_EXTENDED_FLAGS,
    "offline_timestamp",
    *PERSONAL_FIELDS,
)
#: Account data: creator and item names of each family, the record fields they fill, the kind.
_ACCOUNT_DATA_FAMILIES = (
    ("podcastName", "episodeName", "episode_show_name", "episode_name", "episode"),
    ("audiobookName", "chapterName", "audiobook_title", "audiobook_chapter_title", "audiobook"),
)
ACCOUNT_DATA_FIELDS = frozenset(
    {"endTime", "msPlayed", "artistName", "trackName", "authorName"}
    | {name for family in _ACCOUNT_DATA_FAMILIES for name in family[:2]}
)

#: Spotify was founded in 2006: a play ending earlier is damaged data (year 0001).
EARLIEST_END = datetime(2006, 1, 1, tzinfo=timezone.utc)
#: Nor can a play end in the future (year 9999); a day of slack for clocks that are off.
LATEST_END = datetime.now(timezone.utc) + timedelta(days=1)
#: A stream is one track, episode or chapter: none lasts a day.
MAX_MS_PLAYED = 24 * 3_600_000

_EXTENDED_TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})")
_END_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")

_MISSING = object()


class MalformedEntryError(ValueError):
    """An entry that is not a play of either format; the message says which field and why."""


def to_record(entry: t.Any, *, source_file: str, kind_hint: str | None) -> dict[str, t.Any]:
    """The record of one export entry, personal fields included (the caller drops them).

    ``kind_hint`` is what the file name says of Account data entries (``track`` in
    ``StreamingHistory_music_*``); the combined ``StreamingHistoryN.json`` does not say.
    """
    if not isinstance(entry, dict):
        msg = f"the entry is {_json_kind(entry)}, not an object"
        raise MalformedEntryError(msg)
    if "ts" in entry:
        record = _extended(entry)
    elif "endTime" in entry:
        record = _account_data(entry, kind_hint)
    else:
        msg = "the entry has neither ts (Extended streaming history) nor endTime (Account data)"
        raise MalformedEntryError(msg)
    record["source_file"] = source_file
    return record


def unknown_fields(entry: dict[str, t.Any]) -> set[str]:
    """Fields of an entry that neither format defines (newer exports may add some)."""
    known = EXTENDED_FIELDS if "ts" in entry else ACCOUNT_DATA_FIELDS
    return entry.keys() - known


def play_id(source_format: str, ended_at: str, ms_played: int, identity: list[str | None]) -> str:
    """The stable key of a play (see the module docstring)."""
    text = json.dumps(
        [source_format, ended_at, ms_played, *identity], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _extended(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    ended_at = _instant(entry, "ts", _EXTENDED_TS, "2020-04-11T00:27:53Z")
    ms_played = _milliseconds(entry, "ms_played")
    record: dict[str, t.Any] = {
        name: _optional(entry, source, str) for name, source in _EXTENDED_TEXT.items()
    }
    record.update((name, _optional(entry, name, bool)) for name in _EXTENDED_FLAGS)
    record["offline_timestamp"] = _optional(entry, "offline_timestamp", int)
    for name in PERSONAL_FIELDS:
        record[name] = _optional(entry, name, str, personal=True)
    if record["ip_addr"] is None:  # its name in older exports
        record["ip_addr"] = _optional(entry, "ip_addr_decrypted", str, personal=True)
    uri = next((record[name] for name in _URI_FIELDS if record[name]), None)
    identity = [uri] if uri else [record[name] for name in _NAME_FIELDS]
    record["kind"] = _extended_kind(record)
    return _play(EXTENDED, ended_at, ms_played, identity, record)


def _extended_kind(record: dict[str, t.Any]) -> str | None:
    """What was played, by which fields are filled; null for rows the export left empty."""
    if record["audiobook_uri"] or record["audiobook_chapter_uri"] or record["audiobook_title"]:
        return "audiobook"
    if record["spotify_episode_uri"] or record["episode_name"]:
        return "episode"
    if record["spotify_track_uri"] or record["track_name"]:
        return "track"
    return None


def _account_data(entry: dict[str, t.Any], kind_hint: str | None) -> dict[str, t.Any]:
    """A play of Account data: a podcast or audiobook by its fields, else a track.

    Tracks are told by the file's name only: the combined ``StreamingHistoryN.json`` lists
    podcast episodes with the same fields as music (show as artistName), so its kind is null.
    """
    ended_at = _instant(entry, "endTime", _END_TIME, "2018-07-10 06:58")
    ms_played = _milliseconds(entry, "msPlayed")
    for creator_field, item_field, creator_name, item_name, kind in _ACCOUNT_DATA_FAMILIES:
        if creator_field in entry or item_field in entry:
            creator, item = _optional(entry, creator_field, str), _optional(entry, item_field, str)
            named = {creator_name: creator, item_name: item, "kind": kind}
            break
    else:
        creator, item = _optional(entry, "artistName", str), _optional(entry, "trackName", str)
        named = {"artist_name": creator, "track_name": item, "kind": kind_hint}
    named["audiobook_author"] = _optional(entry, "authorName", str)
    return _play(ACCOUNT_DATA, ended_at, ms_played, [creator, item], named)


def _play(
    source_format: str,
    ended_at: str,
    ms_played: int,
    identity: list[str | None],
    fields: dict[str, t.Any],
) -> dict[str, t.Any]:
    """A record with every field of the stream, in schema order; what is not given is null."""
    return {
        "play_id": play_id(source_format, ended_at, ms_played, identity),
        "ended_at": ended_at,
        "ms_played": ms_played,
        **{name: fields.get(name) for name in RECORD_FIELDS},
        "source_format": source_format,
    }


def _instant(entry: dict[str, t.Any], name: str, pattern: re.Pattern[str], example: str) -> str:
    """An end time as RFC 3339 UTC text: seconds, or milliseconds if the export has a fraction."""
    value = entry.get(name, _MISSING)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        msg = f"{name} must be a UTC time like {example!r}, got {_describe(value)}"
        raise MalformedEntryError(msg)
    try:
        instant = parse_instant(value)
    except ValueError:
        msg = f"{name} is not a valid date and time: {value!r}"
        raise MalformedEntryError(msg) from None
    if instant < EARLIEST_END:
        msg = f"{name} {value!r} is before 2006, when Spotify began: no play ended then"
        raise MalformedEntryError(msg)
    if instant > LATEST_END:
        msg = f"{name} {value!r} is in the future: no play has ended then yet"
        raise MalformedEntryError(msg)
    spec = "milliseconds" if instant.microsecond else "seconds"
    return instant.isoformat(timespec=spec).replace("+00:00", "Z")


def _milliseconds(entry: dict[str, t.Any], name: str) -> int:
    value = entry.get(name, _MISSING)
    if type(value) is not int or value < 0:
        msg = f"{name} must be a whole number of milliseconds (0 or more), got {_describe(value)}"
        raise MalformedEntryError(msg)
    if value > MAX_MS_PLAYED:
        msg = (
            f"{name} must be at most {MAX_MS_PLAYED} (24 hours: a stream is one track, episode "
            f"or chapter), got {value}"
        )
        raise MalformedEntryError(msg)
    return value


def _optional(entry: dict[str, t.Any], name: str, kind: type, *, personal: bool = False) -> t.Any:
    """A field that may be missing or null; a value of another type is malformed."""
    value = entry.get(name)
    if value is None or type(value) is kind:
        return value
    wanted = {str: "text", bool: "true or false", int: "a whole number"}[kind]
    got = _json_kind(value) if personal else _describe(value)  # never log personal values
    msg = f"{name} must be {wanted} or null, got {got}"
    raise MalformedEntryError(msg)


def _describe(value: t.Any) -> str:
    """A value as JSON, cut short, with its kind: ``"abc" (text)``."""
    if value is _MISSING:
        return "nothing (the field is missing)"
    if value is None:
        return "null"
    numeric = isinstance(value, Number) and not isinstance(value, bool)
    text = str(value) if numeric else json.dumps(value, ensure_ascii=False)
    text = text if len(text) <= 40 else text[:39] + "…"
    return f"{text} ({_json_kind(value)})"


def _json_kind(value: t.Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Number):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"
