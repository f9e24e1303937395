"""Bad input and bad settings end the CLI with one clear line, exit code 1, no traceback."""

from __future__ import annotations

import subprocess

import libsql_experimental
import pytest
from testkit.sqld import free_port

SCHEMA = {
    "type": "SCHEMA",
    "stream": "items",
    "key_properties": ["id"],
    "schema": {"properties": {"id": {"type": "integer"}, "v": {"type": ["string", "null"]}}},
}


def record(key, v="x", stream="items"):
    return {"type": "RECORD", "stream": stream, "record": {"id": key, "v": v}}


def assert_clean_failure(result, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_invalid_json_names_its_line(tmp_path, cli, singer):
    text = singer(SCHEMA, record(1)) + '{"type": "RECORD", "stream": "items", "record": {\n'
    result = cli({"database_url": str(tmp_path / "t.db")}, text)
    assert_clean_failure(result, "Line 3: invalid JSON")


def test_record_before_its_schema_names_the_line_and_stream(tmp_path, cli, singer):
    result = cli({"database_url": str(tmp_path / "t.db")}, singer(record(1)))
    assert_clean_failure(result, "Line 1:", "'items'", "before a corresponding schema")


def test_unknown_message_type_names_the_line_and_type(tmp_path, cli, singer):
    text = singer(SCHEMA, {"type": "BOOKMARK", "value": 1})
    result = cli({"database_url": str(tmp_path / "t.db")}, text)
    assert_clean_failure(result, "Line 2: unknown message type 'BOOKMARK'")


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (
            {"type": "RECORD", "stream": "items", "record": 5},
            "the RECORD message's 'record' must be an object",
        ),
        ({"type": "RECORD", "record": {"id": 1}}, "the RECORD message has no 'stream'"),
        (["RECORD"], "a Singer message must be a JSON object"),
        ({"stream": "items"}, "the message has no 'type'"),
        (
            {"type": "ACTIVATE_VERSION", "stream": "nope", "version": 1},
            "ACTIVATE_VERSION message for stream 'nope' arrived before its SCHEMA",
        ),
        (
            {"type": "SCHEMA", "stream": "bare", "schema": {"type": "object"}},
            "the SCHEMA message's 'schema' has no 'properties' object",
        ),
    ],
)
def test_malformed_messages_name_the_line_and_the_problem(tmp_path, cli, singer, message, problem):
    result = cli({"database_url": str(tmp_path / "t.db")}, singer(SCHEMA, message))
    assert_clean_failure(result, f"Line 2: {problem}")


def test_record_violating_its_schema_names_line_property_and_stream(tmp_path, cli, singer):
    text = singer(SCHEMA, record(1), record("one"))
    result = cli({"database_url": str(tmp_path / "t.db")}, text)
    assert_clean_failure(result, "Line 3:", 'id: "one" is not of type "integer"', "'items'")


@pytest.mark.parametrize(
    ("sent", "problem"),
    [
        ("yesterday", "'yesterday' is not an ISO 8601 date-time"),
        (
            "2024-13-45T99:99:99Z",
            "'2024-13-45T99:99:99Z' is not a valid date-time (month must be in 1..12)",
        ),
        (
            "9999-12-31T23:59:59.999999",
            "'9999-12-31T23:59:59.999999' is not a valid date-time (SQLite's date functions "
            "round it to milliseconds, past the year 9999; 9999-12-31T23:59:59.999 is the last "
            "instant they read)",
        ),
    ],
)
def test_a_date_time_sqlite_cannot_read_is_refused_naming_line_and_property(
    tmp_path, cli, singer, sent, problem
):
    schema = {
        "type": "SCHEMA",
        "stream": "when",
        "key_properties": [],
        "schema": {"properties": {"at": {"type": "string", "format": "date-time"}}},
    }
    text = singer(
        schema,
        {"type": "RECORD", "stream": "when", "record": {"at": "2024-01-01T00:00:00Z"}},
        {"type": "RECORD", "stream": "when", "record": {"at": sent}},
    )
    result = cli({"database_url": str(tmp_path / "t.db")}, text)
    assert_clean_failure(
        result, f"Line 3: Record Message Validation Error: at: {problem} (stream 'when')"
    )


