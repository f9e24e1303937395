"""ACTIVATE_VERSION as MeltanoLabs' target-postgres implements it, on its own scenario files.

Each `test_target_postgres_*` test runs target-postgres 0.8.1's scenario file (read from
its published wheel) and asserts what its `test_target_postgres.py` asserts; the other
tests pin what target-turso does beyond that. Every test runs on a file and on sqld.
"""

from __future__ import annotations

import libsql_experimental
import pytest
from target_turso.target import TargetTurso

SOFT = "test_activate_version_soft"


def insert_by_hand(database, stream: str, *codes: str) -> None:
    """Rows added without the tap, as target-postgres's tests add them."""
    db = libsql_experimental.connect(database.url)
    for code in codes:
        db.execute(
            f'INSERT INTO {database.table(stream)} ("code", "name") VALUES (?, ?)',
            (code, "Meltano"),
        )
    db.commit()
    db.close()


def count(database, stream: str, where: str = "") -> int:
    return database.query(f"SELECT count(*) FROM {database.table(stream)} {where}")[0][0]


@pytest.fixture
def load_peer(database, load_text, peer_file):
    """`load_peer(name, **config)` loads target-postgres's `<name>.singer` into `database`."""
    return lambda name, **config: load_text(
        {**database.config, **config}, peer_file("target-postgres", name)
    )


def load_then_add_two_by_hand(database, load_peer, stream: str, **config) -> None:
    """target-postgres's opening: its 7 countries loaded, then 2 rows added by hand."""
    load_peer(stream, **config)
    assert count(database, stream) == 7
    insert_by_hand(database, stream, "Manual1", "Manual2")
    assert count(database, stream) == 9


def test_target_postgres_hard_delete_removes_older_and_hand_added_rows(database, load_peer):
    stream = "test_activate_version_hard"
    load_then_add_two_by_hand(database, load_peer, stream, hard_delete=True)
    load_peer(stream, hard_delete=True)
    assert count(database, stream) == 7
    assert count(database, stream, "WHERE \"code\" = 'XX'") == 0


def test_target_postgres_soft_delete_marks_rows_and_leaves_marked_ones_unchanged(
    database, load_peer
):
    load_peer(SOFT, hard_delete=False)
    assert count(database, SOFT) == 7
    load_peer(f"{SOFT}_with_delete", hard_delete=False)
    assert count(database, SOFT) == 7
    south_america = database.query(f"SELECT * FROM {database.table(SOFT)} WHERE \"code\" = 'SA'")
    load_peer(f"{SOFT}_with_delete", hard_delete=False)
    insert_by_hand(database, SOFT, "Manual1", "Manual2")
    assert count(database, SOFT) == 9
    load_peer(f"{SOFT}_with_delete", hard_delete=False)
    assert count(database, SOFT) == 9
    assert count(database, SOFT, "WHERE _sdc_deleted_at IS NOT NULL") == 3
    assert (
        database.query(f"SELECT * FROM {database.table(SOFT)} WHERE \"code\" = 'SA'")
        == south_america
    )


def test_target_postgres_a_newer_version_without_records_deletes_every_row(database, load_peer):
    stream = "test_activate_version_deletes_data_properly"
    load_then_add_two_by_hand(database, load_peer, stream, hard_delete=True)
    load_peer(f"{stream}_2", hard_delete=True)
    assert count(database, stream) == 0


def test_target_postgres_uppercase_stream_name(database, load_peer):
    load_peer("test_activate_version_uppercase_stream_name", hard_delete=True)
    assert count(database, "Account") == 7


def test_soft_delete_rows_and_columns_are_exact(database, load_peer, caplog):
    load_peer(SOFT)
    load_peer(f"{SOFT}_with_delete")
    assert "even though `add_record_metadata` is disabled" not in caplog.text  # SDK's warning
    rows = database.query(
        f'SELECT "code", "_sdc_table_version", "_sdc_deleted_at" IS NOT NULL, '
        f"\"_sdc_deleted_at\" GLOB '????-??-??T??:??:??*+00:00' FROM {database.table(SOFT)} "
        'ORDER BY "code"'
    )
    kept = [(code, 1674486431564, 0, None) for code in ("AF", "AN", "AS", "EU", "NA", "OC")]
    assert rows == [*kept, ("SA", 1674486431563, 1, 1)]
    columns = [
        name
        for (name,) in database.query(
            "SELECT name FROM pragma_table_info(?)", (database.prefix + SOFT,)
        )
    ]
    assert columns == ["code", "name", "_sdc_table_version", "_sdc_deleted_at"]


def test_a_record_that_comes_back_is_no_longer_marked_deleted(
    database, load_peer, load_text, peer_file
):
    load_peer(SOFT)
    load_peer(f"{SOFT}_with_delete")  # South America is marked deleted
    again = peer_file("target-postgres", SOFT).replace("1674486431563", "1674486431565")
    load_text(database.config, again)
    assert database.query(
        f'SELECT "code", "_sdc_table_version", "_sdc_deleted_at" FROM {database.table(SOFT)} '
        "WHERE \"code\" = 'SA'"
    ) == [("SA", 1674486431565, None)]


def test_versions_sent_only_with_records_and_at_the_end_still_delete_older_rows(
    database, load_text, singer
):
    schema = {
        "type": "SCHEMA",
        "stream": "full",
        "key_properties": ["id"],
        "schema": {"properties": {"id": {"type": "integer"}}},
    }

    def run(version: int, *ids: int) -> None:
        records = [
            {"type": "RECORD", "stream": "full", "record": {"id": i}, "version": version}
            for i in ids
        ]
        activate = {"type": "ACTIVATE_VERSION", "stream": "full", "version": version}
        load_text({**database.config, "hard_delete": True}, singer(schema, *records, activate))

    run(1, 1, 2, 3)
    run(2, 2, 3, 4)
    assert database.query(f'SELECT "id" FROM {database.table("full")} ORDER BY "id"') == [
        (2,),
        (3,),
        (4,),
    ]


def test_activate_version_false_ignores_the_messages_and_adds_no_columns(
    database, load_peer, caplog
):
    load_peer("test_activate_version_hard", activate_version=False)
    assert count(database, "test_activate_version_hard") == 8
    columns = database.query(
        "SELECT name FROM pragma_table_info(?)",
        (database.prefix + "test_activate_version_hard",),
    )
    assert columns == [("code",), ("name",)]
    assert "messages are not enabled for 'test_activate_version_hard'. Ignoring." in caplog.text


def test_with_record_metadata_the_sdk_columns_are_kept_and_versions_apply(database, load_peer):
    stream = "test_activate_version_hard"
    load_peer(stream, hard_delete=True, add_record_metadata=True)
    assert count(database, stream) == 7
    assert count(database, stream, "WHERE _sdc_table_version = 1674486431563") == 7
    assert count(database, stream, "WHERE _sdc_received_at GLOB '*+00:00'") == 7


def test_the_target_advertises_activate_version_and_its_two_settings():
    assert {"activate-version", "hard-delete"} <= {str(c.value) for c in TargetTurso.capabilities}
    properties = TargetTurso.config_jsonschema["properties"]
    assert properties["activate_version"]["default"] is True
    assert properties["hard_delete"]["default"] is False
    assert "process_activate_version_messages" not in properties
