"""Fixtures for target-turso tests: a database (local file or sqld) and ways to load it.

`database` is parametrised: each test using it runs once against a local file
and once against the session's sqld (with a table prefix of its own).
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import typing as t
from pathlib import Path

import libsql_experimental
import pytest
from libsql_access.schema import quote_identifier
from target_turso.target import TargetTurso

DATA_FILES = Path(__file__).parent / "data_files"
TARGET_CLI = Path(sys.executable).parent / "target-turso"

# Peers' scenario files are read from their published wheels (not copied into this
# repository); .ci/run unpacks them under .tools/peers/<peer>/.
PEERS = Path(__file__).resolve().parents[2] / ".tools" / "peers"
PEER_SCENARIOS = {
    "target-postgres": (
        "meltanolabs-target-postgres==0.8.1",
        "meltanolabs_target_postgres-0.8.1-py3-none-any.whl",
        "target_postgres/tests/data_files",
    ),
}


@dataclasses.dataclass
class Database:
    """Where a test loads, and how to read back what the target wrote."""

    url: str
    prefix: str = ""
    auth_token: str | None = None

    @property
    def config(self) -> dict[str, t.Any]:
        config = {"database_url": self.url, "table_prefix": self.prefix}
        if self.auth_token:
            config["auth_token"] = self.auth_token
        return config

    def table(self, stream: str) -> str:
        """The quoted table name of a stream."""
        return quote_identifier(self.prefix + stream)

    def query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        """Run a query on a fresh connection; `{t:stream}` is not supported, use table()."""
        db = libsql_experimental.connect(self.url, auth_token=self.auth_token or "")
        try:
            return db.execute(sql, parameters).fetchall()
        finally:
            db.close()


@pytest.fixture(params=["file", "sqld"])
def database(request, tmp_path, unique_prefix) -> Database:
    """A fresh local database file, or the shared sqld with a fresh table prefix."""
    if request.param == "file":
        return Database(str(tmp_path / "target.db"))
    server = request.getfixturevalue("sqld")
    return Database(server.url, prefix=unique_prefix)


@pytest.fixture
def scenario_lines() -> t.Callable[[str], list[str]]:
    """`scenario_lines(name)`: the lines of `tests/data_files/<name>.singer`."""
    return lambda name: (DATA_FILES / f"{name}.singer").read_text().splitlines(keepends=True)


@pytest.fixture
def batch_message() -> t.Callable[[str, str], dict[str, t.Any]]:
    """`batch_message(stream, name)`: a BATCH message for `tests/data_files/<name>.jsonl`."""
    return lambda stream, name: {
        "type": "BATCH",
        "stream": stream,
        "encoding": {"format": "jsonl"},
        "manifest": [(DATA_FILES / f"{name}.jsonl").as_uri()],
    }


@pytest.fixture
def peer_file() -> t.Callable[[str, str], str]:
    """`peer_file(peer, name)`: the text of a peer's `<name>.singer` scenario file.

    Fails (never skips) when the peer's wheel was not unpacked, naming the command.
    """

    def read(peer: str, name: str) -> str:
        requirement, wheel, folder = PEER_SCENARIOS[peer]
        path = PEERS / peer / folder / f"{name}.singer"
        if not path.is_file():
            fetch = (
                f".venv/bin/python -m pip download -q --no-deps {requirement} -d .tools/peers "
                f"&& .venv/bin/python -m zipfile -e .tools/peers/{wheel} .tools/peers/{peer}"
            )
            pytest.fail(
                f"{path} is missing: fetch {peer}'s scenario files (as .ci/run does): {fetch}"
            )
        return path.read_text()

    return read


def load(config: dict[str, t.Any], singer: str | Path) -> None:
    """Run the target in-process on a Singer file (or text) with this config."""
    text = singer.read_text() if isinstance(singer, Path) else singer
    TargetTurso(config=config).listen(file_input=io.StringIO(text))


@pytest.fixture
def load_file(database) -> t.Callable[..., None]:
    """Load `tests/data_files/<name>.singer` into `database` (extra config as kwargs)."""

    def run(name: str, **config: t.Any) -> None:
        load({**database.config, **config}, DATA_FILES / f"{name}.singer")

    return run


def run_cli(config: dict[str, t.Any], singer: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `target-turso --config FILE < stream` as Meltano does, capturing its output."""
    config_file = cwd / "config.json"
    config_file.write_text(json.dumps(config))
    return subprocess.run(
        [str(TARGET_CLI), "--config", str(config_file)],
        input=singer,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture
def target_cli() -> Path:
    """The `target-turso` console script installed next to this Python."""
    return TARGET_CLI


@pytest.fixture
def cli(tmp_path) -> t.Callable[..., subprocess.CompletedProcess[str]]:
    """`cli(config, singer_text)` runs the target's CLI in a temporary directory."""
    return lambda config, singer: run_cli(config, singer, tmp_path)


def _singer_lines(*messages: dict[str, t.Any]) -> str:
    return "".join(json.dumps(message) + "\n" for message in messages)


@pytest.fixture
def singer() -> t.Callable[..., str]:
    """`singer(*messages)` renders message dicts as Singer text, one per line."""
    return _singer_lines


@pytest.fixture
def load_text() -> t.Callable[..., None]:
    """`load_text(config, singer_text)` runs the target in-process."""
    return load
