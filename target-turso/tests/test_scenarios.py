"""Named Singer scenarios (tests/data_files/*.singer) and the exact rows each must leave.

Every test runs against a local file and against sqld (the `database` fixture).
"""

from __future__ import annotations

import logging

import libsql_experimental
import pytest
from target_turso.naming import suffixed

BIG_SCHEMA = {
    "type": "SCHEMA",
    "stream": "big",
    "key_properties": ["id"],
    "schema": {"properties": {"id": {"type": "integer"}, "n": {"type": ["integer", "null"]}}},
}


DUPES_SCHEMA = (
    '{"type": "SCHEMA", "stream": "dupes", "key_properties": ["id"], "schema": '
    '{"properties": {"id": {"type": "integer"}, "v": {"type": "string"}}}}\n'
)
"""The SCHEMA line of `duplicate_records_last_wins.singer`."""


def big_record(key: int, n: int) -> dict:
    return {"type": "RECORD", "stream": "big", "record": {"id": key, "n": n}}


def test_reserved_words_as_stream_and_column_names_are_quoted(database, load_file):
    load_file("reserved_keywords")
    rows = database.query(
        f'SELECT "select", "from", "group", "where", "rowid" FROM {database.table("order")} '
        'ORDER BY "select"'
    )
    assert rows == [(1, "a", "g1", 1, 10), (2, "b", None, 0, 20)]


def test_hostile_names_keep_their_text_and_case_collisions_get_hashed_columns(database, load_file):
    load_file("hostile_names")
    table = database.table('my "odd".stream name ☃')
    columns = [
        row[0]
        for row in database.query(
            "SELECT name FROM pragma_table_info(?)", (database.prefix + 'my "odd".stream name ☃',)
        )
    ]
    # NAME sorts first by code point, so it keeps the bare name; the others are suffixed
    # with 8 hex digits of the SHA-256 of their own name.
    assert columns == [
        "key with space",
        'quo"te',
        "dot.ted",
        "ünïcödé",
        "Name__dcd1d522",
        "name__82a3537f",
        "NAME",
        "'; DROP TABLE x; --",
    ]
    rows = database.query(f'SELECT * FROM {table} ORDER BY "key with space"')
    assert rows == [
        ("k1", 'q"1', "d1", "ü1", "Upper", "lower", "caps", "'; DROP TABLE x; --"),
        ("k2", None, "d2", "ü2", "Upper2", "lower2", "caps2", "v2"),
    ]


def test_case_collision_mapping_is_stable_when_the_stream_is_loaded_again(database, load_file):
    load_file("hostile_names")
    load_file("hostile_names")
    table = database.table('my "odd".stream name ☃')
    rows = database.query(f'SELECT "NAME", "Name__dcd1d522", "name__82a3537f" FROM {table}')
    assert sorted(rows) == [("caps", "Upper", "lower"), ("caps2", "Upper2", "lower2")]


def test_schema_change_mid_stream_adds_columns_widens_types_and_keeps_dropped_ones(
    database, load_file
):
    load_file("schema_change_mid_stream")
    rows = database.query(
        f'SELECT "id", "a", "gone", "b" FROM {database.table("evolving")} ORDER BY "id"'
    )
    assert rows == [(1, 10, "x1", None), (2, "twenty", "x2", 1), (3, 30, None, 0)]


def test_duplicate_records_in_one_batch_last_one_wins(database, load_file):
    load_file("duplicate_records_last_wins")
    rows = database.query(f'SELECT "id", "v" FROM {database.table("dupes")} ORDER BY "id"')
    assert rows == [(1, "last"), (2, "only")]


def test_reloading_the_same_input_upserts_instead_of_duplicating(database, load_file):
    load_file("duplicate_records_last_wins")
    load_file("duplicate_records_last_wins")
    rows = database.query(f'SELECT "id", "v" FROM {database.table("dupes")} ORDER BY "id"')
    assert rows == [(1, "last"), (2, "only")]


def test_64_bit_integers_are_stored_exactly_as_integers(database, load_file):
    load_file("large_ints")
    rows = database.query(
        f'SELECT "id", "n", typeof("n") FROM {database.table("big")} ORDER BY "id"'
    )
    assert rows == [
        (1, 2147483647, "integer"),
        (2, 2147483653, "integer"),
        (3, 9007199254740993, "integer"),
        (4, 9223372036854775807, "integer"),
        (5, -9223372036854775808, "integer"),
        (6, None, "null"),
        (9223372036854775806, -2147483649, "integer"),
    ]


def test_integers_beyond_64_bits_are_kept_exactly_as_text(database, load_file):
    load_file("beyond_64_bits")
    table = database.table("huge")
    rows = database.query(f'SELECT "id", "n", typeof("n") FROM {table} ORDER BY "id"')
    assert rows == [
        (1, 9007199254740993, "integer"),
        (2, "18446744073709551617", "text"),
        (3, "-123456789012345678901234567890", "text"),
        (4, 9223372036854775807, "integer"),
    ]
    declared = database.query(
        "SELECT name, type, pk FROM pragma_table_info(?)", (database.prefix + "huge",)
    )
    assert declared == [("id", "INTEGER", 1), ("n", "", 0)]


