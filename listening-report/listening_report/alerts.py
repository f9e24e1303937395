"""What is wrong with the sync, and the one GitHub issue that says so.

After each run the health check lists the problems (a gap in the last run, a refresh token
that expires within `token_days` or has expired, no successful run for `failing_hours`, a
public repository about to lose its schedule to GitHub's 60-day rule, a database it cannot
read) and plans what to do with the alert issue: open it, comment on it when a new problem
appears (GitHub notifies the owner of both), keep its body current, and close it once every
problem is gone. The issue remembers which problems it reported in a hidden marker, so a
problem is reported once however many runs see it.

Standard library only: the workflow's alert job applies a plan with the runner's `python3`.
Nothing secret ever goes into a title, body or comment: problems are built from dates, run
times and fixed advice, and a database error is reported without its URL.
"""

from __future__ import annotations

import json
import re
import typing as t
from dataclasses import dataclass
from datetime import datetime, timedelta

if t.TYPE_CHECKING:
    from listening_report.github_api import JSON, GitHubAPI
    from listening_report.health import LatestRun

LABEL = "spotify-sync-alert"
TITLE = "Spotify sync needs attention"
INACTIVITY_LIMIT_DAYS = 60  # GitHub disables a public repository's schedules after this
_MARKER = re.compile(r"<!-- spotify-sync-alert problems: (\[.*?\]) -->")
REAUTHORIZE = (
    "Run `make auth` (or `meltano invoke tap-spotify-recent:auth`) on your computer, then "
    "update the repository secret `SPOTIFY_REFRESH_TOKEN` and the variable "
    "`SPOTIFY_REFRESH_TOKEN_OBTAINED_AT` to what it prints."
)


@dataclass(frozen=True)
class Thresholds:
    """When a condition becomes a problem (the `SYNC_ALERTS_*` settings)."""

    token_days: int = 30
    failing_hours: float = 6.0
    inactive_days: int = 50


@dataclass(frozen=True)
class Problem:
    """One reason to tell the owner; the same cause keeps the same `key`."""

    key: str
    title: str
    advice: str


@dataclass(frozen=True)
class Repository:
    """What the check knows of the GitHub repository (None: not on GitHub)."""

    public: bool
    pushed_at: datetime


def parse_instant(text: str) -> datetime:
    """An aware datetime from ISO 8601 text (`Z` or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def find_problems(
    latest: LatestRun | None,
    *,
    now: datetime,
    thresholds: Thresholds,
    repository: Repository | None = None,
    database_error: str | None = None,
) -> list[Problem]:
    """The problems to report, from the newest successful run and the repository."""
    problems = []
    if database_error is not None:
        problems.append(
            Problem(
                "database",
                "The health check could not read the database",
                f"{database_error} Until it can, this issue cannot tell whether the sync "
                "works: check the TURSO_DATABASE_URL and TURSO_AUTH_TOKEN secrets.",
            )
        )
    if latest is not None:
        problems += _run_problems(latest, now, thresholds)
    if repository is not None and repository.public:
        idle = now - repository.pushed_at
        if idle >= timedelta(days=thresholds.inactive_days):
            stops = (repository.pushed_at + timedelta(days=INACTIVITY_LIMIT_DAYS)).date()
            problems.append(
                Problem(
                    f"inactive:{repository.pushed_at.date()}",
                    f"GitHub will stop the schedule of this public repository around {stops}",
                    f"Nothing was pushed for {idle.days} days. GitHub disables scheduled "
                    f"workflows of public repositories after {INACTIVITY_LIMIT_DAYS} days "
                    "without activity, and then no trigger starts them. Push any commit "
                    "(editing the README on github.com will do); if the schedule stopped "
                    "already, press *Enable workflow* in the Actions tab.",
                )
            )
    return problems


def _run_problems(latest: LatestRun, now: datetime, thresholds: Thresholds) -> list[Problem]:
    problems = []
    if latest.gap_detected:
        problems.append(
            Problem(
                f"gap:{latest.run_id}",
                f"Plays may have been lost before the run of {latest.started_at}",
                f"Spotify served 50 plays all newer than the bookmark ({latest.bookmark_before}),"
                " so more than 50 plays happened since the run before and the oldest are no "
                "longer served. Import your Spotify data export to fill the gap (README: "
                "*Your whole history*) and run the sync more often: the `sync_health` view "
                "shows your longest safe interval between runs.",
            )
        )
    expires = latest.refresh_token_expires_on
    if expires is not None:
        days_left = (expires - now.date()).days
        if days_left < 0:
            problems.append(
                Problem(
                    f"token-expired:{expires}",
                    f"The Spotify refresh token expired on {expires}",
                    f"Every run fails until it is replaced. {REAUTHORIZE}",
                )
            )
        elif days_left <= thresholds.token_days:
            problems.append(
                Problem(
                    f"token-expiring:{expires}",
                    f"The Spotify refresh token expires on {expires}, in {days_left} days",
                    f"Spotify refresh tokens last six months. {REAUTHORIZE}",
                )
            )
    since = parse_instant(latest.finished_at)
    if now - since > timedelta(hours=thresholds.failing_hours):
        hours = (now - since) / timedelta(hours=1)
        problems.append(
            Problem(
                f"failing-since:{latest.finished_at}",
                f"No successful sync for {hours:.0f} hours (since {latest.finished_at})",
                "Open the latest runs in the Actions tab to see why they fail; the README's "
                "*Troubleshooting* table says what to do. If no run started at all, GitHub "
                "stopped scheduling: see *Run on time* in the README.",
            )
        )
    return problems


def reported_keys(body: str | None) -> list[str]:
    """The problem keys an alert issue's body says it reported."""
    match = _MARKER.search(body or "")
    return json.loads(match.group(1)) if match else []


