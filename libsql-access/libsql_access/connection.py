"""Open a libSQL connection from the `database_url` and `auth_token` settings; sort its errors.

Errors name the setting to fix and never the token. `is_transient`, `is_auth_error` and
`is_sqld_statement_error` sort the libsql client's errors (all `ValueError`, told apart by
their text) for the retry policy (`libsql_access.retry`) and for messages.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import libsql_experimental

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

DEFAULT_DATABASE_URL = "turso.db"
"""Local file in the working directory, used when no `database_url` is set."""

REMOTE_SCHEMES = ("libsql", "http", "https", "ws", "wss")

# Fragments of libsql client errors that a retry can cure: the server restarted,
# the connection dropped, a Hrana stream expired, the server answered 5xx, or
# another writer held the database lock.
_TRANSIENT_MARKERS = (
    "http error",
    "error trying to connect",
    "connection reset",
    "connection refused",
    "connection closed",
    "error sending request",
    "broken pipe",
    "timed out",
    "stream_expired",  # sqld closes a Hrana stream idle for ~15 s
    "expired due to inactivity",
    "stream not found",
    "status=500",
    "status=502",
    "status=503",
    "status=504",
    "sqlite_busy",  # another writer held the lock past the busy wait
    "database is locked",
    "transaction_timeout",  # sqld ended our transaction for a waiting writer
)
_AUTH_MARKERS = ("401 unauthorized", "403 forbidden", "status=401", "status=403")


class DatabaseConnectionError(Exception):
    """The database named by `database_url` could not be opened or used."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        """True when a retry may succeed (server unreachable, 5xx)."""


def is_remote(database_url: str) -> bool:
    """Tell whether `database_url` names a server rather than a local file."""
    return urlsplit(database_url).scheme.lower() in REMOTE_SCHEMES


def redact_url(database_url: str) -> str:
    """Return `database_url` fit for a message: query values (e.g. authToken) masked."""
    parts = urlsplit(database_url)
    if not parts.query:
        return database_url
    query = urlencode([(key, "***") for key, _ in parse_qsl(parts.query)])
    return urlunsplit(parts._replace(query=query))


def is_transient(error: BaseException) -> bool:
    """Tell whether an error is worth retrying after a pause (network, 5xx, expired stream, lock).

    A `DatabaseConnectionError` says so itself; a libsql client error (`ValueError`) by its
    text; any other error is not.
    """
    if isinstance(error, DatabaseConnectionError):
        return error.transient
    if not isinstance(error, ValueError):
        return False
    text = str(error).lower()
    return any(marker in text for marker in _TRANSIENT_MARKERS)


def is_sqld_statement_error(error: BaseException) -> bool:
    """Tell whether a server (sqld, Turso) failed a statement: not the connection, not the token.

    sqld 0.24 intermittently fails large read-only statements with bogus errors ("expected 0
    columns for '' but got 10", SQLITE_INTERRUPT), more often on a connection that ran other
    statements first; the same statement on a new connection succeeds. Real SQL errors from
    a server look the same (`Hrana: stream error: ... no such table`), so a retry of them
    fails each time and the last error is reported. A local file's errors are never these.
    """
    text = str(error).lower()
    return isinstance(error, ValueError) and "hrana" in text and "stream error" in text


def is_auth_error(error: BaseException) -> bool:
    """Tell whether a libsql client error is the server refusing the token."""
    text = str(error).lower()
    return any(marker in text for marker in _AUTH_MARKERS)


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


class SettingNames(t.NamedTuple):
    """What the caller calls the URL and token settings, for its error messages."""

    url: str = "database_url"
    token: str = "auth_token"  # noqa: S105 - a setting name, not a secret


def describe_error(
    error: BaseException,
    database_url: str,
    auth_token: str | None = None,
    settings: SettingNames = SettingNames(),  # noqa: B008 - an immutable tuple
) -> str:
    """Turn a libsql client error into an actionable message naming the setting to fix.

    The token is scrubbed from the message even if the client echoed it.
    """
    where = redact_url(database_url)
    detail = _scrub(str(error), auth_token)
    if is_auth_error(error):
        if auth_token:
            return (
                f"The server at {where} rejected the `{settings.token}` setting ({detail}). "
                f"Set `{settings.token}` to a valid token for this database "
                "(Turso: `turso db tokens create <database>`)."
            )
        return (
            f"The server at {where} requires authentication and no `{settings.token}` is "
            f"set. Set the `{settings.token}` setting "
            "(Turso: `turso db tokens create <database>`)."
        )
    if is_remote(database_url) and is_transient(error):
        return (
            f"Could not reach the database at {where} ({detail}). "
            f"Check the `{settings.url}` setting and that the server is running."
        )
    return f"Database error at {where} ({detail})."


def _split_token(database_url: str, auth_token: str | None) -> tuple[str, str | None]:
    """Move an `authToken` query parameter (Turso's URL convention) out of the URL."""
    parts = urlsplit(database_url)
    if not parts.query:
        return database_url, auth_token
    kept = []
    for key, value in parse_qsl(parts.query):
        if key == "authToken":
            auth_token = auth_token or value
        else:
            kept.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(kept))), auth_token


