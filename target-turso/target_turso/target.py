"""TargetTurso: settings, the shared connection and the Singer message loop."""

from __future__ import annotations

import dataclasses
import gc
import json
import sys
import typing as t
from pathlib import Path

import click
from libsql_access.connection import DEFAULT_DATABASE_URL, DatabaseConnectionError
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, SingerSDKError
from singer_sdk.helpers.capabilities import PluginCapabilities, TargetCapabilities
from singer_sdk.singerlib.exceptions import InvalidInputLine, SingerReadError
from singer_sdk.target_base import Target
from typing_extensions import override

from target_turso.connector import DatabaseWriteError, TursoConnector
from target_turso.naming import sql_fold, suffixed
from target_turso.reader import NumberedSingerReader
from target_turso.sinks import APPEND_ONLY, OVERWRITE, UPSERT, TursoSink

if t.TYPE_CHECKING:
    from singer_sdk.helpers.capabilities import CapabilitiesEnum
    from singer_sdk.sinks import Sink

# Errors a user can act on: reported as one line, without a traceback.
USER_ERRORS = (DatabaseConnectionError, DatabaseWriteError, SingerReadError, SingerSDKError)


@dataclasses.dataclass
class LoadStats:
    """What the run wrote; a statement is one HTTP round trip to a remote server."""

    rows: int = 0
    batches: int = 0
    statements: int = 0

    def add_batch(self, rows: int, statements: int) -> None:
        """Count one committed batch."""
        self.rows += rows
        self.batches += 1
        self.statements += statements

    @override
    def __str__(self) -> str:
        per_batch = self.statements / self.batches if self.batches else 0.0
        return (
            f"Wrote {self.rows} rows in {self.batches} batches with {self.statements} "
            f"statements ({per_batch:.1f} round trips per batch)"
        )


