"""Records from BATCH message files are taken exactly like records from RECORD messages."""

from __future__ import annotations

import json
from pathlib import Path

import libsql_experimental
import pytest

PROPERTIES = {
    "id": {"type": "integer"},
    "at": {"type": "string", "format": "date-time"},
    "v": {"type": ["string", "null"]},
}
KEYED = {
    "type": "SCHEMA",
    "stream": "plays",
    "key_properties": ["id"],
    "schema": {"properties": PROPERTIES},
}
REQUIRED_ID = {
    "type": "SCHEMA",
    "stream": "plays",
    "key_properties": [],
    "schema": {"required": ["id"], "properties": PROPERTIES},
}


def record(**values) -> dict:
    return {"type": "RECORD", "stream": "plays", "record": values}


def test_batch_records_are_normalised_and_merged_like_record_messages(
    database, load_text, singer, batch_message
):
    load_text(
        database.config,
        singer(
            KEYED,
            record(id=1, at="2024-01-01T01:00:00+01:00", v="record"),
            record(id=2, at="2023-12-31T00:00:00Z", v="replaced by the batch file"),
            batch_message("plays", "batch_plays"),
            {"type": "STATE", "value": {"plays": 3}},
        ),
    )
    rows = database.query(f'SELECT "id", "at", "v" FROM {database.table("plays")} ORDER BY "id"')
    assert rows == [
        (1, "2024-01-01T00:00:00+00:00", "record"),
        (2, "2024-01-01T00:00:00+00:00", "from the batch file"),
        (3, "2024-01-01T00:00:01+00:00", "also"),
    ]


def error_line(stderr: str) -> str:
    (line,) = [line for line in stderr.splitlines() if "Line 2: " in line]
    return line.split("Line 2: ", 1)[1]


@pytest.mark.parametrize(
    ("schema", "name", "number", "problem"),
    [
        (REQUIRED_ID, "batch_missing_id", 2, 'record: "id" is a required property'),
        (REQUIRED_ID, "batch_wrong_type", 1, 'id: "not-an-int" is not of type "integer"'),
        (REQUIRED_ID, "batch_impossible_date", 1, "(month must be in 1..12)"),
        (KEYED, "batch_missing_id", 2, "Record is missing one or more key_properties"),
    ],
)
def test_an_invalid_batch_record_fails_as_the_same_record_message_would(
    tmp_path, cli, singer, batch_message, schema, name, number, problem
):
    batch = batch_message("plays", name)
    (path,) = batch["manifest"]
    bad = json.loads(Path(path.removeprefix("file://")).read_text().splitlines()[number - 1])
    as_record = cli({"database_url": str(tmp_path / "record.db")}, singer(schema, record(**bad)))
    as_batch = cli({"database_url": str(tmp_path / "batch.db")}, singer(schema, batch))
    for result in (as_record, as_batch):
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert problem in error_line(as_record.stderr)
    assert error_line(as_batch.stderr) == (
        f"batch file {path!r}, record {number}: {error_line(as_record.stderr)}"
    )
    written = libsql_experimental.connect(str(tmp_path / "batch.db"))
    assert written.execute('SELECT count(*) FROM "plays"').fetchall() == [(0,)]


def test_a_batch_file_that_cannot_be_read_names_the_file(tmp_path, cli, singer):
    missing = (tmp_path / "nowhere.jsonl").as_uri()
    batch = {
        "type": "BATCH",
        "stream": "plays",
        "encoding": {"format": "jsonl"},
        "manifest": [missing],
    }
    result = cli({"database_url": str(tmp_path / "t.db")}, singer(KEYED, batch))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Line 2: batch file {missing!r} cannot be read (" in result.stderr
