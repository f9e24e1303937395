"""`libsql_access.dbapi`: the Protocols name only what the libsql client really has."""

from __future__ import annotations

import pytest
from libsql_access.connection import connect
from libsql_access.dbapi import Connection, Cursor
from libsql_access.schema import quote_identifier


def members(protocol: type) -> list[str]:
    return sorted(name for name in vars(protocol) if not name.startswith("_"))


@pytest.fixture(params=["file", "sqld"])
def db(request, tmp_path):
    if request.param == "file":
        return connect(str(tmp_path / "dbapi.db"))
    return connect(request.getfixturevalue("sqld").url)


def test_a_connection_has_every_method_of_the_protocol(db):
    assert members(Connection) == [
        "close",
        "commit",
        "execute",
        "executemany",
        "executescript",
        "rollback",
    ]
    assert [name for name in members(Connection) if not callable(getattr(db, name))] == []


def test_a_cursor_has_what_the_protocol_names_and_rows_are_tuples(db):
    cursor = db.execute("SELECT 1 AS one, 'two' AS two")

    assert members(Cursor) == ["description", "fetchall", "fetchone"]
    assert [column[0] for column in cursor.description] == ["one", "two"]
    assert cursor.fetchall() == [(1, "two")]
    assert db.execute("SELECT 1 WHERE 0").fetchone() is None


def test_fetchall_after_a_statement_without_rows_is_none_as_documented(db, unique_prefix):
    cursor = db.execute(f"CREATE TABLE {quote_identifier(unique_prefix + 't')} (x)")

    assert cursor.fetchall() is None
    assert cursor.description == ()
