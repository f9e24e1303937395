"""Test helpers: databases filled the way users fill them, by piping Singer messages
into the real `target-turso` CLI, and runs of the real `listening-report` CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
from libsql_access.connection import connect
from libsql_access.retry import SQLD_STATEMENT_ERRORS
from listening_report.html import read_data

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

DATA_FILES = Path(__file__).parent / "data_files"
T = t.TypeVar("T")
BIN = Path(sys.executable).parent

# The target's settings for each way it can lay out nested records.
LAYOUTS = {
    "nested": {},
    "flattened": {"flattening_enabled": True, "flattening_max_depth": 10},
    "flattened_depth_1": {"flattening_enabled": True, "flattening_max_depth": 1},
}


@dataclass
class Database:
    """Where a test's plays live, as the report's settings name it."""

    url: str
    token: str | None = None
    prefix: str = ""

    def env(self) -> dict[str, str]:
        """The report's settings, as Meltano passes them (environment variables)."""
        env = {
            "LISTENING_REPORT_DATABASE_URL": self.url,
            "LISTENING_REPORT_TABLE_PREFIX": self.prefix,
        }
        if self.token:
            env["LISTENING_REPORT_AUTH_TOKEN"] = self.token
        return env

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement on a new connection (see `run`)."""

        def execute(connection: Connection) -> list[tuple]:
            rows = connection.execute(sql, params).fetchall() or []  # None after DDL
            connection.commit()
            return [tuple(row) for row in rows]

        return self.run(execute)

    def run(self, work: t.Callable[[Connection], T]) -> T:
        """Run `work` on a new connection, closed after.

        sqld 0.24 intermittently fails statements over the merged views with spurious
        errors (SQLITE_INTERRUPT, "expected 0 columns"), which a new connection cures, as
        the CLI's reads do; a real error fails each try (`SQLD_STATEMENT_ERRORS`).
        """
        return SQLD_STATEMENT_ERRORS.run_connected(lambda: connect(self.url, self.token), work)


def track_row(
    uri: str, name: str, artists: str, album: str, plays: int, ms: int
) -> dict[str, object]:
    """A row of the report's top tracks, as the report data holds it."""
    return {
        "track_uri": uri,
        "track_name": name,
        "artist_names": artists,
        "album_name": album,
        "plays": plays,
        "ms_played": ms,
    }


def artist_row(key: str, name: str, plays: int, ms: int, tracks: int) -> dict[str, object]:
    """A row of the report's top artists, as the report data holds it."""
    return {
        "artist_key": key,
        "artist_name": name,
        "plays": plays,
        "ms_played": ms,
        "tracks": tracks,
    }


def album_row(
    key: str, name: str, artists: str, plays: int, ms: int, tracks: int
) -> dict[str, object]:
    """A row of the report's top albums, as the report data holds it."""
    return {
        "album_key": key,
        "album_name": name,
        "artist_names": artists,
        "plays": plays,
        "ms_played": ms,
        "tracks": tracks,
    }


def _target_config(database: Database, tmp_path: Path, settings: dict[str, object]) -> Path:
    config = {"database_url": database.url, "table_prefix": database.prefix, **settings}
    if database.token:
        config["auth_token"] = database.token
    config_file = tmp_path / "target-config.json"
    config_file.write_text(json.dumps(config))
    return config_file


def load_singer(database: Database, singer_file: Path, tmp_path: Path, **settings: object) -> None:
    """Pipe `singer_file` into `target-turso` configured for `database`."""
    with singer_file.open("rb") as stdin:
        result = subprocess.run(
            [BIN / "target-turso", "--config", _target_config(database, tmp_path, settings)],
            stdin=stdin,
            capture_output=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode()[-3000:]


def import_export(
    database: Database, history_path: Path, tmp_path: Path, **settings: object
) -> None:
    """Import a Spotify export as users do: `tap-spotify-recent` with `history_path` and
    only `streaming_history` selected, piped into `target-turso` configured for `database`.

    The tap's Spotify settings are placeholders: with only the export selected it makes no
    Spotify call.
    """
    tap_config = tmp_path / "tap-config.json"
    tap_config.write_text(
        json.dumps(
            {
                "client_id": "client",
                "client_secret": "secret",
                "refresh_token": "token",
                "history_path": str(history_path),
            }
        )
    )
    tap = [BIN / "tap-spotify-recent", "--config", tap_config]
    catalog = json.loads(
        subprocess.run([*tap, "--discover"], capture_output=True, check=True).stdout
    )
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "streaming_history"
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog))
    tap_log = tmp_path / "tap.log"
    with (
        tap_log.open("wb") as log,
        subprocess.Popen(
            [*tap, "--catalog", catalog_file], stdout=subprocess.PIPE, stderr=log
        ) as messages,
    ):
        loaded = subprocess.run(
            [BIN / "target-turso", "--config", _target_config(database, tmp_path, settings)],
            stdin=messages.stdout,
            capture_output=True,
            check=False,
        )
    assert messages.returncode == 0, tap_log.read_text()[-3000:]
    assert loaded.returncode == 0, loaded.stderr.decode()[-3000:]


@dataclass
class Run:
    """One run of the listening-report CLI."""

    returncode: int
    stdout: str
    stderr: str
    output: Path

    def data(self) -> dict:
        """The figures embedded in the written report (without its generation time)."""
        data = read_data(self.output.read_text(encoding="utf-8"))
        data.pop("generated_at")
        return data


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls home at start; this machine has no network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # And the page itself may reach nothing: every host name fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
]


def chromium_executable() -> str:
    """Debian's Chromium (or `$CHROMIUM`, or the Google Chrome GitHub's runners carry).

    The tests fail (not skip) without one, as CI must install it.
    """
    candidates = (os.environ.get("CHROMIUM", ""), "chromium", "google-chrome")
    executable = next(filter(None, map(shutil.which, filter(None, candidates))), None)
    if executable is None:
        pytest.fail("Chromium is missing: apt-get install -y chromium (Debian's package)")
    return executable


@dataclass
class BrowserRun:
    """What headless Chromium printed for a page."""

    stdout: str
    console: list[str]


def chromium(page: Path, profile: Path, *args: str) -> BrowserRun:
    """Open `page` in Debian's headless Chromium with a fresh profile.

    `console` holds every console message the page produced (`INFO:CONSOLE` lines).
    """
    executable = chromium_executable()
    profile.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    console = [line for line in result.stderr.splitlines() if ":INFO:CONSOLE" in line]
    return BrowserRun(result.stdout, console)
