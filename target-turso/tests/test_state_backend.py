"""The libSQL Meltano state backend: state rows, glob listing and the run lock.

The backend is driven as Meltano drives it, through its manager class; `meltano state`
commands on it are tested end to end in the repository's `tests/test_state_commands.py`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from meltano.core.state_store import StateBackend
from meltano.core.state_store.base import MeltanoState, StateIDLockedError
from target_turso.state_backend import LibSQLStateStoreManager, database_url_from_uri


@pytest.fixture(params=["sqld", "file"])
def state_uri(request, tmp_path) -> str:
    """A fresh state database: on a real sqld (a new database file per test) or a local file."""
    if request.param == "file":
        return f"libsql://{tmp_path / 'state.db'}"  # tmp_path is absolute: libsql:///…
    server = request.getfixturevalue("sqld_factory")()
    return f"libsql://127.0.0.1:{server.port}?tls=0"


def manager(uri: str, timeout: int = 10) -> LibSQLStateStoreManager:
    return LibSQLStateStoreManager(uri=uri, lock_timeout_seconds=timeout)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from target_turso.state_backend import LibSQLStateStoreManager
    m = LibSQLStateStoreManager(uri=sys.argv[1], lock_timeout_seconds=int(sys.argv[3]))
    m.get(sys.argv[2])
    m.close()
    print("held", flush=True)
    time.sleep(float(sys.argv[4]))
    """
)


def hold_lock(uri: str, state_id: str, *, timeout: int, hold_for: float) -> subprocess.Popen:
    """Start another process (another 'run') that reads state and so holds the lock."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, uri, state_id, str(timeout), str(hold_for)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    process.stdout.close()  # it prints nothing more
    return process


def test_meltano_finds_the_backend_by_its_uri_scheme():
    assert StateBackend.get_manager_factory(scheme="libsql") is LibSQLStateStoreManager


@pytest.mark.parametrize(
    ("uri", "database_url"),
    [
        ("libsql://my-db-me.turso.io", "libsql://my-db-me.turso.io"),
        ("libsql://127.0.0.1:8080?tls=0", "http://127.0.0.1:8080"),
        ("libsql:///var/lib/state.db", "/var/lib/state.db"),
    ],
)
def test_uri_forms_map_to_database_urls(uri, database_url):
    assert database_url_from_uri(uri) == database_url


def test_uri_without_a_database_is_refused_with_the_setting_name():
    with pytest.raises(ValueError, match=r"state_backend\.uri"):
        database_url_from_uri("libsql://")


def test_state_written_by_one_run_is_read_by_a_fresh_one(state_uri):
    state = MeltanoState(
        state_id="dev:tap-spotify-recent-to-target-turso",
        completed_state={"singer_state": {"bookmarks": {"recently_played": {"x": "ü"}}}},
        partial_state={},
    )
    with manager(state_uri) as first:
        first.update(state)

    with manager(state_uri) as second:
        read = second.get(state.state_id)
    assert read.completed_state == state.completed_state
    assert read.partial_state == {}


def test_partial_state_is_merged_onto_the_stored_state(state_uri):
    state_id = "dev:a-to-b"
    with manager(state_uri) as store:
        store.update(MeltanoState(state_id, completed_state={"singer_state": {"a": 1}}))
        store.update(MeltanoState(state_id, partial_state={"singer_state": {"b": 2}}))
        read = store.get(state_id)
    assert read.completed_state == {"singer_state": {"a": 1}}
    assert read.partial_state == {"singer_state": {"b": 2}}


def test_state_ids_are_listed_by_glob_and_deleted(state_uri):
    with manager(state_uri) as store:
        for state_id in ["dev:x-to-y", "prod:x-to-y", "prod:q-to-r"]:
            store.update(MeltanoState(state_id, completed_state={"n": state_id}))
        assert list(store.get_state_ids("prod:*")) == ["prod:q-to-r", "prod:x-to-y"]
        assert list(store.get_state_ids()) == ["dev:x-to-y", "prod:q-to-r", "prod:x-to-y"]
        store.clear("dev:x-to-y")
        assert store.get("dev:x-to-y") is None
        assert list(store.get_state_ids()) == ["prod:q-to-r", "prod:x-to-y"]


def test_a_held_lock_stops_a_second_run_with_a_clear_message(state_uri):
    holder = hold_lock(state_uri, "prod:job", timeout=30, hold_for=60)
    try:
        with manager(state_uri) as store, pytest.raises(StateIDLockedError) as error:
            store.get("prod:job")
        message = str(error.value)
        assert "Another run of 'prod:job' holds its lock" in message
        assert f":{holder.pid}:" in message
        assert "expires at" in message
        # Other jobs are not blocked.
        with manager(state_uri) as store:
            assert store.get("prod:other-job") is None
    finally:
        holder.kill()
        holder.wait()


def test_a_run_that_exits_releases_its_lock_at_once(state_uri):
    holder = hold_lock(state_uri, "prod:job", timeout=600, hold_for=0)
    assert holder.wait(timeout=30) == 0
    with manager(state_uri) as store:
        assert store.get("prod:job") is None


def test_a_dead_runs_lock_goes_stale_and_expires(state_uri):
    holder = hold_lock(state_uri, "prod:job", timeout=2, hold_for=60)
    # The live holder's heartbeat keeps renewing past the timeout.
    time.sleep(3)
    with manager(state_uri) as store, pytest.raises(StateIDLockedError):
        store.get("prod:job")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    time.sleep(2.5)
    with manager(state_uri) as store:
        assert store.get("prod:job") is None


def test_state_rows_are_plain_json_in_the_database(tmp_path):
    uri = f"libsql://{tmp_path}/state.db"
    with manager(uri) as store:
        store.update(MeltanoState("dev:a-to-b", completed_state={"singer_state": {"k": 1}}))
        row = store.connection.execute(
            'SELECT "completed_state", "partial_state" FROM "meltano_state" WHERE "state_id" = ?',
            ("dev:a-to-b",),
        ).fetchone()
    assert json.loads(row[0]) == {"singer_state": {"k": 1}}
    assert json.loads(row[1]) == {}


def test_a_dropped_connection_is_reopened_between_state_writes(sqld_factory):
    """One run keeps its manager between STATE messages; sqld may drop the stream meanwhile."""
    server = sqld_factory()
    with manager(f"libsql://127.0.0.1:{server.port}?tls=0") as store:
        store.update(MeltanoState("prod:job", completed_state={"singer_state": {"n": 1}}))
        server.restart()
        store.update(MeltanoState("prod:job", completed_state={"singer_state": {"n": 2}}))
        assert store.get("prod:job").completed_state == {"singer_state": {"n": 2}}


def test_an_unreachable_database_names_the_setting_after_bounded_retries(tmp_path):
    from libsql_access.connection import DatabaseConnectionError
    from testkit.sqld import free_port

    store = manager(f"libsql://127.0.0.1:{free_port()}?tls=0")
    with pytest.raises(DatabaseConnectionError, match=r"`state_backend\.uri`"):
        store.get("prod:job")