def config_file_problem(path: Path) -> str | None:
    """What is wrong with a `--config` file, in one line (never its content), or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return f"The config file {str(path)!r} does not exist."
    except (OSError, UnicodeDecodeError) as error:
        return f"The config file {str(path)!r} cannot be read ({error})."
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        return (
            f"The config file {str(path)!r} is not valid JSON ({error.msg} at line "
            f"{error.lineno} column {error.colno}). It must be one JSON object of settings, "
            'e.g. {"database_url": "turso.db"} (Meltano writes it from meltano.yml and .env).'
        )
    if not isinstance(config, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean"}.get(type(config), "a number")
        return (
            f"The config file {str(path)!r} holds {'null' if config is None else kind}, not "
            'an object of settings such as {"database_url": "turso.db"}.'
        )
    return None


class TargetTurso(Target):
    """Singer target for Turso / libSQL, or a local libSQL/SQLite file."""

    name = "target-turso"
    default_sink_class = TursoSink
    message_reader_class = NumberedSingerReader
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        *Target.capabilities,
        PluginCapabilities.ACTIVATE_VERSION,
        TargetCapabilities.HARD_DELETE,
    ]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "database_url",
            th.StringType,
            default=DEFAULT_DATABASE_URL,
            description=(
                "Where to load: a Turso URL (`libsql://NAME-ORG.turso.io` or `https://...`), "
                "a self-hosted sqld (`http://host:port`), or a local file path / `file:` URL. "
                "Default: `turso.db` in the working directory."
            ),
        ),
        th.Property(
            "auth_token",
            th.StringType,
            secret=True,
            description=(
                "The database token (JWT) for a remote database, e.g. from "
                "`turso db tokens create NAME`. Not needed for a local file."
            ),
        ),
        th.Property(
            "table_prefix",
            th.StringType,
            default="",
            description="Prepended to each stream name to form its table name.",
        ),
        th.Property(
            "load_method",
            th.StringType,
            default=UPSERT,
            allowed_values=[UPSERT, APPEND_ONLY, OVERWRITE],
            description=(
                "`upsert` merges records on the stream's key properties (a stream without "
                "keys is appended); `append-only` inserts every record (tables it creates "
                "have no primary key); `overwrite` deletes the table's rows in the "
                "transaction of the stream's first batch of the run, then merges as `upsert`."
            ),
        ),
        th.Property(
            "validate_records",
            th.BooleanType,
            default=True,
            description=(
                "Validate each record against its stream's schema, and refuse date-times "
                "no instant (or SQLite) can be read from and NaN/Infinity, naming the line "
                "and property. `false` keeps such records with a warning: the date-time "
                "as sent, NaN/Infinity as NULL."
            ),
        ),
        th.Property(
            "activate_version",
            th.BooleanType,
            default=True,
            description=(
                "Process ACTIVATE_VERSION messages (as target-postgres does): records "
                "of a stream that sends versions carry `_sdc_table_version`, and "
                "activating a version marks the rows of older versions deleted "
                "(`_sdc_deleted_at`), or deletes them with `hard_delete`. `false` "
                "ignores the messages."
            ),
        ),
        th.Property(
            "hard_delete",
            th.BooleanType,
            default=False,
            description=(
                "When a version is activated, delete the rows of older versions instead "
                "of setting their `_sdc_deleted_at`."
            ),
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # One connection, one writer: libSQL serialises writes anyway.
        self.max_parallelism = 1
        self._connector: TursoConnector | None = None
        self.stats = LoadStats()
        self.overwritten: set[str] = set()
        """Tables already emptied in this run by `overwrite`."""
        self._tables: dict[str, str] = {}
        if isinstance(self.message_reader, NumberedSingerReader):
            self.message_reader.non_finite_as_null = not self.config.get("validate_records", True)
        self.versioned_streams: set[str] = set()
        """Streams that sent a version (ACTIVATE_VERSION, or a RECORD's `version`) this run."""

    @property
    def connector(self) -> TursoConnector:
        """The connection shared by all sinks, opened on first use."""
        if self._connector is None:
            self._connector = TursoConnector(
                self.config.get("database_url"), self.config.get("auth_token"), self.logger
            )
        return self._connector

    def table_for(self, stream_name: str) -> str:
        """The table of a stream: `<table_prefix><stream name>`, or a suffixed name.

        SQLite compares table names case-insensitively for ASCII letters, so streams
        `Users` and `users` would share (and overwrite) one table. As for columns: a
        table with the exact name is used; otherwise a name another stream's table (or a
        view) already has under another spelling gets `<name>__<8 hex of its SHA-256>`.
        """
        if stream_name not in self._tables:
            wanted = f"{self.config.get('table_prefix') or ''}{stream_name}"
            taken = {*self.connector.object_names(), *self._tables.values()}
            clash = wanted not in taken and sql_fold(wanted) in {sql_fold(n) for n in taken}
            self._tables[stream_name] = suffixed(wanted) if clash else wanted
            if clash:
                self.logger.warning(
                    "Stream %r loads into table %r: SQLite would see %r as an existing "
                    "table of another spelling.",
                    stream_name,
                    self._tables[stream_name],
                    wanted,
                )
        return self._tables[stream_name]

    @override
    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict | None = None,
        schema: dict | None = None,
        key_properties: t.Sequence[str] | None = None,
    ) -> Sink:
        """Return the stream's sink; on a new SCHEMA, first write the old sink's records.

        The SDK would drain the replaced sink only at the next full drain, after
        newer records of the same keys may have been written: last would not win.
        """
        if schema is None:  # a RECORD: the hot path
            return self._sinks_active[stream_name]
        existing = self._sinks_active.get(stream_name)
        if existing is not None and (
            existing.original_schema != schema or existing.key_properties != key_properties
        ):
            self.drain_one(existing)
        return super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )

    @classmethod
    @override
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        """Add the SDK's settings, except its twin of `activate_version`."""
        super().append_builtin_config(config_jsonschema)
        config_jsonschema["properties"].pop("process_activate_version_messages", None)

    @property
    def activates_versions(self) -> bool:
        """The `activate_version` setting."""
        return bool(self.config.get("activate_version", True))

    @override
    def _process_record_message(self, message_dict: dict) -> None:
        stream_name = message_dict["stream"]
        if message_dict.get("version") is not None and stream_name not in self.versioned_streams:
            self._start_versions(stream_name)
        super()._process_record_message(message_dict)

    @override
    def _process_activate_version_message(self, message_dict: dict) -> None:
        self._require_schema(message_dict["stream"], "ACTIVATE_VERSION")
        if message_dict["stream"] not in self.versioned_streams:
            self._start_versions(message_dict["stream"])
        super()._process_activate_version_message(message_dict)

    def _start_versions(self, stream_name: str) -> None:
        """From now on, the stream's records carry their `_sdc_table_version`."""
        if not self.activates_versions or stream_name not in self.mapper.stream_maps:
            return
        self.versioned_streams.add(stream_name)
        for stream_map in self.mapper.stream_maps[stream_name]:
            if isinstance(sink := self._sinks_active.get(stream_map.stream_alias), TursoSink):
                sink.start_versions()

    @override
    def _process_batch_message(self, message_dict: dict) -> None:
        self._require_schema(message_dict["stream"], "BATCH")
        super()._process_batch_message(message_dict)

    def _require_schema(self, stream_name: str, kind: str) -> None:
        if stream_name not in self.mapper.stream_maps:
            msg = f"{kind} message for stream {stream_name!r} arrived before its SCHEMA"
            raise InvalidInputLine(msg)

    @override
    def process_endofpipe(self) -> None:
        """Write everything, emit the last STATE, then close the connection."""
        super().process_endofpipe()
        if self._connector is not None:
            self.logger.info("%s to %s.", self.stats, self._connector.where)
            self._connector.close()

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> t.Any:
        """Read the `--config` files; one that is missing or no JSON object ends the run.

        The SDK would end with a traceback (or a `TypeError` for a JSON array).
        """
        for path in value:
            if path != "ENV" and (problem := config_file_problem(Path(path))):
                cls.logger.error("%s", problem)
                sys.exit(1)
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run the target; a user error ends it with one clear line and exit code 1."""
        # A batch keeps thousands of parsed records alive, which the cyclic garbage
        # collector would rescan again and again (a fifth of the run time). JSON
        # records hold no reference cycles, so collect rarely.
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        try:
            super().invoke(*args, **kwargs)
        except ConfigValidationError:
            raise  # the SDK lists each invalid setting
        except USER_ERRORS as error:
            cls.logger.error("%s", error)
            sys.exit(1)


if __name__ == "__main__":
    TargetTurso.cli()
