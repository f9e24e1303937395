"""The sink: one table per stream, each batch written as one transaction."""

from __future__ import annotations

import dataclasses
import datetime
import typing as t
from functools import cached_property

import jsonschema_rs
from libsql_access.schema import quote_identifier
from singer_sdk.exceptions import InvalidRecord, MissingKeyPropertiesError
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.sinks import BatchSink
from singer_sdk.sinks.core import BaseJSONSchemaValidator, JSONSchemaValidator
from typing_extensions import override

from target_turso import connector as sql
from target_turso import migrate
from target_turso.datetimes import (
    CANONICAL,
    InvalidDateTimeError,
    canonical_date_time,
    date_time_format,
    date_time_text,
)
from target_turso.naming import map_columns
from target_turso.reader import refuse_non_finite
from target_turso.sqltypes import UNTYPED, Overflow, binding, column_type, keeps

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection
    from singer_sdk.helpers._batch import BaseBatchFileEncoding

    from target_turso.target import TargetTurso

APPEND_ONLY, UPSERT, OVERWRITE = "append-only", "upsert", "overwrite"
TABLE_VERSION, DELETED_AT = "_sdc_table_version", "_sdc_deleted_at"


class RustJSONSchemaValidator(BaseJSONSchemaValidator):
    """Record validation with jsonschema-rs (about 3x faster than fastjsonschema here).

    Same draft as the SDK (the schema's `$schema`, else 2020-12), formats not
    checked (as in the SDK; the sink checks date-times when it normalises them),
    and offline: a `$ref` is never fetched over the network.
    """

    def __init__(self, schema: dict[str, t.Any]) -> None:
        super().__init__(schema)
        self._validator = jsonschema_rs.validator_for(schema, validate_formats=False, offline=True)

    @override
    def validate(self, record: dict[str, t.Any]) -> None:
        """Raise InvalidRecord naming the offending property."""
        if self._validator.is_valid(record):
            return
        error = next(iter(self._validator.iter_errors(record)))
        where = ".".join(str(part) for part in error.instance_path) or "record"
        raise InvalidRecord(f"{where}: {error.message}", record)


@dataclasses.dataclass
class _Prepared:
    """What preparing a stream's table found and changed."""

    mapping: dict[str, str]
    shape: sql.TableShape = dataclasses.field(default_factory=sql.TableShape)
    retyped: dict[str, str] = dataclasses.field(default_factory=dict)
    """Column -> its former declared type, for columns redeclared without affinity."""
    rewrite: migrate.DateTimeRewrite = dataclasses.field(default_factory=migrate.DateTimeRewrite)


