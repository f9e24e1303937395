"""`sync-alerts`: one GitHub issue that opens, updates and closes with the sync's problems,
and dead-man pings, against local servers that follow GitHub's and healthchecks.io's APIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from listening_report import alerts
from tap_spotify_recent.sync_runs import SYNC_RUN

from .reportkit import BIN, Database, load_singer

NOW = "2026-11-29T12:00:00Z"
GAP_ADVICE = "Import your Spotify data export to fill the gap"


@dataclass
class Result:
    returncode: int
    stderr: str


def run_alerts(*args: str, env: dict[str, str], cwd: Path) -> Result:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "LISTENING_REPORT_", "SYNC_ALERTS_", "ALERT_PLAN"))
    }
    done = subprocess.run(
        [BIN / "sync-alerts", *args],
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
    )
    return Result(done.returncode, done.stderr)


def add_run(
    database: Database,
    tmp_path: Path,
    *,
    started_at: str,
    gap: bool = False,
    expires_on: str | None = "2027-05-01",
) -> None:
    """One sync_runs record, written by target-turso as the tap's stream would be."""
    record = {
        "run_id": f"{started_at}-0000abcd",
        "started_at": started_at,
        "finished_at": started_at,
        "trigger": "schedule",
        "tap_version": "0.1.0",
        "bookmark_before": "2026-11-29T08:00:00.000Z",
        "bookmark_after": "2026-11-29T11:00:00.000Z",
        "plays_served": 50,
        "plays_emitted": 50 if gap else 3,
        "gap_detected": gap,
        "api_requests": 1,
        "refresh_token_expires_on": expires_on,
    }
    singer = tmp_path / "run.singer"
    schema = {"type": "SCHEMA", "stream": "sync_runs", "schema": SYNC_RUN}
    messages = [{**schema, "key_properties": ["run_id"]}]
    messages.append({"type": "RECORD", "stream": "sync_runs", "record": record})
    singer.write_text("".join(json.dumps(message) + "\n" for message in messages))
    load_singer(database, singer, tmp_path)


@pytest.fixture
def setup(tmp_path, github_server):
    """A database, the GitHub contract server and the environment of the sync job."""
    database = Database(str(tmp_path / "plays.db"))
    token = github_server.issue_token("write")

    def env(**extra: str) -> dict[str, str]:
        return {**database.env(), **github_server.env(token), **extra}

    return database, github_server, env


def check(env: dict[str, str], tmp_path: Path, *args: str, now: str = NOW) -> Result:
    return run_alerts("check", "--apply", "--now", now, *args, env=env, cwd=tmp_path)


def test_a_gap_opens_one_issue_that_a_clean_run_closes(setup, tmp_path):
    database, github, env = setup
    add_run(database, tmp_path, started_at="2026-11-29T11:50:00.000Z", gap=True)

    first = check(env(), tmp_path)
    again = check(env(), tmp_path)  # the next run still sees the same gap: nothing new

    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    [issue] = github.open_issues()
    assert issue.title == "Spotify sync needs attention"
    assert issue.labels == ["spotify-sync-alert"]
    assert "Plays may have been lost before the run of 2026-11-29T11:50:00+00:00" in issue.body
    assert GAP_ADVICE in issue.body
    assert alerts.reported_keys(issue.body) == ["gap:2026-11-29T11:50:00.000Z-0000abcd"]
    assert [r.method for r in github.writes()] == ["POST"]
    assert "Opened issue #1" in first.stderr

    add_run(database, tmp_path, started_at="2026-11-29T11:58:00.000Z")
    clean = check(env(), tmp_path)

    assert clean.returncode == 0, clean.stderr
    assert github.open_issues() == []
    closed = github.issues[1]
    assert (closed.state, closed.state_reason) == ("closed", "completed")
    assert [c.body for c in closed.comments] == ["Every problem above is gone. Closing."]


def test_a_second_problem_comments_on_the_same_issue(setup, tmp_path):
    database, github, env = setup
    add_run(database, tmp_path, started_at="2026-11-29T11:50:00.000Z", gap=True)
    check(env(), tmp_path)
    # The next run is clean, but the token now expires within 30 days.
    add_run(database, tmp_path, started_at="2026-11-29T11:58:00.000Z", expires_on="2026-12-20")

    second = check(env(), tmp_path)

    assert second.returncode == 0, second.stderr
    [issue] = github.open_issues()
    assert issue.number == 1
    assert alerts.reported_keys(issue.body) == ["token-expiring:2026-12-20"]
    [comment] = issue.comments
    assert comment.body.startswith("New problem:")
    assert "The Spotify refresh token expires on 2026-12-20, in 21 days" in comment.body
    assert "SPOTIFY_REFRESH_TOKEN" in comment.body
    # Once expired it is a new problem again: one more comment, still one issue.
    third = check(env(), tmp_path, now="2026-12-21T00:00:00Z")
    assert third.returncode == 0, third.stderr
    [issue] = github.open_issues()
    assert alerts.reported_keys(issue.body)[0] == "token-expired:2026-12-20"
    assert "expired on 2026-12-20" in issue.comments[-1].body
    assert len(github.issues) == 1


