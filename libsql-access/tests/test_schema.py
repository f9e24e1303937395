"""`libsql_access.schema`: names quoted for SQL text, a table's columns read."""

from __future__ import annotations

import pytest
from libsql_access.connection import connect
from libsql_access.schema import Column, changed_views, quote_identifier, table_columns

ODD = 'my "odd".table name ☃ select'


@pytest.fixture(params=["file", "sqld"])
def db(request, tmp_path):
    """A local file, and a real sqld."""
    if request.param == "file":
        return connect(str(tmp_path / "schema.db"))
    return connect(request.getfixturevalue("sqld").url)


def test_a_quoted_name_doubles_its_quotes():
    assert quote_identifier('a "b"') == '"a ""b"""'
    assert quote_identifier("select") == '"select"'


def test_a_name_with_a_nul_character_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"SQLite names cannot contain NUL characters: 'a\\x00b'"):
        quote_identifier("a\x00b")


def test_columns_come_in_table_order_with_type_and_primary_key_position(db, unique_prefix):
    table = unique_prefix + ODD
    db.execute(
        f"CREATE TABLE {quote_identifier(table)} ("
        f'{quote_identifier("z")} TEXT, "b ""quoted""" INTEGER, untyped, "a" REAL, '
        'PRIMARY KEY ("a", "z"))'
    )
    db.commit()

    assert table_columns(db, table) == [
        Column("z", "TEXT", 2),
        Column('b "quoted"', "INTEGER", 0),
        Column("untyped", "", 0),
        Column("a", "REAL", 1),
    ]


def test_a_missing_table_has_no_columns(db):
    assert table_columns(db, "no such table") == []


def test_a_view_is_changed_when_missing_or_made_by_other_sql_not_by_spacing_or_case(
    db, unique_prefix
):
    same, other, missing = (unique_prefix + name for name in ("same", "other", "missing"))
    written = {
        same: f"CREATE VIEW {quote_identifier(same)} AS\n  SELECT 1 AS a,\n    x.key AS b"
        "\n  FROM json_each('[1]') AS x",
        other: f"CREATE VIEW {quote_identifier(other)} AS SELECT 1 AS a",
    }
    for sql in written.values():
        db.execute(sql)
    db.commit()
    wanted = {
        missing: f"CREATE VIEW {quote_identifier(missing)} AS SELECT 1",
        same: f"CREATE VIEW {quote_identifier(same)} AS SELECT 1 AS a, x.KEY AS b "
        "FROM json_each('[1]') AS x",
        other: f"CREATE VIEW {quote_identifier(other)} AS SELECT 2 AS a",
    }

    assert changed_views(db, wanted) == [missing, other]
    assert changed_views(db, written) == []
