"""Fixtures of the listening-report tests (helpers live in reportkit.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .reportkit import BIN, DATA_FILES, Database, Run, import_export, load_singer


@pytest.fixture
def run_report(tmp_path: Path):
    """Run `listening-report` as Meltano does: settings in environment variables."""

    def run(database: Database, *args: str, **env: str) -> Run:
        output = tmp_path / "report" / "index.html"
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LISTENING_REPORT_")},
            **database.env(),
            "LISTENING_REPORT_OUTPUT": str(output),
            # The year pages only where a test asks for them (test_year.py).
            "LISTENING_REPORT_YEARS": "false",
            **env,
        }
        result = subprocess.run(
            [BIN / "listening-report", *args],
            env=environ,
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        return Run(result.returncode, result.stdout, result.stderr, output)

    return run


@pytest.fixture(scope="session")
def known_history_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data_files/known_history.singer loaded once by target-turso (nested layout)."""
    folder = tmp_path_factory.mktemp("known-history")
    database = Database(str(folder / "plays.db"))
    load_singer(database, DATA_FILES / "known_history.singer", folder)
    return Path(database.url)


def _copy(database_file: Path, tmp_path: Path) -> Database:
    """A fresh copy of a session's database, for one test alone."""
    copy = tmp_path / database_file.name
    shutil.copyfile(database_file, copy)
    return Database(str(copy))


@pytest.fixture
def known_history(known_history_file: Path, tmp_path: Path) -> Database:
    """A fresh copy of the known history in a local file, for this test alone."""
    return _copy(known_history_file, tmp_path)


@pytest.fixture(scope="session")
def merged_history_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The known history, then tests/data_files/export imported by the tap (nested layout)."""
    folder = tmp_path_factory.mktemp("merged-history")
    database = Database(str(folder / "plays.db"))
    load_singer(database, DATA_FILES / "known_history.singer", folder)
    import_export(database, DATA_FILES / "export", folder)
    return Path(database.url)


@pytest.fixture
def merged_history(merged_history_file: Path, tmp_path: Path) -> Database:
    """A fresh copy of the known history merged with the export, for this test alone."""
    return _copy(merged_history_file, tmp_path)
