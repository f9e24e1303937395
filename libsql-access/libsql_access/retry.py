"""The one retry policy for libSQL work: bounded tries, a pause that doubles, known errors only.

A server (sqld, Turso) fails work that a new try cures: it restarted, dropped an idle stream,
answered 5xx, or another writer held the database (`is_transient`: retried after a pause).
sqld 0.24 also fails large statements with spurious errors that a new connection cures
(`is_sqld_statement_error`: retried at once, by `run_connected`, which opens a connection
for each try). Callers differ only in the parameters: how many tries, the first pause, which
errors, and what to do before the next try (log, roll back, drop the connection).
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass, field

from libsql_access.connection import is_sqld_statement_error, is_transient

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

T = t.TypeVar("T")


class OnRetry(t.Protocol):
    """Called before each new try: the error, the try that failed (from 1), the pause in s."""

    def __call__(self, error: Exception, attempt: int, pause_s: float, /) -> None:
        """Log, roll back or drop the connection before the next try."""


@dataclass(frozen=True)
class RetryPolicy:
    """When to try libSQL work again, and how long to wait first.

    The pause before try n + 1 is `first_delay_s * 2 ** (n - 1)` after a transient error,
    none after a statement error. Any other error is raised at once.
    """

    attempts: int = 4
    """Tries in all, the first included."""
    first_delay_s: float = 0.25
    """The pause after the first failed try; it doubles after each further one."""
    transient: bool = True
    """Retry transient errors (`is_transient`), after the pause."""
    statement_errors: bool = False
    """Retry sqld's spurious statement errors (`is_sqld_statement_error`) at once. Only
    for `run_connected` (or work that opens its own connection): the same connection
    fails the same way again."""
    sleep: t.Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    """How to pause (tests pass a recorder instead of waiting)."""

    def pause(self, error: Exception, attempt: int) -> float | None:
        """Seconds to wait before trying again after try `attempt` failed; None: give up."""
        if attempt >= self.attempts:
            return None
        if self.transient and is_transient(error):
            return self.first_delay_s * 2 ** (attempt - 1)
        if self.statement_errors and is_sqld_statement_error(error):
            return 0.0
        return None

    def run(self, work: t.Callable[[], T], *, on_retry: OnRetry | None = None) -> T:
        """Return what `work()` returns, trying again as the policy says.

        Raises:
            Exception: the error of the last try, as `work` raised it.
        """
        attempt = 1
        while True:
            try:
                return work()
            except Exception as error:
                pause = self.pause(error, attempt)
                if pause is None:
                    raise
                if on_retry is not None:
                    on_retry(error, attempt, pause)
            if pause:
                self.sleep(pause)
            attempt += 1

    def run_connected(
        self,
        open_connection: t.Callable[[], Connection],
        work: t.Callable[[Connection], T],
        *,
        on_retry: OnRetry | None = None,
    ) -> T:
        """Return `work(connection)`, each try on a new connection that is closed after.

        Errors of `open_connection` are retried like those of `work`.
        """

        def once() -> T:
            connection = open_connection()
            try:
                return work(connection)
            finally:
                connection.close()

        return self.run(once, on_retry=on_retry)


SQLD_STATEMENT_ERRORS = RetryPolicy(transient=False, statement_errors=True)
"""Retry only sqld's spurious statement errors, 4 tries: for reads with `run_connected`
(the report's test helpers, the end-to-end tests' queries). A real SQL error fails each try
and the last one is raised."""