def test_no_successful_run_for_the_configured_time_is_a_problem(setup, tmp_path):
    database, github, env = setup
    add_run(database, tmp_path, started_at="2026-11-29T08:00:00.000Z")

    within = check(env(SYNC_ALERTS_FAILING_HOURS="5"), tmp_path)
    assert within.returncode == 0
    assert github.open_issues() == []

    beyond = check(env(SYNC_ALERTS_FAILING_HOURS="3"), tmp_path)
    assert beyond.returncode == 0, beyond.stderr
    [issue] = github.open_issues()
    assert "No successful sync for 4 hours (since 2026-11-29T08:00:00+00:00)" in issue.body


def test_check_plans_with_read_access_and_apply_writes_with_the_write_token(setup, tmp_path):
    database, github, env = setup
    add_run(database, tmp_path, started_at="2026-11-29T11:50:00.000Z", gap=True)
    output = tmp_path / "github_output"
    read_only = github.issue_token("read")

    planned = run_alerts(
        "check",
        "--github-output",
        "--now",
        NOW,
        env=env(GITHUB_TOKEN=read_only, GITHUB_OUTPUT=str(output)),
        cwd=tmp_path,
    )
    assert planned.returncode == 0, planned.stderr
    assert github.writes() == []
    name, _, plan = output.read_text().strip().partition("=")
    assert name == "plan"
    assert [step["op"] for step in json.loads(plan)["steps"]] == ["create"]

    # The alert job: the runner's own python3, nothing installed, only the source folder.
    package = Path(alerts.__file__).parent
    applied = subprocess.run(
        [sys.executable, "-I", "-m", "listening_report.sync_alerts", "apply"],
        env={**github.env(github.issue_token("write")), "ALERT_PLAN": plan},
        cwd=package.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode == 0, applied.stderr
    assert [issue.title for issue in github.open_issues()] == ["Spotify sync needs attention"]

    output.write_text("")
    clean = run_alerts(
        "check", "--github-output", "--now", NOW,
        env=env(GITHUB_TOKEN=read_only, GITHUB_OUTPUT=str(output)), cwd=tmp_path,
    )  # fmt: skip
    assert clean.returncode == 0
    assert output.read_text() == "plan=\n"  # the issue already says it all: the job is skipped


def test_a_token_without_issues_write_fails_with_one_line_naming_the_permission(setup, tmp_path):
    database, github, env = setup
    add_run(database, tmp_path, started_at="2026-11-29T11:50:00.000Z", gap=True)
    token = github.issue_token("read")

    result = check(env(GITHUB_TOKEN=token), tmp_path)

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "sync-alerts: GitHub answered 403 Resource not accessible by integration to POST "
        "/repos/listener/spotify-history/issues: the token lacks a permission: the job needs "
        "`permissions: issues: write` (reading needs `issues: read`)."
    )
    assert token not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_public_repository_idle_for_50_days_is_warned_before_the_60_day_rule(setup, tmp_path):
    database, github, env = setup
    add_run(database, tmp_path, started_at="2026-11-29T11:50:00.000Z")
    github.private = False
    github.pushed_at = "2026-10-05T09:00:00Z"  # 55 days before NOW

    result = check(env(), tmp_path)

    assert result.returncode == 0, result.stderr
    [issue] = github.open_issues()
    assert "GitHub will stop the schedule of this public repository around 2026-12-04" in (
        issue.body
    )
    assert alerts.reported_keys(issue.body) == ["inactive:2026-10-05"]
    github.private = True  # private repositories are not affected
    check(env(), tmp_path)
    assert github.open_issues() == []