_FILE_URL = re.compile(r"^file:(//)?", re.IGNORECASE)
_OTHER_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


def local_path(database_url: str) -> Path:
    """Return the filesystem path of a local `database_url` (plain path or `file:` URL)."""
    return Path(_FILE_URL.sub("", database_url).split("?", 1)[0])


def _reject_unknown_scheme(database_url: str, settings: SettingNames) -> None:
    """Refuse `ftp://...` and the like, which would otherwise be taken for a file path."""
    other = _OTHER_URL.match(database_url)
    if other and other[1].lower() != "file":
        msg = (
            f"The `{settings.url}` setting starts with {other[1]}://, which is not a database "
            "address. Use libsql://NAME-ORG.turso.io (Turso), http(s)://HOST:PORT (sqld), "
            "or a file path."
        )
        raise DatabaseConnectionError(msg)


def connect(
    database_url: str | None = None,
    auth_token: str | None = None,
    settings: SettingNames = SettingNames(),  # noqa: B008 - an immutable tuple
) -> Connection:
    """Open a libsql_experimental connection and check that it works.

    Args:
        database_url: `libsql://`, `https://`, `http://host:port` (sqld), a file path
            or a `file:` URL. Empty means `turso.db` in the working directory.
        auth_token: The database token (JWT) for a remote server; ignored for files.
        settings: The names the caller's users know these two settings by.

    Returns:
        An open libsql_experimental connection (see `libsql_access.dbapi.Connection`).

    Raises:
        DatabaseConnectionError: the server is unreachable, refused the token, or the
            file cannot be opened. The message names the setting and never the token.

    """
    database_url = (database_url or "").strip() or DEFAULT_DATABASE_URL
    database_url, auth_token = _split_token(database_url, auth_token or None)
    try:
        if is_remote(database_url):
            connection: Connection = libsql_experimental.connect(
                database_url, auth_token=auth_token or ""
            )
            # The client connects lazily: one round trip surfaces a bad token or
            # an unreachable server now, with a clear message, not mid-load.
            connection.execute("SELECT 1").fetchall()
        else:
            _reject_unknown_scheme(database_url, settings)
            path = local_path(database_url)
            if not path.parent.is_dir():
                msg = (
                    f"The folder of the `{settings.url}` file {str(path)!r} does not exist. "
                    f"Create it or point `{settings.url}` at a writable location."
                )
                raise DatabaseConnectionError(msg)
            connection = libsql_experimental.connect(str(path))
    except ValueError as error:
        raise DatabaseConnectionError(
            describe_error(error, database_url, auth_token, settings),
            transient=is_transient(error) and not is_auth_error(error),
        ) from None
    return connection
