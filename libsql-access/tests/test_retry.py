"""`libsql_access.retry`: which errors are tried again, how often, after which pause."""

from __future__ import annotations

import libsql_experimental
import pytest
from libsql_access.connection import DatabaseConnectionError, connect
from libsql_access.retry import SQLD_STATEMENT_ERRORS, RetryPolicy


class Pauses(list):
    """Records the policy's pauses instead of waiting them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Opener(list):
    """Opens a new connection to `url` on each call, and keeps them."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def __call__(self):
        self.append(connect(self.url))
        return self[-1]


def test_transient_errors_are_tried_again_after_a_pause_that_doubles_then_raised():
    pauses = Pauses()
    policy = RetryPolicy(attempts=5, first_delay_s=0.25, sleep=pauses)
    tries = []

    def work() -> None:
        tries.append(1)
        connect("http://127.0.0.1:1")  # nothing listens on port 1

    with pytest.raises(DatabaseConnectionError) as failure:
        policy.run(work)

    assert len(tries) == 5
    assert pauses == [0.25, 0.5, 1.0, 2.0]
    assert failure.value.transient


def test_on_retry_hears_each_failed_try_and_its_pause():
    heard = []
    policy = RetryPolicy(attempts=3, first_delay_s=0.5, sleep=Pauses())

    with pytest.raises(DatabaseConnectionError):
        policy.run(
            lambda: connect("http://127.0.0.1:1"),
            on_retry=lambda error, attempt, pause: heard.append((type(error), attempt, pause)),
        )

    assert heard == [(DatabaseConnectionError, 1, 0.5), (DatabaseConnectionError, 2, 1.0)]


def test_a_restarted_server_is_reached_on_the_next_try(sqld_factory):
    server = sqld_factory()
    server.stop()
    pauses = Pauses()

    def restart_instead_of_waiting(seconds: float) -> None:
        pauses.append(seconds)
        server.start()

    policy = RetryPolicy(sleep=restart_instead_of_waiting)
    rows = policy.run_connected(
        lambda: connect(server.url), lambda db: db.execute("SELECT 7").fetchall()
    )

    assert rows == [(7,)]
    assert pauses == [0.25]


def test_an_error_no_new_try_cures_is_raised_at_once(tmp_path):
    db = libsql_experimental.connect(str(tmp_path / "t.db"))
    db.execute("CREATE TABLE t (id PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (1)")
    tries = []

    def insert_again() -> None:
        tries.append(1)
        db.execute("INSERT INTO t VALUES (1)")

    with pytest.raises(ValueError, match=r"UNIQUE constraint failed: t\.id"):
        RetryPolicy(statement_errors=True, sleep=Pauses()).run(insert_again)

    assert len(tries) == 1


def test_sqld_statement_errors_are_tried_again_at_once_each_on_a_new_connection(sqld):
    opened = Opener(sqld.url)

    def read_once_the_table_exists(db):
        if len(opened) == 3:
            db.execute("CREATE TABLE IF NOT EXISTS retried (x)")
        return db.execute("SELECT count(*) FROM retried").fetchall()

    pauses = Pauses()
    policy = RetryPolicy(transient=False, statement_errors=True, sleep=pauses)
    rows = policy.run_connected(opened, read_once_the_table_exists)

    assert rows == [(0,)]
    assert len(opened) == 3
    assert pauses == []


def test_a_real_sql_error_fails_each_try_and_the_last_one_is_raised(sqld):
    opened = Opener(sqld.url)

    with pytest.raises(ValueError, match="no such table: never_created"):
        SQLD_STATEMENT_ERRORS.run_connected(
            opened, lambda db: db.execute("SELECT * FROM never_created").fetchall()
        )

    assert len(opened) == SQLD_STATEMENT_ERRORS.attempts == 4


def test_statement_errors_are_not_retried_unless_the_policy_says_so(sqld):
    opened = Opener(sqld.url)

    with pytest.raises(ValueError, match="no such table: never_created"):
        RetryPolicy(sleep=Pauses()).run_connected(
            opened, lambda db: db.execute("SELECT * FROM never_created").fetchall()
        )

    assert len(opened) == 1


def test_the_statement_error_policy_leaves_transient_errors_to_the_caller():
    tries = []

    def work() -> None:
        tries.append(1)
        connect("http://127.0.0.1:1")

    with pytest.raises(DatabaseConnectionError):
        SQLD_STATEMENT_ERRORS.run(work)

    assert len(tries) == 1
