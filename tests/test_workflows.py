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
    assert sync["jobs"]["sync"]["permissions"] == {"contents": "read", "issues": "read"}
    assert load("ci.yml")["permissions"] == {"contents": "read"}
    writers = [name for name, job in sync["jobs"].items() if "issues: write" in yaml.dump(job)]
    assert writers == ["alert"]
    assert sync["jobs"]["alert"]["permissions"] == {"contents": "read", "issues": "write"}


def test_the_alert_job_runs_only_when_the_health_check_planned_a_change():
    jobs = load("sync.yml")["jobs"]
    steps = {step.get("id"): step for step in jobs["sync"]["steps"]}
    assert steps["health"]["if"] == "${{ !cancelled() }}"  # also after a failed sync
    assert steps["health"]["run"] == ".venv/bin/sync-alerts check --github-output"
    assert steps["health"]["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert jobs["sync"]["outputs"]["alert-plan"] == "${{ steps.health.outputs.plan }}"
    alert = jobs["alert"]
    assert alert["needs"] == "sync"
    assert alert["if"] == "${{ !cancelled() && needs.sync.outputs.alert-plan != '' }}"
    (apply,) = [step for step in alert["steps"] if "run" in step]
    # The runner's python3 and the checked-out source: nothing installed, nothing cached.
    assert apply["run"] == "python3 -m listening_report.sync_alerts apply"
    assert apply["env"]["ALERT_PLAN"] == "${{ needs.sync.outputs.alert-plan }}"


def test_dead_man_pings_surround_the_sync_and_report_its_outcome():
    steps = load("sync.yml")["jobs"]["sync"]["steps"]
    names = [step.get("id") or step.get("run", "") for step in steps]
    start = names.index(".venv/bin/sync-alerts ping start")
    finish = names.index('.venv/bin/sync-alerts ping "$SYNC_OUTCOME"')
    assert start < names.index("sync") < finish
    assert steps[finish]["if"] == "${{ !cancelled() }}"
    assert steps[finish]["env"]["SYNC_OUTCOME"] == "${{ steps.sync.outcome }}"
    for step in (steps[start], steps[finish]):
        assert step["env"] == {
            **step["env"],
            "SYNC_ALERTS_PING_URL": "${{ secrets.SYNC_PING_URL }}",
        }


def test_an_external_trigger_needs_no_report_and_names_itself():
    dispatch = load("sync.yml")[True]["workflow_dispatch"]["inputs"]
    assert dispatch["report"]["default"] is False  # every-10-minute dispatches stay cheap
    assert dispatch["trigger"]["type"] == "string"
    run = next(s for s in load("sync.yml")["jobs"]["sync"]["steps"] if s.get("id") == "sync")
    assert run["env"]["TAP_SPOTIFY_RECENT_RUN_TRIGGER"] == (
        "${{ inputs.trigger || github.event_name }}"
    )


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


def test_the_sync_looks_genres_up_once_the_repository_variable_names_a_contact():
    steps = load("sync.yml")["jobs"]["sync"]["steps"]
    run = next(step for step in steps if step.get("id") == "sync")
    # A repository variable, not a secret: unset, the tap's artist_genres stream stays off.
    assert run["env"]["TAP_SPOTIFY_RECENT_MUSICBRAINZ_CONTACT"] == "${{ vars.MUSICBRAINZ_CONTACT }}"


def test_ci_runs_the_same_script_as_local_ci():
    steps = load("ci.yml")["jobs"]["test"]["steps"]
    assert any(step.get("run") == ".ci/run" for step in steps)
    assert set(load("ci.yml")[True]) == {"push", "pull_request"}
