"""Singer message reader that names the input line of every malformed message."""

from __future__ import annotations

import decimal
import json
import logging
import math
import sys
import typing as t
from collections import Counter

import msgspec
from libsql_access.connection import DatabaseConnectionError
from singer_sdk.exceptions import InvalidRecord
from singer_sdk.io_base import SingerReader
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.singerlib.json import deserialize_json
from typing_extensions import override

from target_turso.connector import DatabaseWriteError

_SNIPPET = 80
_LOGGER = logging.getLogger("target-turso.reader")
_DECODER = msgspec.json.Decoder(float_hook=decimal.Decimal)

# What each message type must carry, and the JSON type of each field.
_REQUIRED: dict[str, dict[str, type]] = {
    "RECORD": {"stream": str, "record": dict},
    "SCHEMA": {"stream": str, "schema": dict},
    "STATE": {"value": object},
    "ACTIVATE_VERSION": {"stream": str, "version": int},
    "BATCH": {"stream": str, "encoding": dict, "manifest": list},
}
_JSON_NAMES: dict[type, str] = {
    str: "a string",
    dict: "an object",
    list: "an array",
    int: "an integer",
}


# Errors about the database, not the input line being read when they happened.
_NOT_ABOUT_THE_LINE = (DatabaseConnectionError, DatabaseWriteError)


def _snippet(line: str | bytes) -> str:
    text = (line.decode(errors="replace") if isinstance(line, bytes) else line).strip()
    return text if len(text) <= _SNIPPET else f"{text[:_SNIPPET]}..."


def _is_plain_record(message: t.Any) -> bool:
    """The common case, checked quickly: a RECORD with a stream name and an object."""
    return (
        type(message) is dict
        and message.get("type") == "RECORD"
        and type(message.get("stream")) is str
        and type(message.get("record")) is dict
    )