def test_record_without_its_key_property_names_the_line(tmp_path, cli, singer):
    text = singer(SCHEMA, {"type": "RECORD", "stream": "items", "record": {"v": "x"}})
    result = cli({"database_url": str(tmp_path / "t.db")}, text)
    assert_clean_failure(result, "Line 2:", "missing one or more key_properties")


def test_record_with_a_null_key_is_refused_because_it_could_never_be_merged(tmp_path, cli, singer):
    nullable = {**SCHEMA, "schema": {"properties": {"id": {"type": ["integer", "null"]}}}}
    text = singer(nullable, record(None))
    result = cli({"database_url": str(tmp_path / "t.db")}, text)
    assert_clean_failure(result, "Line 2:", "null key property 'id'")


def test_blank_lines_are_skipped(tmp_path, cli, singer):
    text = "\n" + singer(SCHEMA) + "   \n" + singer(record(1), {"type": "STATE", "value": 1})
    result = cli({"database_url": str(tmp_path / "t.db")}, text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n"


def test_failed_batch_rolls_back_and_its_state_is_never_emitted(tmp_path, cli, singer):
    url = str(tmp_path / "t.db")
    assert cli({"database_url": url}, singer(SCHEMA, record(1, "kept"))).returncode == 0
    # append-only cannot insert id 1 again into a table whose primary key is id.
    text = singer(SCHEMA, record(2, "new"), record(1, "dupe"), {"type": "STATE", "value": "s2"})
    result = cli({"database_url": url, "load_method": "append-only"}, text)
    assert_clean_failure(result, "UNIQUE constraint failed", "rolled back")
    assert result.stdout == ""
    rows = libsql_experimental.connect(url).execute('SELECT * FROM "items"').fetchall()
    assert rows == [(1, "kept")]


def test_state_is_emitted_after_the_records_before_it_are_committed(tmp_path, cli, singer):
    url = str(tmp_path / "t.db")
    text = singer(
        SCHEMA,
        record(1),
        {"type": "STATE", "value": {"n": 1}},
        record(2),
        record(3),
        {"type": "STATE", "value": {"n": 3}},
    )
    result = cli({"database_url": url, "batch_size_rows": 2}, text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"n": 3}\n'


def test_missing_folder_for_the_database_file_names_the_setting(tmp_path, cli, singer):
    result = cli({"database_url": str(tmp_path / "no" / "such" / "t.db")}, singer(SCHEMA))
    assert_clean_failure(result, "`database_url`", "does not exist")


def test_unreachable_server_names_the_setting_after_bounded_retries(cli, singer):
    url = f"http://127.0.0.1:{free_port()}"
    result = cli({"database_url": url, "auth_token": "secret-token-value"}, singer(SCHEMA))
    assert_clean_failure(result, f"Could not reach the database at {url}", "`database_url`")
    assert result.stderr.count("Transient error") == 4
    assert "secret-token-value" not in result.stderr + result.stdout


def test_invalid_load_method_is_a_config_error(tmp_path, cli, singer):
    result = cli({"database_url": str(tmp_path / "t.db"), "load_method": "merge"}, singer(SCHEMA))
    assert_clean_failure(result, "load_method", "Config validation failed")


def test_property_missing_from_the_schema_is_warned_about_once_and_not_loaded(
    tmp_path, cli, singer
):
    extra = {"type": "RECORD", "stream": "items", "record": {"id": 1, "v": "x", "extra": 5}}
    result = cli({"database_url": str(tmp_path / "t.db")}, singer(SCHEMA, extra, extra))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("property 'extra' is not in the stream's schema") == 1
    rows = libsql_experimental.connect(str(tmp_path / "t.db")).execute('SELECT * FROM "items"')
    assert rows.fetchall() == [(1, "x")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '{"database_url": "t.db",\n "load_method": "upsert"\n',
            "The config file 'config.json' is not valid JSON (Expecting ',' delimiter at line 3 "
            "column 1). It must be one JSON object of settings",
        ),
        ('["t.db"]', "The config file 'config.json' holds an array, not an object of settings"),
        (None, "The config file 'config.json' does not exist."),
    ],
)
def test_a_malformed_config_file_is_named_in_one_line(tmp_path, target_cli, text, problem):
    if text is not None:
        (tmp_path / "config.json").write_text(text)
    result = subprocess.run(
        [str(target_cli), "--config", "config.json"],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert_clean_failure(result, problem)
    assert len([line for line in result.stderr.splitlines() if "ERROR" in line]) == 1


def test_upsert_onto_keys_repeated_by_append_only_says_why_and_what_to_do(tmp_path, cli, singer):
    url = str(tmp_path / "t.db")
    twice = singer(SCHEMA, record(1, "a"), record(1, "b"), record(2, "c"))
    assert cli({"database_url": url, "load_method": "append-only"}, twice).returncode == 0
    result = cli({"database_url": url}, singer(SCHEMA, record(3, "new")))
    assert_clean_failure(
        result,
        "Table 'items' holds 1 key value (id) in more than one row (left by load_method "
        "`append-only`), so `upsert` cannot build the UNIQUE index it merges on. Keep one row "
        'per key, e.g. DELETE FROM "items" WHERE rowid NOT IN (SELECT max(rowid) FROM "items" '
        'GROUP BY "id"), or load this stream with `append-only`.',
    )
    assert "Error initializing target sink" not in result.stderr
    rows = libsql_experimental.connect(url).execute('SELECT * FROM "items" ORDER BY rowid')
    assert rows.fetchall() == [(1, "a"), (1, "b"), (2, "c")]


NUMBERS = {
    "type": "SCHEMA",
    "stream": "numbers",
    "key_properties": ["id"],
    "schema": {
        "properties": {
            "id": {"type": "integer"},
            "x": {"type": ["number", "null"]},
            "o": {"type": ["object", "null"]},
        }
    },
}
WITH_NAN = (
    '{"type": "RECORD", "stream": "numbers", "record": {"id": 1, "x": 1.5}}\n'
    '{"type": "RECORD", "stream": "numbers", "record": {"id": 2, "x": NaN, "o": {"a": '
    "[1, -Infinity]}}}\n"
)


def test_nan_with_validation_on_is_refused_naming_line_and_property(tmp_path, cli, singer):
    result = cli({"database_url": str(tmp_path / "t.db")}, singer(NUMBERS) + WITH_NAN)
    assert_clean_failure(
        result,
        "Line 3: Record Message Validation Error: x: NaN is not a JSON number (stream "
        "'numbers'); have the tap send null, or set `validate_records` to false to store NULL",
    )


def test_nan_with_validation_off_is_stored_as_null_with_a_warning(tmp_path, cli, singer):
    url = str(tmp_path / "t.db")
    result = cli({"database_url": url, "validate_records": False}, singer(NUMBERS) + WITH_NAN)
    assert result.returncode == 0, result.stderr
    assert "Line 3: x of stream 'numbers' is NaN or Infinity, which JSON lacks: stored as NULL" in (
        result.stderr
    )
    assert "Line 3: o.a[1] of stream 'numbers' is NaN or Infinity" in result.stderr
    rows = libsql_experimental.connect(url).execute('SELECT * FROM "numbers" ORDER BY "id"')
    assert rows.fetchall() == [(1, 1.5, None), (2, None, '{"a":[1,null]}')]


def test_nan_in_a_batch_file_is_refused_like_in_a_record_message(tmp_path, cli, singer):
    batch_file = tmp_path / "nan.jsonl"
    batch_file.write_text('{"id": 1, "x": NaN}\n')
    batch = {
        "type": "BATCH",
        "stream": "numbers",
        "encoding": {"format": "jsonl"},
        "manifest": [batch_file.as_uri()],
    }
    result = cli({"database_url": str(tmp_path / "t.db")}, singer(NUMBERS, batch))
    assert_clean_failure(
        result,
        f"Line 2: batch file {batch_file.as_uri()!r}, record 1: Record Message Validation "
        "Error: x: NaN is not a JSON number (stream 'numbers')",
    )
