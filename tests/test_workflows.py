"""The GitHub Actions workflows: linted, pinned, least-privileged, and wired to the secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: .ci/run installs it")
    return str(path)


def load(name: str) -> dict:
    # PyYAML reads the `on:` key as True.
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_actionlint_finds_nothing():
    result = subprocess.run(
        [tool("actionlint"), "-no-color"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit():
    for path in WORKFLOWS.glob("*.yml"):
        for uses in re.findall(r"uses:\s*(\S+)", path.read_text()):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), (path.name, uses)


def test_sync_runs_every_ten_minutes_and_on_demand():
    triggers = load("sync.yml")[True]
    assert {"cron": "*/10 * * * *"} in triggers["schedule"]
    assert "workflow_dispatch" in triggers


def test_sync_never_overlaps_and_never_cancels_a_running_sync():
    job = load("sync.yml")["jobs"]["sync"]
    assert job["concurrency"] == {"group": "sync", "cancel-in-progress": False}
    assert job["timeout-minutes"] <= 15


def test_permissions_are_least_privilege():
    sync = load("sync.yml")
    assert sync["permissions"] == {}
    assert sync["jobs"]["sync"]["permissions"] == {"contents": "read"}
    assert load("ci.yml")["permissions"] == {"contents": "read"}


def test_the_main_job_gets_every_secret_through_plugin_settings():
    steps = load("sync.yml")["jobs"]["sync"]["steps"]
    (run,) = [step for step in steps if "meltano" in step.get("run", "") and "run" in step]
    assert "meltano --environment=prod run tap-spotify-recent target-turso" in run["run"]
    env = run["env"]
    assert env["TAP_SPOTIFY_RECENT_CLIENT_ID"] == "${{ secrets.SPOTIFY_CLIENT_ID }}"
    assert env["TAP_SPOTIFY_RECENT_CLIENT_SECRET"] == "${{ secrets.SPOTIFY_CLIENT_SECRET }}"
    assert env["TAP_SPOTIFY_RECENT_REFRESH_TOKEN"] == "${{ secrets.SPOTIFY_REFRESH_TOKEN }}"
    assert env["TURSO_DATABASE_URL"] == "${{ secrets.TURSO_DATABASE_URL }}"
    assert env["TURSO_AUTH_TOKEN"] == "${{ secrets.TURSO_AUTH_TOKEN }}"
    assert env["MELTANO_STATE_BACKEND_URI"] == "${{ secrets.TURSO_DATABASE_URL }}"
    # Secrets reach only the step that needs them, never a shell `echo`.
    for path in WORKFLOWS.glob("*.yml"):
        for step_run in re.findall(r"run:\s*(.+)", path.read_text()):
            assert "secrets." not in step_run, (path.name, step_run)


def test_ci_runs_the_same_script_as_local_ci():
    steps = load("ci.yml")["jobs"]["test"]["steps"]
    assert any(step.get("run") == ".ci/run" for step in steps)
    assert set(load("ci.yml")[True]) == {"push", "pull_request"}
