"""A Meltano state backend that keeps job state in a Turso / libSQL database.

Scheduled runs start on fresh machines, so Meltano's system database (and the
bookmark in it) is gone each time. This backend stores one row per state ID in
the same database the target loads, and holds a run lock so that two
overlapping runs of one job cannot both run.

Meltano loads it from the `meltano.state_backends` entry point named `libsql`
(the URI scheme). It runs inside Meltano's own environment: install this package
there with its extra (`pip install "./target-turso[state-backend]"`, which brings Meltano).

URIs (`state_backend.uri`):
- `libsql://NAME-ORG.turso.io`: Turso (TLS), token in `state_backend.libsql.auth_token`.
- `libsql://HOST:PORT?tls=0`: a self-hosted sqld over plain HTTP.
- `libsql:///absolute/path/state.db`: a local file.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import threading
import time
import typing as t
import uuid
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

from libsql_access.connection import (
    DatabaseConnectionError,
    SettingNames,
    connect,
    describe_error,
    redact_url,
)
from libsql_access.retry import RetryPolicy
from libsql_access.schema import quote_identifier
from meltano.core.setting_definition import SettingDefinition, SettingKind
from meltano.core.state_store.base import MeltanoState, StateIDLockedError, StateStoreManager
from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from libsql_access.dbapi import Connection, Parameters

STATE_TABLE = "meltano_state"
LOCK_TABLE = "meltano_state_lock"
_STATE = quote_identifier(STATE_TABLE)
_LOCK = quote_identifier(LOCK_TABLE)

AUTH_TOKEN = SettingDefinition(
    name="state_backend.libsql.auth_token",
    label="libSQL auth token",
    description="Database token (JWT) for the Turso / sqld database in `state_backend.uri`.",
    kind=SettingKind.STRING,
    sensitive=True,
    env_specific=True,
)

# One identity per Meltano process: every manager instance of one `meltano run`
# (the tap's state read, the target's state writes) shares the run's lock.
_OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_STATE} ("
    '"state_id" TEXT PRIMARY KEY, "completed_state" TEXT NOT NULL, '
    '"partial_state" TEXT NOT NULL, "updated_at" TEXT NOT NULL)',
    f"CREATE TABLE IF NOT EXISTS {_LOCK} ("
    '"state_id" TEXT PRIMARY KEY, "owner" TEXT NOT NULL, '
    '"acquired_at" REAL NOT NULL, "expires_at" REAL NOT NULL)',
)

# Take the lock when it is free, expired, or already ours; otherwise change nothing.
_CLAIM = (
    f'INSERT INTO {_LOCK} ("state_id", "owner", "acquired_at", "expires_at") '
    'VALUES (?, ?, ?, ?) ON CONFLICT ("state_id") DO UPDATE SET '
    '"owner" = excluded."owner", "expires_at" = excluded."expires_at", '
    '"acquired_at" = CASE WHEN "owner" = excluded."owner" THEN "acquired_at" '
    'ELSE excluded."acquired_at" END '
    'WHERE "owner" = excluded."owner" OR "expires_at" < excluded."acquired_at"'
)


_UPSERT_STATE = (
    f'INSERT INTO {_STATE} ("state_id", "completed_state", "partial_state", "updated_at") '
    "VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ')) ON CONFLICT (\"state_id\") DO UPDATE SET "
    '"completed_state" = excluded."completed_state", '
    '"partial_state" = excluded."partial_state", "updated_at" = excluded."updated_at"'
)
_SELECT_STATE = f'SELECT "completed_state", "partial_state" FROM {_STATE} WHERE "state_id" = ?'
_DELETE_STATE = f'DELETE FROM {_STATE} WHERE "state_id" = ?'
_SELECT_IDS = f'SELECT "state_id" FROM {_STATE} WHERE "state_id" GLOB ? ORDER BY 1'
_SELECT_LOCK = f'SELECT "owner", "acquired_at", "expires_at" FROM {_LOCK} WHERE "state_id" = ?'
_RETRY = RetryPolicy(attempts=4, first_delay_s=0.25)
"""Transient errors (sqld expired the idle stream, restarted, or another writer held the lock)."""
_SETTINGS = SettingNames(url="state_backend.uri", token="state_backend.libsql.auth_token")  # noqa: S106
T = t.TypeVar("T")


def database_url_from_uri(uri: str) -> str:
    """Translate a `libsql://` state backend URI into a `database_url` for `connect`."""
    parts = urlsplit(uri)
    if parts.scheme != "libsql":
        msg = f"state_backend.uri must start with libsql:// (got {parts.scheme}://)."
        raise ValueError(msg)
    if not parts.netloc:
        if not parts.path:
            msg = "state_backend.uri names no database: use libsql://HOST or libsql:///path."
            raise ValueError(msg)
        return parts.path
    query = dict(parse_qsl(parts.query))
    if query.get("tls", "1").lower() in {"0", "false", "no"}:
        return f"http://{parts.netloc}"
    return f"libsql://{parts.netloc}"


class LibSQLStateStoreManager(StateStoreManager):
    """Meltano state in a libSQL table, with a per-job run lock that expires."""

    def __init__(
        self,
        uri: str,
        auth_token: str | None = None,
        lock_timeout_seconds: int | None = None,
        **kwargs: t.Any,
    ) -> None:
        """Open the database named by `uri` (tables are created on first use).

        Args:
            uri: The `state_backend.uri` setting.
            auth_token: The `state_backend.libsql.auth_token` setting.
            lock_timeout_seconds: Seconds after its last heartbeat that a run's lock
                counts as stale (Meltano's `state_backend.lock_timeout_seconds`).
            kwargs: Other `state_backend.*` settings, passed on.
        """
        super().__init__(**kwargs)
        self.database_url = database_url_from_uri(uri)
        self.auth_token = auth_token or None
        self.lock_timeout_seconds = float(lock_timeout_seconds or 10)
        self._connection: Connection | None = None

    @property
    @override
    def label(self) -> str:
        """Where the state lives, without credentials."""
        return f"libSQL database at {redact_url(self.database_url)}"

    @property
    def connection(self) -> Connection:
        """The open connection, created with the state tables on first use."""
        if self._connection is None:
            self._connection = connect(self.database_url, self.auth_token, _SETTINGS)
            for statement in _SCHEMA:
                self._connection.execute(statement)
            self._connection.commit()
        return self._connection

    @override
    def close(self) -> None:
        """Close the connection; a held run lock stays until the process exits."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _do(self, action: t.Callable[[Connection], T]) -> T:
        """Run `action(connection)`, reconnecting on transient errors.

        sqld drops a connection that sat idle for ~15 s (an expired stream), and one
        Meltano run keeps this manager between its state writes.
        """

        def once() -> T:
            try:
                return action(self.connection)
            except (ValueError, DatabaseConnectionError):
                self.close()
                raise

        try:
            return _RETRY.run(once)
        except ValueError as error:
            message = describe_error(error, self.database_url, self.auth_token, _SETTINGS)
            raise DatabaseConnectionError(message) from None

    @override
    def set(self, state: MeltanoState) -> None:
        """Write the whole state of `state.state_id` (Meltano merges partials first)."""
        row = (
            state.state_id,
            json.dumps(state.completed_state or {}),
            json.dumps(state.partial_state or {}),
        )
        self._do(lambda connection: _write(connection, _UPSERT_STATE, row))

    @override
    def get(self, state_id: str) -> MeltanoState | None:
        """Read the state of `state_id`, claiming the job's run lock.

        Meltano reads the state once at the start of a run; claiming the lock here
        is what stops a second, overlapping run of the same job.

        Raises:
            StateIDLockedError: another live run holds the job's lock.
        """
        self._claim_run_lock(state_id)
        row = self._do(lambda connection: _read_one(connection, _SELECT_STATE, state_id))
        if row is None:
            return None
        return MeltanoState(
            state_id=state_id,
            completed_state=json.loads(row[0]),
            partial_state=json.loads(row[1]),
        )

    @override
    def delete(self, state_id: str) -> None:
        """Remove the state row of `state_id`."""
        self._do(lambda connection: _write(connection, _DELETE_STATE, (state_id,)))

    @override
    def get_state_ids(self, pattern: str | None = None) -> Iterable[str]:
        """List state IDs, optionally filtered by a glob pattern (`*`, `?`)."""
        rows = self._do(
            lambda connection: connection.execute(_SELECT_IDS, (pattern or "*",)).fetchall()
        )
        return [row[0] for row in rows]

    @contextmanager
    @override
    def acquire_lock(self, state_id: str, *, retry_seconds: float) -> Iterator[None]:
        """Hold `state_id`'s lock while Meltano writes; wait while another run holds it."""
        held_before = _RUN_LOCKS.holds(self.database_url, state_id)
        while not self._try_claim(state_id):
            time.sleep(retry_seconds)
        try:
            yield
        finally:
            if not held_before:
                self._do(lambda connection: release(connection, state_id))

    def _claim_run_lock(self, state_id: str) -> None:
        if _RUN_LOCKS.holds(self.database_url, state_id):
            return
        while not self._try_claim(state_id):
            lock = self._do(lambda connection: _read_one(connection, _SELECT_LOCK, state_id))
            if lock is None:
                continue  # released since the claim failed: claim it again
            owner, acquired_at, expires_at = lock
            msg = (
                f"Another run of '{state_id}' holds its lock in the {self.label} "
                f"(process {owner}, started {_iso(acquired_at)}). Not starting a second, "
                "overlapping run. If that run has died, its lock expires at "
                f"{_iso(expires_at)} (`state_backend.lock_timeout_seconds` after its "
                "last heartbeat); try again after that."
            )
            raise StateIDLockedError(msg)
        _RUN_LOCKS.add(self, state_id)

    def _try_claim(self, state_id: str) -> bool:
        return self._do(
            lambda connection: try_claim(connection, state_id, self.lock_timeout_seconds)
        )


def _write(connection: Connection, sql: str, parameters: Parameters) -> None:
    connection.execute(sql, parameters)
    connection.commit()


def _read_one(connection: Connection, sql: str, state_id: str) -> tuple[t.Any, ...] | None:
    return connection.execute(sql, (state_id,)).fetchone()


def try_claim(connection: Connection, state_id: str, timeout_seconds: float) -> bool:
    """Take or renew this process's lock on `state_id`; False if another run holds it."""
    now = time.time()
    connection.execute(_CLAIM, (state_id, _OWNER, now, now + timeout_seconds))
    connection.commit()
    row = connection.execute(
        f'SELECT "owner" FROM {_LOCK} WHERE "state_id" = ?',
        (state_id,),
    ).fetchone()
    return row is not None and row[0] == _OWNER


def release(connection: Connection, state_id: str) -> None:
    """Drop this process's lock on `state_id` (another run's lock is left alone)."""
    connection.execute(
        f'DELETE FROM {_LOCK} WHERE "state_id" = ? AND "owner" = ?',
        (state_id, _OWNER),
    )
    connection.commit()


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class _RunLocks:
    """The run locks this process holds, kept alive by a heartbeat until exit."""

    def __init__(self) -> None:
        # (database_url, state_id) -> (auth_token, lock timeout in seconds)
        self._held: dict[tuple[str, str], tuple[str | None, float]] = {}
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def holds(self, database_url: str, state_id: str) -> bool:
        return (database_url, state_id) in self._held

    def add(self, manager: LibSQLStateStoreManager, state_id: str) -> None:
        with self._mutex:
            self._held[manager.database_url, state_id] = (
                manager.auth_token,
                manager.lock_timeout_seconds,
            )
            if self._thread is None:
                atexit.register(self.release_all)
                self._thread = threading.Thread(
                    target=self._heartbeat, name="libsql-state-lock", daemon=True
                )
                self._thread.start()

    def _each(self, action: t.Callable[[Connection, str, float], object]) -> None:
        """Apply `action(connection, state_id, timeout)` to every held lock, best effort."""
        with self._mutex:
            held = list(self._held.items())
        for (database_url, state_id), (auth_token, timeout) in held:
            try:
                connection = connect(database_url, auth_token, _SETTINGS)
            except Exception:  # noqa: S112 - retried at the next beat; else it expires
                continue
            try:
                action(connection, state_id, timeout)
            except Exception:  # noqa: S110
                pass
            finally:
                connection.close()

    def _heartbeat(self) -> None:
        # Renew well before expiry, so only a dead run's lock ever goes stale.
        while not self._stop.wait(self._interval()):
            self._each(try_claim)

    def _interval(self) -> float:
        timeouts = [timeout for _, timeout in self._held.values()] or [10.0]
        return max(0.5, min(timeouts) / 3)

    def release_all(self) -> None:
        self._stop.set()
        self._each(lambda connection, state_id, _timeout: release(connection, state_id))
        with self._mutex:
            self._held.clear()


_RUN_LOCKS = _RunLocks()