def valid_text(value: t.Any) -> t.Any:
    r"""`value` with lone UTF-16 surrogates replaced by U+FFFD, in strings and keys.

    JSON allows `\ud800`-style escapes that decode to no character; such text cannot
    be stored as UTF-8 (the database client refuses the whole row).
    """
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {valid_text(key): valid_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [valid_text(item) for item in value]
    return value


def non_finite_numbers(record: dict, *, to_null: bool) -> list[tuple[str, str]]:
    """Find NaN and +-Infinity (which JSON lacks) in a record: (property path, text) pairs.

    With `to_null`, each one is replaced by None (null) in place.
    """
    found: list[tuple[str, str]] = []

    def visit(value: t.Any, path: str) -> t.Any:
        if isinstance(value, (float, decimal.Decimal)) and not math.isfinite(value):
            text = "NaN" if value != value else "-Infinity" if value < 0 else "Infinity"
            found.append((path, text))
            return None if to_null else value
        if isinstance(value, dict):
            for key, item in value.items():
                value[key] = visit(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            value[:] = [visit(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    visit(record, "")
    return found


def refuse_non_finite(record: dict, stream: str, *, to_null: bool) -> list[str]:
    """Refuse a record holding NaN/Infinity, or with `to_null` store them as NULL.

    Returns the property paths set to null.

    Raises:
        InvalidRecord: naming the first such property, unless `to_null`.
    """
    found = non_finite_numbers(record, to_null=to_null)
    if found and not to_null:
        path, text = found[0]
        msg = (
            f"{path}: {text} is not a JSON number (stream {stream!r}); have the tap send "
            "null, or set `validate_records` to false to store NULL"
        )
        raise InvalidRecord(msg, record)
    return [path for path, _ in found]


def check_message(message: t.Any) -> None:
    """Raise InvalidInputLine unless `message` is a Singer message with the fields it needs.

    Unknown message types are left to the SDK, which rejects them by name.
    """
    if not isinstance(message, dict):
        msg = f"a Singer message must be a JSON object, got {type(message).__name__}"
        raise InvalidInputLine(msg)
    kind = message.get("type")
    if not isinstance(kind, str):
        msg = "the message has no 'type' (RECORD, SCHEMA, STATE, ...)"
        raise InvalidInputLine(msg)
    for field, expected in _REQUIRED.get(kind, {}).items():
        if field not in message:
            msg = f"the {kind} message has no '{field}'"
            raise InvalidInputLine(msg)
        if expected is not object and not isinstance(message[field], expected):
            msg = f"the {kind} message's '{field}' must be {_JSON_NAMES[expected]}"
            raise InvalidInputLine(msg)
    if kind == "SCHEMA":
        if not isinstance(message["schema"].get("properties"), dict):
            msg = (
                "the SCHEMA message's 'schema' has no 'properties' object: the target "
                "makes a column of each property, so it needs them listed"
            )
            raise InvalidInputLine(msg)
        keys = message.get("key_properties")
        if keys is not None and not (
            isinstance(keys, list) and all(isinstance(key, str) for key in keys)
        ):
            msg = "the SCHEMA message's 'key_properties' must be an array of strings"
            raise InvalidInputLine(msg)


class NumberedSingerReader(SingerReader):
    """Reads Singer messages line by line; any error raised for a line names its number.

    The exception keeps its type (callers and the SDK's tests rely on it); its
    message is prefixed with `Line N: `. Blank lines are skipped.
    """

    non_finite_as_null = False
    """Store NaN/Infinity in records as NULL (with a warning) instead of refusing them."""

    def __init__(self) -> None:
        super().__init__()
        self._warned_non_finite: set[tuple[str, str]] = set()

    @override
    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, t.Callable[[dict], None]],
    ) -> t.Counter[str]:
        """Dispatch each input line to the callback for its message type."""
        stats: t.Counter[str] = Counter()
        # Standard input is read as bytes: msgspec parses UTF-8 bytes directly.
        lines = file_input or sys.stdin.buffer
        for number, line in enumerate(lines, start=1):
            if line.isspace() or not line:
                continue
            self._current_message = line
            self._line_number = number
            try:
                message = self.deserialize_json(line)
                if not _is_plain_record(message):
                    check_message(message)
                kind = message["type"]
                if callback := callbacks.get(kind):
                    callback(message)
                else:
                    self._process_unknown_message(message)
            except _NOT_ABOUT_THE_LINE:
                raise
            except Exception as error:
                name_line(error, number)
                raise
            stats[kind] += 1
        return stats

    @override
    def deserialize_json(self, line: str | bytes) -> dict:
        """Parse one line, numbers exact (floats as Decimal), with a short, precise error.

        msgspec parses about twice as fast as the stdlib; what it refuses (e.g.
        NaN, lone surrogates) gets the SDK's lenient stdlib parser, whose error
        message locates the problem.
        """
        try:
            return _DECODER.decode(line)
        except msgspec.DecodeError:
            pass
        constants: list[str] = []

        def constant(name: str) -> decimal.Decimal:
            constants.append(name)
            return decimal.Decimal(name)

        try:
            message = deserialize_json(line, parse_constant=constant)
        except json.JSONDecodeError as error:
            msg = f"invalid JSON ({error.msg} at column {error.colno}): {_snippet(line)}"
            raise InvalidInputLine(msg) from None
        if constants and isinstance(message, dict) and isinstance(message.get("record"), dict):
            self._non_finite(message)
        cleaned = valid_text(message)
        if cleaned != message:
            _LOGGER.warning(
                "Line %s: lone UTF-16 surrogate escapes (\\ud800-\\udfff, not characters) "
                "are stored as U+FFFD.",
                getattr(self, "_line_number", "?"),
            )
        return cleaned

    def _non_finite(self, message: dict) -> None:
        stream = str(message.get("stream"))
        nulled = refuse_non_finite(message["record"], stream, to_null=self.non_finite_as_null)
        for path in nulled:
            if (stream, path) not in self._warned_non_finite:
                self._warned_non_finite.add((stream, path))
                _LOGGER.warning(
                    "Line %s: %s of stream %r is NaN or Infinity, which JSON lacks: stored "
                    "as NULL (`validate_records` is off; warned once per property).",
                    getattr(self, "_line_number", "?"),
                    path,
                    stream,
                )

    @override
    def _process_unknown_message(self, message_dict: dict) -> None:
        msg = (
            f"unknown message type {message_dict['type']!r} "
            "(expected RECORD, SCHEMA, STATE, ACTIVATE_VERSION or BATCH)"
        )
        raise InvalidInputLine(msg)


def name_line(error: BaseException, number: int) -> None:
    """Prefix the exception's message with the input line number, keeping its type."""
    if error.args and isinstance(error.args[0], str):
        error.args = (f"Line {number}: {error.args[0]}", *error.args[1:])
    else:
        error.args = (f"Line {number}: {type(error).__name__}", *error.args)
