"""The sync job as the workflow runs it: pings, `meltano run`, the health check, the alert job.

Real Meltano and a real sqld; a local GitHub REST API, healthchecks.io ping API and Spotify
contract server. Each step runs the command the workflow's step runs, with the environment
GitHub Actions gives it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from listening_report import alerts
from tap_spotify_recent.instants import add_months
from target_turso.datetimes import canonical_date_time
from testkit.meltano import BIN, install_project, meltano_env

from .test_pipeline import MAIN_JOB, STATE_ID, query, stored, stored_plays, tap_env, turso_env

ALERTS_SOURCE = Path(alerts.__file__).parent.parent  # listening-report/, as checked out


class SyncJob:
    """One scheduled run of the workflow's sync and alert jobs."""

    def __init__(self, project, spotify, sqld, github, ping_url: str, fresh_runner) -> None:
        self.project, self.spotify, self.sqld, self.github = project, spotify, sqld, github
        self.ping_url = ping_url
        self.fresh_runner = fresh_runner
        self.token = sqld.make_token()
        self.read_token = github.issue_token("read")  # the sync job: issues: read
        self.write_token = github.issue_token("write")  # the alert job: issues: write
        self.tap_settings: dict[str, str] = {}
        self.outputs: list[str] = []

    def _step(self, command: list, env: dict[str, str], cwd: Path | None = None) -> str:
        done = subprocess.run(
            command,
            env=meltano_env(env),
            cwd=cwd or self.project.root,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        self.outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    def run(self, run_id: int) -> str:
        actions = {**self.github.env(None), "GITHUB_RUN_ID": str(run_id), "GITHUB_RUN_ATTEMPT": "1"}
        ping = {**actions, "SYNC_ALERTS_PING_URL": self.ping_url}
        self._step([BIN / "sync-alerts", "ping", "start"], ping)
        env = {
            **tap_env(self.spotify),
            **turso_env(self.sqld, self.token),
            **{f"TAP_SPOTIFY_RECENT_{k.upper()}": v for k, v in self.tap_settings.items()},
            "TAP_SPOTIFY_RECENT_RUN_TRIGGER": "schedule",
            **self.fresh_runner(),
        }
        sync = self.project.meltano(*MAIN_JOB, env=env)
        self.outputs.append(sync.output)
        assert sync.returncode == 0, str(sync)
        self._step([BIN / "sync-alerts", "ping", "success"], ping)
        output = self.project.root / "github_output"
        output.write_text("")
        self._step(
            [BIN / "sync-alerts", "check", "--github-output"],
            {
                **actions,
                "LISTENING_REPORT_DATABASE_URL": self.sqld.url,
                "LISTENING_REPORT_AUTH_TOKEN": self.token,
                "GITHUB_TOKEN": self.read_token,
                "GITHUB_OUTPUT": str(output),
            },
        )
        plan = output.read_text().strip().removeprefix("plan=")
        if plan:  # the alert job: python3 on the checked-out source, nothing installed
            self._step(
                [sys.executable, "-I", "-m", "listening_report.sync_alerts", "apply"],
                {**self.github.env(self.write_token), "ALERT_PLAN": plan},
                cwd=ALERTS_SOURCE,
            )
        return plan

    def secrets(self) -> list[str]:
        return [*self.spotify.secrets(), self.token, self.read_token, self.write_token]

    def everything_github_holds(self) -> str:
        texts = []
        for issue in self.github.issues.values():
            texts += [issue.title, issue.body or "", *(c.body for c in issue.comments)]
        return "\n".join(texts)


@pytest.fixture
def job(
    meltano_project, make_spotify_server, sqld_factory, github_server, ping_server, fresh_runner
):
    return SyncJob(
        meltano_project,
        make_spotify_server(),
        sqld_factory(jwt=True),
        github_server,
        ping_server.add_check(),
        fresh_runner,
    )


def test_a_run_with_a_gap_opens_one_issue_and_a_later_clean_run_closes_it(job, ping_server):
    job.spotify.add_plays(30)
    assert job.run(1) == ""  # a clean first run: nothing to tell, no alert job
    assert job.github.issues == {}

    job.spotify.add_plays(60)  # more than 50 before the next run: a gap
    assert job.run(2)
    [issue] = job.github.open_issues()
    [run_id] = [row[0] for row in query(job.sqld.url, 'SELECT "run_id" FROM "sync_runs" '
                                        'WHERE "gap_detected"', job.token)]  # fmt: skip
    assert alerts.reported_keys(issue.body) == [f"gap:{run_id}"]
    assert issue.labels == [alerts.LABEL]

    job.spotify.add_plays(3)
    assert job.run(3)  # the plan: say so, and close
    assert job.github.open_issues() == []
    assert job.github.issues[1].state == "closed"
    assert job.run(4) == ""  # and then nothing more
    assert len(job.github.issues) == 1

    rows = query(
        job.sqld.url,
        'SELECT "trigger", "plays_emitted", "gap_detected" FROM "sync_runs" ORDER BY "run_id"',
        job.token,
    )
    assert rows == [
        ("schedule", 30, 0),
        ("schedule", 50, 1),
        ("schedule", 3, 0),
        ("schedule", 0, 0),
    ]
    assert [p.kind for p in ping_server.pings(job.ping_url)] == ["start", "success"] * 4
    assert ping_server.status(job.ping_url) == "up"
    for secret in job.secrets():
        assert secret not in job.everything_github_holds()
        assert all(secret not in output for output in job.outputs)


def test_an_expiring_token_opens_one_issue_and_a_second_problem_comments_on_it(job):
    expires = date.today() + timedelta(days=12)
    # The day the auth command printed six months before `expires` (clamped at month ends).
    obtained = next(
        day
        for day in (expires - timedelta(days=n) for n in range(170, 200))
        if add_months(day, 6) == expires
    )
    job.tap_settings["refresh_token_obtained_at"] = obtained.isoformat()
    job.spotify.add_plays(5)

    job.run(1)
    [issue] = job.github.open_issues()
    assert alerts.reported_keys(issue.body) == [f"token-expiring:{expires}"]
    assert f"The Spotify refresh token expires on {expires}, in 12 days" in issue.body

    job.spotify.add_plays(55)
    job.run(2)  # a gap as well: a new problem on the same issue

    [issue] = job.github.open_issues()
    assert len(job.github.issues) == 1
    assert [key.split(":")[0] for key in alerts.reported_keys(issue.body)] == [
        "gap",
        "token-expiring",
    ]
    [comment] = issue.comments
    assert comment.body.startswith("New problem:")
    assert "Plays may have been lost" in comment.body
    assert "refresh token" not in comment.body  # reported before: not again
    for secret in job.secrets():
        assert secret not in job.everything_github_holds()


def test_a_home_server_and_github_share_the_bookmark_and_the_lock(
    meltano_project, tmp_path, make_spotify_server, sqld_factory, fresh_runner
):
    """Two project copies (GitHub's runner, a crontab on a home server) race on one sqld."""
    spotify = make_spotify_server()
    sqld = sqld_factory()
    env = {**tap_env(spotify), **turso_env(sqld)}
    home_server = install_project(tmp_path / "home-server")
    first = spotify.add_plays(10)

    release = spotify.hold_api_requests()
    github_run = subprocess.Popen(
        [BIN / "meltano", "--log-format=uncolored", *MAIN_JOB],
        cwd=meltano_project.root,
        env=meltano_env({**env, **fresh_runner()}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The GitHub run holds the lock and waits on Spotify; the crontab's run starts now.
        spotify.wait_for_api_requests(1, timeout=120)
        cron_run = home_server.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    finally:
        release.set()
        github_output = github_run.communicate(timeout=180)[0]
    assert github_run.returncode == 0, github_output
    assert cron_run.returncode != 0
    assert f"Another run of '{STATE_ID}' holds its lock" in cron_run.output
    assert sorted(stored_plays(sqld.url)) == sorted(stored(first))
    assert query(sqld.url, 'SELECT count(*) FROM "sync_runs"') == [(1,)]

    # The next crontab run continues from the bookmark GitHub's run left: nothing twice.
    second = spotify.add_plays(4)
    requests_before = len(spotify.api_requests())
    cron_run = home_server.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert cron_run.returncode == 0, str(cron_run)
    assert len(spotify.api_requests()) - requests_before == 1
    plays = stored_plays(sqld.url)
    assert sorted(plays) == sorted(stored([*first, *second]))
    runs = query(
        sqld.url,
        'SELECT "bookmark_before", "bookmark_after", "plays_emitted" FROM "sync_runs" '
        'ORDER BY "run_id"',
    )
    assert runs == [
        (None, canonical_date_time(first[-1]["played_at"]), 10),
        (
            canonical_date_time(first[-1]["played_at"]),
            canonical_date_time(second[-1]["played_at"]),
            4,
        ),
    ]
    state = json.loads(query(sqld.url, 'SELECT "completed_state" FROM "meltano_state"')[0][0])[
        "singer_state"
    ]
    assert (
        state["bookmarks"]["recently_played"]["replication_key_value"] == (second[-1]["played_at"])
    )