def render_body(problems: t.Sequence[Problem]) -> str:
    """The issue body: every current problem, and the marker of their keys."""
    items = "\n".join(f"- **{problem.title}.** {problem.advice}" for problem in problems)
    keys = json.dumps([problem.key for problem in problems])
    return (
        f"The scheduled Spotify sync found:\n\n{items}\n\n"
        "This issue is opened, updated and closed by the sync workflow's health check "
        "(`sync-alerts`, see the README's *Alerts*); it closes itself once every problem "
        f"above is gone.\n\n<!-- spotify-sync-alert problems: {keys} -->\n"
    )


def plan(problems: t.Sequence[Problem], issue: JSON | None, label: str = LABEL) -> list[JSON]:
    """The writes that bring the alert issue in line with `problems` (none if it is)."""
    if issue is None:
        if not problems:
            return []
        return [{"op": "create", "title": TITLE, "body": render_body(problems), "labels": [label]}]
    number = issue["number"]
    reported = reported_keys(issue.get("body"))
    current = [problem.key for problem in problems]
    if not problems:
        closed = {"state": "closed", "state_reason": "completed"}
        return [
            {"op": "comment", "issue": number, "body": "Every problem above is gone. Closing."},
            {"op": "update", "issue": number, "fields": closed},
        ]
    if current == reported:
        return []
    steps: list[JSON] = [
        {"op": "update", "issue": number, "fields": {"body": render_body(problems)}}
    ]
    new = [problem for problem in problems if problem.key not in reported]
    if new:
        lines = "\n".join(f"- **{problem.title}.** {problem.advice}" for problem in new)
        steps.append({"op": "comment", "issue": number, "body": f"New problem:\n\n{lines}"})
    return steps


def apply(steps: t.Sequence[JSON], api: GitHubAPI) -> list[str]:
    """Carry out a plan's writes; returns one line per write done."""
    done = []
    for step in steps:
        if step["op"] == "create":
            issue = api.create_issue(step["title"], step["body"], step["labels"])
            done.append(f"Opened issue #{issue['number']}: {step['title']}")
        elif step["op"] == "comment":
            api.comment(step["issue"], step["body"])
            done.append(f"Commented on issue #{step['issue']}")
        elif step["op"] == "update":
            api.update_issue(step["issue"], step["fields"])
            closing = step["fields"].get("state") == "closed"
            done.append(f"{'Closed' if closing else 'Updated'} issue #{step['issue']}")
        else:
            msg = f"unknown step in the alert plan: {step['op']!r}"
            raise ValueError(msg)
    return done
