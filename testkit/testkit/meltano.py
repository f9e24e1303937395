"""A copy of this Meltano project in a temp folder, installed and run for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The checkout the kit is installed from (editable, as `.ci/run` installs it)."""
PACKAGES = ("libsql-access", "tap-spotify-recent", "target-turso", "listening-report")
_IGNORE = shutil.ignore_patterns(
    ".venv", ".meltano", ".git", "__pycache__", "*.egg-info", ".pytest_cache", "output", "*.db"
)
_OWN_PREFIXES = ("TAP_SPOTIFY_RECENT_", "TARGET_TURSO_", "TARGET_JSONL_", "MELTANO_", "TURSO_")


def own_setting(name: str) -> bool:
    """Whether environment variable `name` is a setting of this project.

    A plugin's, Meltano's or Turso's: tests give those themselves, never take them from the
    developer's shell.
    """
    return name.startswith(_OWN_PREFIXES)


def copy_project(destination: Path) -> Path:
    """Copy what Meltano installs (meltano.yml, the plugin packages) to `destination`."""
    destination.mkdir(parents=True)
    shutil.copy2(ROOT / "meltano.yml", destination / "meltano.yml")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, destination / package, ignore=_IGNORE)
    return destination


@dataclass(repr=False)
class Run:
    """What one `meltano` command did."""

    returncode: int
    output: str

    def __repr__(self) -> str:
        return f"exit {self.returncode}\n{self.output}"


BIN = Path(sys.executable).parent
"""Where `meltano` and the test tools are installed (the running virtualenv)."""


def meltano_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a `meltano` subprocess, plus `extra`.

    Without the developer's own plugin settings, with this virtualenv first on PATH.
    """
    clean = {k: v for k, v in os.environ.items() if not own_setting(k)}
    return {
        **clean,
        "PATH": f"{BIN}{os.pathsep}{clean.get('PATH', '')}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "NO_COLOR": "1",
        **(extra or {}),
    }


@dataclass
class MeltanoProject:
    """A project copy with its plugins installed; each test gives it its own env."""

    root: Path

    def meltano(self, *args: str, env: dict[str, str], timeout: float = 180) -> Run:
        result = subprocess.run(
            [str(BIN / "meltano"), "--log-format=uncolored", *args],
            cwd=self.root,
            env=meltano_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Run(result.returncode, result.stdout + result.stderr)


def install_project(root: Path) -> MeltanoProject:
    project = MeltanoProject(copy_project(root))
    result = project.meltano(
        "install",
        env={"MELTANO_DATABASE_URI": f"sqlite:///{root}/m.db", "UV_COMPILE_BYTECODE": "1"},
    )
    assert result.returncode == 0, str(result)
    return project
