"""End-to-end fixtures: a temp copy of the Meltano project, installed once, run for real."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from testkit.meltano import MeltanoProject, install_project


@pytest.fixture(scope="session")
def meltano_project(tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    """The project, copied to a temp folder and installed with `meltano install` once."""
    return install_project(tmp_path_factory.mktemp("project") / "spotify")


@pytest.fixture
def fresh_runner(tmp_path: Path) -> t.Callable[[], dict[str, str]]:
    """Environment of a brand-new machine: its own, empty Meltano system database."""
    count = 0

    def make() -> dict[str, str]:
        nonlocal count
        count += 1
        return {"MELTANO_DATABASE_URI": f"sqlite:///{tmp_path}/runner-{count}.db"}

    return make


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """Show the whole Meltano log when `"message" in run.output` fails.

    pytest shortens both sides to one line, which hides why a run in CI failed.
    """
    if op == "in" and isinstance(left, str) and isinstance(right, str) and len(right) > 200:
        return [f"{left!r} not found in this output:", *right.splitlines()]
    return None