def test_an_unreadable_database_is_reported_without_its_url_or_token(setup, tmp_path, sqld_jwt):
    _database, github, env = setup
    bad = sqld_jwt.make_token({"a": "rw", "exp": 1})  # expired

    result = check(
        env(LISTENING_REPORT_DATABASE_URL=sqld_jwt.url, LISTENING_REPORT_AUTH_TOKEN=bad),
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    [issue] = github.open_issues()
    assert "The health check could not read the database" in issue.body
    assert sqld_jwt.url not in issue.body
    assert f"127.0.0.1:{sqld_jwt.port}" not in issue.body
    assert bad not in issue.body + result.stderr


def test_pull_requests_with_the_label_are_not_taken_for_the_issue(setup, tmp_path):
    database, github, env = setup
    github.add_pull_request("Bump tzdata", ["spotify-sync-alert"])
    add_run(database, tmp_path, started_at="2026-11-29T11:50:00.000Z", gap=True)

    check(env(), tmp_path)

    assert [issue.number for issue in github.open_issues()] == [2]
    assert github.issues[1].comments == []


def test_without_a_repository_the_problems_are_only_printed(setup, tmp_path):
    database, github, _env = setup
    add_run(database, tmp_path, started_at="2026-11-29T11:50:00.000Z", gap=True)

    result = run_alerts("check", "--now", NOW, env=database.env(), cwd=tmp_path)

    assert result.returncode == 0
    assert "Problem: Plays may have been lost before the run of 2026-11-29T11:50:00+00:00." in (
        result.stderr
    )
    assert "GITHUB_REPOSITORY is not set" in result.stderr
    assert github.requests == []


# -- dead-man pings ------------------------------------------------------------------------


def test_pings_around_a_run_share_one_run_id(ping_server, tmp_path):
    url = ping_server.add_check()
    actions = {"SYNC_ALERTS_PING_URL": url, "GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "1"}

    started = run_alerts("ping", "start", env=actions, cwd=tmp_path)
    assert ping_server.status(url) == "started"
    finished = run_alerts("ping", "success", env=actions, cwd=tmp_path)

    assert started.returncode == finished.returncode == 0
    pings = ping_server.pings(url)
    assert [p.kind for p in pings] == ["start", "success"]
    assert pings[0].rid == pings[1].rid is not None
    assert ping_server.status(url) == "up"


@pytest.mark.parametrize(("outcome", "status"), [("failure", "down"), ("skipped", "down")])
def test_a_failed_or_skipped_sync_pings_fail(ping_server, tmp_path, outcome, status):
    url = ping_server.add_check()

    run_alerts("ping", outcome, env={"SYNC_ALERTS_PING_URL": url}, cwd=tmp_path)

    assert [p.kind for p in ping_server.pings(url)] == ["fail"]
    assert ping_server.status(url) == status


def test_run_wraps_a_command_for_cron_and_keeps_its_exit_status(ping_server, tmp_path):
    url = ping_server.add_check()
    env = {"SYNC_ALERTS_PING_URL": url}

    ok = run_alerts("run", "--", sys.executable, "-c", "pass", env=env, cwd=tmp_path)
    failed = run_alerts(
        "run", "--", sys.executable, "-c", "raise SystemExit(3)", env=env, cwd=tmp_path
    )

    assert (ok.returncode, failed.returncode) == (0, 3)
    pings = ping_server.pings(url)
    assert [p.kind for p in pings] == ["start", "success", "start", "fail"]
    assert pings[0].rid == pings[1].rid != pings[2].rid == pings[3].rid
    assert pings[3].body == "exit status 3"


def test_a_ping_hiccup_is_retried_and_an_unreachable_check_never_fails_the_job(
    ping_server, tmp_path
):
    url = ping_server.add_check()
    ping_server.fail_next(2)

    retried = run_alerts("ping", "start", env={"SYNC_ALERTS_PING_URL": url}, cwd=tmp_path)
    assert retried.returncode == 0
    assert [p.kind for p in ping_server.pings(url)] == ["start"]

    gone = url.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    lost = run_alerts("ping", "success", env={"SYNC_ALERTS_PING_URL": gone}, cwd=tmp_path)
    assert lost.returncode == 0
    assert lost.stderr.strip() == (
        "Warning: the success ping to SYNC_ALERTS_PING_URL did not arrive (HTTP 404); "
        "the sync goes on."
    )
    assert "00000000-0000" not in lost.stderr


def test_no_ping_url_sends_nothing(tmp_path):
    result = run_alerts("ping", "start", env={}, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_health_creates_the_views_and_prints_the_figures(setup, tmp_path):
    database, _github, _env = setup
    add_run(database, tmp_path, started_at="2026-11-29T08:00:00.000Z")
    add_run(database, tmp_path, started_at="2026-11-29T11:00:00.000Z", gap=True)

    done = subprocess.run(
        [BIN / "sync-alerts", "health"],
        env={**os.environ, **database.env()},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "runs: 2" in lines
    assert "gaps: 1" in lines
    assert "longest_pause: Pause(seconds=10800.0, after_run_at='2026-11-29T08:00:00.000Z', " \
        "before_run_at='2026-11-29T11:00:00.000Z')" in lines  # fmt: skip
    assert "2026-11-29: 2 runs, 1 gaps, 53 plays" in lines
    assert "Created or replaced the view sync_health" in done.stderr
    assert database.query('SELECT "runs", "gaps" FROM "sync_health"') == [(2, 1)]