def test_widening_a_column_keeps_earlier_rows_and_the_primary_key(
    database, load_file, load_text, singer
):
    load_file("large_ints")
    load_file("beyond_64_bits", table_prefix=database.prefix)  # another stream, same db
    huge = singer(BIG_SCHEMA, big_record(1, 99999999999999999999))
    load_text(database.config, huge)
    load_text(database.config, huge)
    rows = database.query(f'SELECT "id", "n" FROM {database.table("big")} ORDER BY "id"')
    assert rows == [
        (1, "99999999999999999999"),
        (2, 2147483653),
        (3, 9007199254740993),
        (4, 9223372036854775807),
        (5, -9223372036854775808),
        (6, None),
        (9223372036854775806, -2147483649),
    ]


def test_numbers_are_real_unless_a_double_would_lose_digits(database, load_file):
    load_file("exact_numbers")
    rows = database.query(
        f'SELECT "id", "x", typeof("x") FROM {database.table("numbers")} ORDER BY "id"'
    )
    assert rows == [
        (1, 0.1, "real"),
        (2, 19.99, "real"),
        (3, 7, "integer"),
        (4, "0.12345678901234567890123", "text"),
        (5, 9007199254740993, "integer"),
    ]


def test_value_types_booleans_json_and_date_times_in_canonical_utc(database, load_file):
    load_file("value_types")
    table = database.table("plays")
    rows = database.query(
        f'SELECT "played_at", datetime("played_at"), "day", "explicit", "track", '
        f'json_extract("track", \'$.duration_ms\'), "tags", "mixed", typeof("mixed") '
        f'FROM {table} ORDER BY "played_at"'
    )
    assert rows == [
        (
            "2024-03-01T10:00:00.123+00:00",
            "2024-03-01 10:00:00",
            "2024-03-01",
            1,
            '{"name":"Snow ☃ \\"quoted\\"","duration_ms":215000}',
            215000,
            '["a","b"]',
            5,
            "integer",
        ),
        (
            "2024-03-01T10:30:00+00:00",
            "2024-03-01 10:30:00",
            None,
            0,
            None,
            None,
            "[]",
            "five",
            "text",
        ),
    ]


def test_stream_without_key_properties_is_appended(database, load_file):
    load_file("no_key_append")
    load_file("no_key_append")
    rows = database.query(f'SELECT "what" FROM {database.table("events")} ORDER BY "what"')
    assert rows == [("click",)] * 4 + [("view",)] * 2


def test_append_only_keeps_every_record_and_creates_no_primary_key(database, load_file):
    load_file("duplicate_records_last_wins", load_method="append-only")
    table = database.table("dupes")
    rows = database.query(f'SELECT "id", "v" FROM {table} ORDER BY rowid')
    assert rows == [(1, "first"), (2, "only"), (1, "second"), (1, "last")]
    assert database.query(
        "SELECT count(*) FROM pragma_table_info(?) WHERE pk > 0", (database.prefix + "dupes",)
    ) == [(0,)]


@pytest.mark.parametrize("earlier", ["upsert", "append-only"])
def test_overwrite_replaces_the_rows_of_earlier_runs_even_keys_append_only_repeated(
    database, load_file, load_text, earlier
):
    load_file("duplicate_records_last_wins", load_method=earlier)
    load_text(
        {**database.config, "load_method": "overwrite"},
        DUPES_SCHEMA + '{"type": "RECORD", "stream": "dupes", "record": {"id": 7, "v": "new"}}\n'
        '{"type": "RECORD", "stream": "dupes", "record": {"id": 7, "v": "newer"}}\n',
    )
    rows = database.query(f'SELECT "id", "v" FROM {database.table("dupes")}')
    assert rows == [(7, "newer")]


def test_overwrite_of_a_stream_without_records_empties_its_table(database, load_file, load_text):
    load_file("duplicate_records_last_wins")
    load_text(
        {**database.config, "load_method": "overwrite"},
        DUPES_SCHEMA,
    )
    assert database.query(f"SELECT count(*) FROM {database.table('dupes')}") == [(0,)]


def test_batches_smaller_than_the_stream_give_the_same_rows(database, load_file):
    load_file("duplicate_records_last_wins", batch_size_rows=1)
    rows = database.query(f'SELECT "id", "v" FROM {database.table("dupes")} ORDER BY "id"')
    assert rows == [(1, "last"), (2, "only")]


def test_flattening_gives_double_underscore_columns(database, load_file):
    load_file("value_types", flattening_enabled=True, flattening_max_depth=1)
    columns = [
        row[0]
        for row in database.query(
            "SELECT name FROM pragma_table_info(?)", (database.prefix + "plays",)
        )
    ]
    assert "track__name" in columns
    assert "track__duration_ms" in columns
    rows = database.query(
        f'SELECT "track__name", "track__duration_ms" FROM {database.table("plays")} '
        'ORDER BY "played_at"'
    )
    assert rows == [('Snow ☃ "quoted"', 215000), (None, None)]


