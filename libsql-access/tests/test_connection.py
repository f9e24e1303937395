"""`libsql_access.connection`: the connect() of the target, the state backend and the report."""

from __future__ import annotations

import subprocess
import sys

import pytest
from libsql_access.connection import DatabaseConnectionError, connect, is_transient


def test_the_package_imports_nothing_but_the_libsql_client():
    code = (
        "import sys, libsql_access.connection, libsql_access.dbapi, libsql_access.retry, "
        "libsql_access.schema\n"
        "names = {name.split('.')[0] for name in sys.modules} - set(sys.stdlib_module_names)\n"
        "print(sorted(name for name in names if not name.startswith('_')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "['libsql_access', 'libsql_experimental']\n"


@pytest.mark.parametrize("form", ["{path}", "file:{path}", "file://{path}"])
def test_local_paths_and_file_urls_open_the_same_file(tmp_path, form):
    path = tmp_path / "local.db"
    db = connect(form.format(path=path))
    db.execute("CREATE TABLE t (x)")
    db.commit()
    assert path.is_file()


def test_no_url_means_turso_db_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    connect(None).execute("CREATE TABLE t (x)")
    assert (tmp_path / "turso.db").is_file()


def test_sqld_with_a_valid_token_works(sqld_jwt):
    db = connect(sqld_jwt.url, sqld_jwt.make_token())
    assert db.execute("SELECT 1").fetchall() == [(1,)]


def test_token_in_the_url_query_is_used_and_never_shown(sqld_jwt):
    token = sqld_jwt.make_token()
    assert connect(f"{sqld_jwt.url}?authToken={token}").execute("SELECT 2").fetchall() == [(2,)]
    with pytest.raises(DatabaseConnectionError) as failure:
        connect(f"{sqld_jwt.url}?authToken={token}x")
    assert token not in str(failure.value)
    assert str(failure.value).startswith(f"The server at {sqld_jwt.url} rejected the `auth_token`")


def test_bad_token_error_names_the_setting_not_the_token(sqld_jwt):
    with pytest.raises(DatabaseConnectionError) as failure:
        connect(sqld_jwt.url, "not-a-jwt-secret")
    assert "rejected the `auth_token` setting" in str(failure.value)
    assert "not-a-jwt-secret" not in str(failure.value)
    assert not failure.value.transient


def test_unreachable_server_is_transient_and_names_database_url():
    with pytest.raises(DatabaseConnectionError) as failure:
        connect("http://127.0.0.1:1")
    assert failure.value.transient
    assert "Check the `database_url` setting" in str(failure.value)


def test_sqld_expired_stream_counts_as_transient():
    # sqld's answer, captured, to a connection left idle for about 15 seconds.
    expired = ValueError(
        'Hrana: `api error: `status=400 Bad Request, body={"message":"The stream has expired '
        'due to inactivity","code":"STREAM_EXPIRED"}``'
    )
    assert is_transient(expired)
    assert not is_transient(ValueError("SQLite error: UNIQUE constraint failed: t.id"))


def test_a_url_of_another_kind_is_refused_naming_the_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatabaseConnectionError) as failure:
        connect("ftp://example.org/plays.db")
    assert "The `database_url` setting starts with ftp://" in str(failure.value)
    assert "libsql://" in str(failure.value)
    assert not failure.value.transient
    assert list(tmp_path.iterdir()) == []  # no stray file named after the URL


def test_a_locked_database_or_a_timed_out_transaction_counts_as_transient():
    # sqld's answers, captured: a read-then-write transaction another writer overtook,
    # and a transaction sqld ended after another writer waited 5 s for the lock.
    busy = ValueError(
        'Hrana: `stream error: `Error { message: "SQLite error: database is locked", '
        'code: "SQLITE_BUSY" }``'
    )
    timed_out = ValueError(
        'Hrana: `stream error: `Error { message: "Transaction timed out", '
        'code: "TRANSACTION_TIMEOUT" }``'
    )
    assert is_transient(busy)
    assert is_transient(timed_out)