class TursoSink(BatchSink):
    """Loads one stream into the table `<table_prefix><stream name>`."""

    def __init__(
        self,
        target: TargetTurso,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        self._target = target
        self._versioned = stream_name in target.versioned_streams
        super().__init__(target, stream_name, schema, key_properties)
        self._read_schema()
        self._warned_unknown: set[str] = set()
        self._warned_date_times: set[str] = set()
        self._to_widen: set[str] = set()
        self._rows: list[list[t.Any]] = []
        self._rows_by_key: dict[tuple, list[t.Any]] = {}

    def _read_schema(self) -> None:
        properties = self.schema.get("properties") or {}
        self._date_times = [
            (name, fmt) for name, prop in properties.items() if (fmt := date_time_format(prop))
        ]
        self._known = frozenset(properties)

    # Names and modes

    @property
    def connector(self) -> sql.TursoConnector:
        """The target's shared connection."""
        return self._target.connector

    @cached_property
    def table_name(self) -> str:
        """`<table_prefix><stream name>`, verbatim (always quoted; see `table_for`)."""
        return self._target.table_for(self.stream_name)

    @cached_property
    def load_method(self) -> str:
        """The `load_method` setting (default `upsert`)."""
        return self.config.get("load_method") or UPSERT

    @cached_property
    def merges(self) -> bool:
        """Whether records are merged on their key (upsert/overwrite with key properties)."""
        return self.load_method != APPEND_ONLY and bool(self.key_properties)

    # Per-record properties the SDK reads for every record: computed once.

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        """Whether records get `_sdc_*` properties: all (`add_record_metadata`), or versions."""
        return self._add_record_metadata or self._versioned

    @cached_property
    def _add_record_metadata(self) -> bool:
        return bool(self.config.get("add_record_metadata", False))

    @property
    @override
    def is_full(self) -> bool:
        """Whether the batch has `batch_size_rows` records (default 10,000)."""
        return self._batch_records_read >= self._max_rows

    @cached_property
    def _max_rows(self) -> int:
        return self.max_size

    # ACTIVATE_VERSION (as MeltanoLabs' target-postgres)

    @property
    @override
    def process_activate_version_messages(self) -> bool:
        """The `activate_version` setting."""
        return self._target.activates_versions

    @cached_property
    def hard_delete(self) -> bool:
        """The `hard_delete` setting: delete rows of older versions instead of marking them."""
        return bool(self.config.get("hard_delete", False))

    @override
    def _add_sdc_metadata_to_schema(self) -> None:
        """All `_sdc_*` properties with `add_record_metadata`, else those versions need."""
        if self._add_record_metadata:
            super()._add_sdc_metadata_to_schema()
            return
        self.schema["properties"][TABLE_VERSION] = {"type": ["null", "integer"]}
        if not self.hard_delete:
            self.schema["properties"][DELETED_AT] = {
                "type": ["null", "string"],
                "format": "date-time",
            }

    @override
    def _add_sdc_metadata_to_record(self, record: dict, message: dict, context: dict) -> None:
        if self._add_record_metadata:
            super()._add_sdc_metadata_to_record(record, message, context)
            return
        record[TABLE_VERSION] = message.get("version")
        if not self.hard_delete:
            record[DELETED_AT] = record.get(DELETED_AT)

    def start_versions(self) -> None:
        """The stream sends versions: write the records so far, then add the columns."""
        if self._versioned:
            return
        self._target.drain_one(self)
        self._versioned = True
        if not self._add_record_metadata:
            self._add_sdc_metadata_to_schema()
            self._read_schema()
            self._validator = self.get_validator()
            self.setup()

    @override
    def activate_version(self, new_version: int) -> None:
        """Mark deleted (or delete) the rows of versions older than `new_version`.

        Records before the message are written first. Rows without a version (from
        before the stream sent versions, or added by hand) count as older.
        """
        self._target.drain_one(self)
        if not self._insert.columns:
            return
        now = canonical_date_time(datetime.datetime.now(datetime.timezone.utc).isoformat())
        mark = None if self.hard_delete else (self._mapping[DELETED_AT], now)

        def work(db: Connection) -> int:
            return sql.retire_older_versions(
                db, self.table_name, self._mapping[TABLE_VERSION], new_version, mark
            )

        changed = self.connector.transaction(
            work, f"version {new_version} of table {self.table_name!r}"
        )
        self.logger.info(
            "Activated version %d of table %r: %d rows of older versions %s.",
            new_version,
            self.table_name,
            changed,
            "deleted" if self.hard_delete else "marked deleted (_sdc_deleted_at)",
        )

    # Validation and parsing (run per record, so errors can name the input line)

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """jsonschema-rs, or the SDK's validator for schemas it cannot compile."""
        if not self.validate_schema:
            return None
        try:
            return RustJSONSchemaValidator(self.schema)
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError):
            return JSONSchemaValidator(self.schema)  # raises the SDK's InvalidJSONSchema

    @override
    def _validate_and_parse(self, record: dict) -> dict:
        """Validate, then normalise dates and times to their canonical text (datetimes.py).

        Replaces the SDK's version, which logs a traceback per invalid record and
        parses every date-time into a `datetime` only for us to format it again.
        """
        if self._validator is not None:
            try:
                self._validator.validate(record)
            except InvalidRecord as error:
                if self.fail_on_record_validation_exception:
                    error.args = (f"{error.args[0]} (stream {self.stream_name!r})",)
                    raise
                self.logger.warning("Invalid record kept: %s", error)
        if not self._known.issuperset(record):
            self._warn_unknown(record)
        for name, fmt in self._date_times:
            value = record.get(name)
            if value is None:
                continue
            try:
                record[name] = (
                    CANONICAL[fmt](value) if type(value) is str else date_time_text(value, fmt)
                )
            except InvalidDateTimeError as error:
                self._bad_date_time(record, name, error)
        return record

    @override
    def _singer_validate_message(self, record: dict) -> None:
        """The SDK's key check, in one line naming the missing key properties."""
        if missing := [key for key in self._key_properties if key not in record]:
            msg = (
                f"Record is missing one or more key_properties: {', '.join(missing)} "
                f"(stream {self.stream_name!r})"
            )
            raise MissingKeyPropertiesError(msg)

    def _warn_unknown(self, record: dict) -> None:
        for name in record.keys() - self._known - self._warned_unknown:
            self._warned_unknown.add(name)
            self.logger.warning(
                "Stream %r: property %r is not in the stream's schema; it is not loaded.",
                self.stream_name,
                name,
            )

    def _bad_date_time(self, record: dict, name: str, error: InvalidDateTimeError) -> None:
        if self.validate_schema and self.fail_on_record_validation_exception:
            msg = f"{name}: {error} (stream {self.stream_name!r})"
            raise InvalidRecord(msg, record)
        if name not in self._warned_date_times:
            self._warned_date_times.add(name)
            self.logger.warning("Kept %s as text: %s", name, error)

    # Table

    def _warn_if_rekeyed(self) -> None:
        """Warn when the stream's key is not the table's primary key (logged once, not per try)."""
        primary_key = self._shape.primary_key
        key = [self._mapping[name] for name in self.key_properties]
        if not (self.merges and primary_key and sorted(primary_key) != sorted(key)):
            return
        self.logger.warning(
            "Table %r has the primary key (%s) but stream %r now sends key properties (%s): "
            "records are merged on the new key, and one that repeats an old key value with "
            "a new key fails its batch (UNIQUE constraint). To re-key the table, rename or "
            "drop it and load the stream again.",
            self.table_name,
            ", ".join(primary_key),
            self.stream_name,
            ", ".join(key),
        )

    @override
    def setup(self) -> None:
        """Prepare the table in one transaction: create it, or evolve it for this schema.

        An existing table gets a column per new property; a column whose type would
        convert the values the schema now allows is redeclared without affinity;
        date-times earlier versions stored are rewritten to the canonical form
        (migrate.py). A merge key gets its UNIQUE index with the first batch (after an
        `overwrite` emptied the table, so rows `append-only` left cannot block it).
        """
        properties: dict = self.schema.get("properties") or {}
        names = list(properties) + [k for k in self.key_properties if k not in properties]
        date_times = [name for name, fmt in self._date_times if fmt == "date-time"]

        def prepare(db: Connection) -> _Prepared:
            shape = sql.read_shape(db, self.table_name)
            mapping = map_columns(names, shape.columns)
            wanted = {mapping[name]: column_type(properties.get(name, {})) for name in names}
            key = [mapping[name] for name in self.key_properties]
            prepared = _Prepared(mapping=mapping)
            if not shape.exists and wanted:
                primary_key = key if self.load_method != APPEND_ONLY else []
                sql.create_table(db, self.table_name, wanted, primary_key)
            elif shape.exists:
                new = {c: d for c, d in wanted.items() if c not in shape.columns}
                sql.add_columns(db, self.table_name, new)
                prepared.retyped = {
                    mapping[name]: shape.columns[mapping[name]]
                    for name in names
                    if mapping[name] in shape.columns
                    and not keeps(shape.columns[mapping[name]], properties.get(name, {}))
                }
                sql.widen_columns(db, self.table_name, prepared.retyped)
            prepared.shape = sql.read_shape(db, self.table_name)
            prepared.rewrite = migrate.canonical_date_times(
                db,
                self.table_name,
                [mapping[name] for name in date_times if mapping[name] in prepared.shape.columns],
                [prepared.shape.primary_key, *prepared.shape.unique_keys],
                f"{self.config.get('table_prefix') or ''}{migrate.MIGRATIONS}",
            )
            return prepared

        prepared = self.connector.transaction(prepare, f"the table {self.table_name!r}")
        self._shape, self._mapping = prepared.shape, prepared.mapping
        key = [self._mapping[name] for name in self.key_properties]
        self._unique_pending = self.merges and not self._shape.has_unique(key)
        self._report_changes(prepared)
        self._warn_if_rekeyed()
        self._plan_insert()

    def _report_changes(self, prepared: _Prepared) -> None:
        """Log what preparing the table changed (after the transaction: once, not per try)."""
        for column, declared in prepared.retyped.items():
            self.logger.info(
                "Column %r of table %r is %s, which would convert values stream %r now "
                "sends; redeclared without type affinity so they are stored as sent.",
                column,
                self.table_name,
                declared,
                self.stream_name,
            )
        rewrite = prepared.rewrite
        if rewrite.rewritten:
            log = self.logger.warning if rewrite.merged else self.logger.info
            log(
                "Table %r: %d stored date-time texts not in the canonical form (earlier "
                "versions kept them as sent) rewritten to UTC (+00:00); %d rows that held an "
                "instant under another spelling merged into the row of the same key (the "
                "newest kept).",
                self.table_name,
                rewrite.rewritten,
                rewrite.merged,
            )
        for column, count in rewrite.unreadable.items():
            self.logger.warning(
                "Table %r column %r: %d stored texts are no date-time SQLite can read; "
                "left as they are.",
                self.table_name,
                column,
                count,
            )

    def _plan_insert(self) -> None:
        """Fix the column list, placeholders and value converters from the table shape.

        Values are converted in two steps (see `sqltypes.Binding`): early, per
        record, to text and JSON text; late, per batch, numbers, which may ask to
        widen their column (`Overflow`). Over HTTP doubles are bound as exact text.
        """
        self._early: list[tuple[str, t.Callable[[t.Any], t.Any]]] = []
        self._late: list[t.Callable[[t.Any], t.Any] | None] = []
        self._spread: list[bool] = []
        columns, placeholders = [], []
        over_http = self.connector.over_http
        for name, column in self._mapping.items():
            bound = binding(self._shape.columns.get(column, UNTYPED), over_http=over_http)
            columns.append(column)
            placeholders.append(bound.placeholder)
            self._early.append((name, bound.early))
            self._late.append(bound.late)
            self._spread.append(bound.spread)
        self._key_index = [list(self._mapping).index(key) for key in self.key_properties]
        key = [self._mapping[name] for name in self.key_properties] if self.merges else None
        self._insert = sql.InsertPlan(self.table_name, columns, placeholders, key)

    # Records

    @override
    def process_record(self, record: dict, context: dict) -> None:
        """Queue the record as a row; a later record with the same key replaces it.

        A merge key must not be null: NULLs never conflict, so they would duplicate.
        """
        get = record.get
        row = [early(get(name)) for name, early in self._early]
        if self.merges:
            key = tuple(row[i] for i in self._key_index)
            if None in key:
                name = self.key_properties[key.index(None)]
                msg = (
                    f"Record of stream {self.stream_name!r} has a null key property "
                    f"{name!r}; `{self.load_method}` needs a value to merge on."
                )
                raise MissingKeyPropertiesError(msg)
            self._rows_by_key[key] = row
        else:
            self._rows.append(row)

    def _take_rows(self) -> list[list[t.Any]]:
        rows = list(self._rows_by_key.values()) if self.merges else self._rows
        self._rows_by_key, self._rows = {}, []
        return rows

    def _parameters(self, rows: list[list[t.Any]]) -> list[list[t.Any]]:
        """Late conversion to parameter rows, widening columns that cannot hold a value."""
        while True:
            if not any(self._late):
                return rows
            try:
                return [self._late_row(row) for row in rows]
            except Overflow:
                self._mark_overflowing(rows)

    def _late_row(self, row: list[t.Any]) -> list[t.Any]:
        out: list[t.Any] = []
        for value, convert, spread in zip(row, self._late, self._spread, strict=True):
            if convert is None:
                out.append(value)
            elif spread:
                out.extend(convert(value))
            else:
                out.append(convert(value))
        return out

    def _mark_overflowing(self, rows: list[list[t.Any]]) -> None:
        columns = self._insert.columns
        late = zip(self._late, self._spread, columns, strict=True)
        for index, (convert, spread, column) in enumerate(late):
            if convert is None or spread:
                continue
            for row in rows:
                try:
                    convert(row[index])
                except Overflow:
                    self.logger.info(
                        "Column %r of %r gets a value its type cannot keep exactly; "
                        "redeclaring it without type affinity.",
                        column,
                        self.table_name,
                    )
                    self._to_widen.add(column)
                    self._shape.columns[column] = UNTYPED
                    break
        self._plan_insert()

    # BATCH messages

    @override
    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: t.Sequence[str]) -> None:
        """Load a BATCH message's files; an error names the file (and the record in it)."""
        for path in files:
            try:
                super().process_batch_files(encoding, [path])
            except (InvalidRecord, MissingKeyPropertiesError) as error:
                error.args = (f"batch file {path!r}, {error.args[0]}", *error.args[1:])
                raise
            except OSError as error:
                msg = f"batch file {path!r} cannot be read ({error.strerror or error})"
                raise InvalidInputLine(msg) from None

    def _take_batch_records(self, records: list[dict]) -> None:
        """Take each record of a BATCH file exactly as the record of a RECORD message.

        The same steps as the SDK's RECORD path (metadata, validation, date-time
        normalisation, key check, batching), so no record skips them.
        """
        for number, record in enumerate(records, start=1):
            try:
                nulled = refuse_non_finite(
                    record, self.stream_name, to_null=not self.validate_schema
                )
                context = self._get_context(record)
                if self.include_sdc_metadata_properties:
                    self._add_sdc_metadata_to_record(record, {}, context)
                else:
                    self._remove_sdc_metadata_from_record(record)
                parsed = self.preprocess_record(self._validate_and_parse(record), context)
                self._singer_validate_message(parsed)
                self.tally_record_read()
                self.process_record(parsed, context)
            except (InvalidRecord, MissingKeyPropertiesError) as error:
                error.args = (f"record {number}: {error.args[0]}", *error.args[1:])
                raise
            if nulled:
                self.logger.warning(
                    "Record %d of a batch file: %s of stream %r is NaN or Infinity, which "
                    "JSON lacks: stored as NULL (`validate_records` is off).",
                    number,
                    ", ".join(nulled),
                    self.stream_name,
                )
            self._after_process_record(context)
            if self.is_full:
                self._target.drain_one(self)

    # Batch

    @override
    def process_batch(self, context: dict) -> None:
        """Write the batch in one transaction: overwrite, widen, multi-row upsert.

        A context with `records` is a BATCH message's file (the SDK's
        `process_batch_files`): its records join the batch as RECORD messages would.
        """
        if "records" in context:
            self._take_batch_records(context["records"])
            return
        rows = self._take_rows()
        self.tally_duplicate_merged(max(0, self._batch_records_read - len(rows)))
        if not self._insert.columns:
            if rows:
                self.logger.warning(
                    "Stream %r declares no properties: %d records have nothing to load.",
                    self.stream_name,
                    len(rows),
                )
            return
        rows = self._parameters(rows)
        overwrite = self._overwrite_pending()

        def write(db: Connection) -> None:
            if overwrite:
                self.connector.execute(db, f"DELETE FROM {quote_identifier(self.table_name)}")
            if self._to_widen:
                sql.widen_columns(db, self.table_name, self._to_widen)
            if self._unique_pending:
                sql.ensure_unique(db, self.table_name, self._insert.conflict_key or [])
            for statement, parameters in self._insert.statements(rows):
                self.connector.execute(db, statement, parameters)

        sent = self.connector.round_trips
        self.connector.transaction(write, f"{len(rows)} rows to table {self.table_name!r}")
        self._target.stats.add_batch(len(rows), self.connector.round_trips - sent)
        self._to_widen.clear()
        self._unique_pending = False
        if overwrite:
            self._target.overwritten.add(self.table_name)

    def _overwrite_pending(self) -> bool:
        return self.load_method == OVERWRITE and self.table_name not in self._target.overwritten

    @override
    def clean_up(self) -> None:
        """With `overwrite`, empty the table even if the stream sent no records."""
        if self._insert.columns and self._overwrite_pending():
            self.connector.transaction(
                lambda db: self.connector.execute(
                    db, f"DELETE FROM {quote_identifier(self.table_name)}"
                ),
                f"the emptied table {self.table_name!r}",
            )
            self._target.overwritten.add(self.table_name)
        super().clean_up()