def test_widening_a_column_keeps_views_and_indexes_on_the_table(
    database, load_file, load_text, singer
):
    load_file("large_ints")
    big = database.prefix + "big"
    db = libsql_experimental.connect(database.url)
    db.execute(f'CREATE VIEW "{big}_view" AS SELECT "id", "n" FROM "{big}" WHERE "id" < 3')
    db.execute(f'CREATE INDEX "{big}_n" ON "{big}" ("n")')
    db.commit()
    load_text(database.config, singer(BIG_SCHEMA, big_record(1, -99999999999999999999)))
    assert database.query(f'SELECT * FROM "{big}_view" ORDER BY "id"') == [
        (1, "-99999999999999999999"),
        (2, 2147483653),
    ]
    assert database.query(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (big,),
    ) == [(f"{big}_n",)]


def test_streams_differing_only_in_case_get_tables_of_their_own(database, load_file):
    load_file("streams_differing_in_case")
    load_file("streams_differing_in_case")  # the same tables again on a re-run
    # `Users` came first and keeps its name; `users` is suffixed like a column would be.
    assert database.query(f'SELECT "id", "a" FROM {database.table("Users")}') == [(1, "upper")]
    lower = suffixed(database.prefix + "users")
    assert lower.removeprefix(database.prefix).startswith("users__")
    assert database.query(f'SELECT "id", "b" FROM "{lower}" ORDER BY "id"') == [(1, 5), (2, 6)]


def test_lone_surrogate_escapes_are_stored_as_replacement_characters(database, load_file, caplog):
    load_file("invalid_unicode")
    rows = database.query(f'SELECT "id", "s", "o" FROM {database.table("texts")} ORDER BY "id"')
    assert rows == [
        (1, "lone \ufffd high", '{"k\ufffd":"v"}'),
        (2, "pair \U0001f3b5 kept", '{"k":"\u00e9"}'),
    ]
    assert "Line 2: lone UTF-16 surrogate escapes" in caplog.text


def test_a_stream_that_changes_its_key_is_merged_on_the_new_key_with_a_warning(
    database, load_text, singer, caplog
):
    schema = {
        "type": "SCHEMA",
        "stream": "rekeyed",
        "schema": {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}},
    }
    record = {"type": "RECORD", "stream": "rekeyed"}
    load_text(
        database.config,
        singer(
            {**schema, "key_properties": ["a"]},
            {**record, "record": {"a": 1, "b": 1}},
            {**schema, "key_properties": ["b"]},
            {**record, "record": {"a": 2, "b": 1}},
            {**record, "record": {"a": 3, "b": 2}},
        ),
    )
    rows = database.query(f'SELECT "a", "b" FROM {database.table("rekeyed")} ORDER BY "b"')
    assert rows == [(2, 1), (3, 2)]
    assert "has the primary key (a) but stream 'rekeyed' now sends key properties (b)" in (
        caplog.text
    )


RETYPED_ROWS = [
    (1, 2134, "integer", 1.5, "real", "a1", "text"),
    (2, "02134", "text", "1e3", "text", 0.30000000000000004, "real"),
]


def retyped_rows(database) -> list[tuple]:
    return database.query(
        'SELECT "id", "zip", typeof("zip"), "amount", typeof("amount"), "code", typeof("code") '
        f'FROM {database.table("retyped")} ORDER BY "id"'
    )


def test_a_property_whose_type_changes_in_a_later_schema_keeps_what_was_sent(database, load_file):
    load_file("retyped_columns")
    assert retyped_rows(database) == RETYPED_ROWS
    declared = database.query(
        "SELECT name, type FROM pragma_table_info(?)", (database.prefix + "retyped",)
    )
    assert declared == [("id", "INTEGER"), ("zip", ""), ("amount", ""), ("code", "")]


def test_a_type_change_in_a_later_run_widens_the_column_of_the_earlier_run(
    database, load_text, scenario_lines, caplog
):
    caplog.set_level(logging.INFO)
    lines = scenario_lines("retyped_columns")
    load_text(database.config, "".join(lines[:2]))
    load_text(database.config, "".join(lines[2:]))
    assert retyped_rows(database) == RETYPED_ROWS
    assert (
        f"Column 'zip' of table '{database.prefix}retyped' is INTEGER, which would convert "
        "values stream 'retyped' now sends" in caplog.text
    )


def test_target_postgres_column_alter_scenario_stores_the_new_integers(
    database, load_text, peer_file
):
    load_text(
        database.config, peer_file("target-postgres", "uppercase_stream_name_with_column_alter")
    )
    rows = database.query(
        'SELECT "Id", "clientNumber", typeof("clientNumber") '
        f'FROM {database.table("Uppercase_stream_name_with_column_alter")} ORDER BY "Id"'
    )
    assert rows == [("1", 1, "integer"), ("2", 2, "integer")]
