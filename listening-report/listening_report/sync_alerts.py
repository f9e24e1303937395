"""The `sync-alerts` command: tell the owner when the scheduled sync is not doing its job.

    sync-alerts check [--apply] [--github-output]   problems -> the alert issue's plan
    sync-alerts apply                               carry out the plan in $ALERT_PLAN
    sync-alerts health [--no-views]                 the sync_health figures (and views)
    sync-alerts ping start|success|failure|...      dead-man pings around a run
    sync-alerts run -- COMMAND...                   ping start, run COMMAND, ping its outcome

`check` reads the newest `sync_runs` record (one row, through the key index) and the
repository's metadata, lists the problems (see `alerts`) and plans the writes to the one open
issue labelled `SYNC_ALERTS_LABEL`. In GitHub Actions it runs in the sync job with
`issues: read` and hands the plan to a separate job that alone has `issues: write` and runs
`apply` with the runner's `python3` (this module and `alerts`, `github_api`, `ping` need only
the standard library). On an always-on machine `check --apply` does both.

Settings are environment variables (GitHub Actions sets GITHUB_API_URL, GITHUB_REPOSITORY;
the workflow passes GITHUB_TOKEN): see SETTINGS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import typing as t
from datetime import datetime, timezone

from listening_report import alerts, ping
from listening_report.github_api import DEFAULT_API_URL, GitHubAPI, GitHubError

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from listening_report.health import LatestRun

SETTINGS = {
    "LISTENING_REPORT_DATABASE_URL": "The database the target writes (as for the report).",
    "LISTENING_REPORT_AUTH_TOKEN": "Its token (secret).",
    "LISTENING_REPORT_TABLE_PREFIX": "The target's table prefix.",
    "GITHUB_REPOSITORY": "owner/name of the repository to open the issue in (Actions sets it);"
    " unset, check only prints the problems.",
    "GITHUB_API_URL": f"GitHub's REST API (Actions sets it; default {DEFAULT_API_URL}).",
    "GITHUB_TOKEN": "Token: issues: read for check, issues: write for apply/--apply (secret).",
    "SYNC_ALERTS_LABEL": f"Label of the alert issue (default {alerts.LABEL}).",
    "SYNC_ALERTS_TOKEN_DAYS": "Warn this many days before the refresh token expires (30).",
    "SYNC_ALERTS_FAILING_HOURS": "Alert when no run succeeded for this many hours (6).",
    "SYNC_ALERTS_INACTIVE_DAYS": "Public repositories: warn after this many days without a "
    "push, before GitHub's 60-day rule stops the schedule (50).",
    ping.SETTING: "healthchecks.io-style ping URL (secret); unset, no pings.",
    "ALERT_PLAN": "The plan `check --github-output` wrote, for `apply`.",
}
OUTCOMES = {"success": "success", "failure": "fail", "fail": "fail", "cancelled": "fail"}
OUTCOMES["skipped"] = "fail"  # the sync step did not run: a step before it failed


class SettingError(Exception):
    """A setting is missing or unusable; the message names it."""


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name) or ""
    try:
        return float(text) if text.strip() else default
    except ValueError:
        msg = f"{name} must be a number, got {text!r}."
        raise SettingError(msg) from None


def thresholds(env: Mapping[str, str]) -> alerts.Thresholds:
    """The thresholds from the SYNC_ALERTS_* settings."""
    return alerts.Thresholds(
        token_days=int(_number(env, "SYNC_ALERTS_TOKEN_DAYS", 30)),
        failing_hours=_number(env, "SYNC_ALERTS_FAILING_HOURS", 6),
        inactive_days=int(_number(env, "SYNC_ALERTS_INACTIVE_DAYS", 50)),
    )


def _github(env: Mapping[str, str]) -> GitHubAPI | None:
    repository = env.get("GITHUB_REPOSITORY")
    if not repository:
        return None
    return GitHubAPI(
        env.get("GITHUB_API_URL") or DEFAULT_API_URL, repository, env.get("GITHUB_TOKEN")
    )


def _latest_run(env: Mapping[str, str]) -> tuple[LatestRun | None, str | None]:
    """The newest run, or the reason the database could not be read (without its URL)."""
    from libsql_access.connection import (
        DatabaseConnectionError,
        connect,
        describe_error,
        redact_url,
    )

    from listening_report.health import latest_run

    url = env.get("LISTENING_REPORT_DATABASE_URL") or None
    token = env.get("LISTENING_REPORT_AUTH_TOKEN") or None
    try:
        connection = connect(url, token)
        try:
            return latest_run(connection, env.get("LISTENING_REPORT_TABLE_PREFIX", "")), None
        finally:
            connection.close()
    except (DatabaseConnectionError, ValueError) as error:
        message = str(error)
        if isinstance(error, ValueError):
            message = describe_error(error, url or "", token)
        for secret in filter(None, (url, url and redact_url(url), token)):
            message = message.replace(secret, "<the database>")
        return None, message


def check(env: Mapping[str, str], *, now: datetime, apply: bool, github_output: bool) -> int:
    """List the problems and plan (and with `apply`, make) the alert issue's writes."""
    latest, database_error = _latest_run(env)
    github = _github(env)
    repository = None
    if github is not None:
        info = github.repository_info()
        repository = alerts.Repository(
            public=info.get("visibility", "private") == "public" or info.get("private") is False,
            pushed_at=alerts.parse_instant(info["pushed_at"]),
        )
    problems = alerts.find_problems(
        latest,
        now=now,
        thresholds=thresholds(env),
        repository=repository,
        database_error=database_error,
    )
    for problem in problems:
        _say(f"Problem: {problem.title}.")
    if not problems:
        _say("No problem: the last run succeeded recently and found no gap.")
    if github is None:
        _say("GITHUB_REPOSITORY is not set: the problems are only printed.")
        return 0
    label = env.get("SYNC_ALERTS_LABEL") or alerts.LABEL
    issues = github.open_issues(label)
    steps = alerts.plan(problems, issues[0] if issues else None, label)
    if github_output:
        _write_output(env, {"steps": steps} if steps else None)
    if apply:
        for line in alerts.apply(steps, github):
            _say(line)
    elif steps:
        _say(f"Planned {len(steps)} change(s) to the alert issue.")
    return 0


def health(env: Mapping[str, str], *, views: bool) -> int:
    """Create the health views (unless not wanted) and print the figures."""
    from libsql_access.connection import DatabaseConnectionError, connect

    from listening_report.health import create_views, read_health

    prefix = env.get("LISTENING_REPORT_TABLE_PREFIX", "")
    try:
        connection = connect(
            env.get("LISTENING_REPORT_DATABASE_URL") or None,
            env.get("LISTENING_REPORT_AUTH_TOKEN") or None,
        )
    except DatabaseConnectionError as error:
        raise SettingError(str(error)) from None
    try:
        if views:
            for name in create_views(connection, prefix):
                _say(f"Created or replaced the view {name}")
        figures = read_health(connection, prefix)
    finally:
        connection.close()
    for name, value in vars(figures).items():
        if name != "days":
            print(f"{name}: {value}")
    print(f"longest_safe_interval_s: {figures.longest_safe_interval_s}")
    for day in figures.days:
        print(f"{day.day}: {day.runs} runs, {day.gaps} gaps, {day.plays_emitted} plays")
    return 0


def _write_output(env: Mapping[str, str], plan: dict[str, t.Any] | None) -> None:
    path = env.get("GITHUB_OUTPUT")
    if not path:
        msg = "--github-output needs GITHUB_OUTPUT (GitHub Actions sets it)."
        raise SettingError(msg)
    with open(path, "a", encoding="utf-8") as output:  # noqa: PTH123 - a path from the runner
        output.write(f"plan={json.dumps(plan) if plan else ''}\n")


def apply_plan(env: Mapping[str, str]) -> int:
    """Carry out the plan in ALERT_PLAN."""
    text = env.get("ALERT_PLAN") or ""
    if not text.strip():
        _say("ALERT_PLAN is empty: nothing to do.")
        return 0
    try:
        steps = json.loads(text)["steps"]
    except (ValueError, KeyError, TypeError):
        msg = "ALERT_PLAN is not a plan written by `sync-alerts check --github-output`."
        raise SettingError(msg) from None
    github = _github(env)
    if github is None:
        msg = "GITHUB_REPOSITORY is not set (owner/name of the repository)."
        raise SettingError(msg)
    for line in alerts.apply(steps, github):
        _say(line)
    return 0


def _rid(env: Mapping[str, str]) -> str:
    """The same run ID in every step of one GitHub Actions run."""
    if env.get("GITHUB_RUN_ID"):
        seed = "/".join(
            env.get(name, "")
            for name in ("GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT")
        )
        return ping.run_id(seed)
    return ping.run_id()


def run_with_pings(env: Mapping[str, str], command: Sequence[str]) -> int:
    """Ping start, run `command`, ping its outcome; return its exit status."""
    if not command:
        msg = "sync-alerts run needs a command after `--`."
        raise SettingError(msg)
    url, rid = env.get(ping.SETTING), ping.run_id()
    ping.ping(url, "start", rid)
    returncode = subprocess.run(list(command), check=False).returncode
    ping.ping(url, "success" if returncode == 0 else "fail", rid, f"exit status {returncode}")
    return returncode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sync-alerts",
        description="Tell the owner when the scheduled Spotify sync is not doing its job.",
        epilog="Settings (environment variables):\n"
        + "\n".join(f"  {name}: {text}" for name, text in SETTINGS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="list the problems and plan the issue")
    check_parser.add_argument("--apply", action="store_true", help="also write the issue")
    check_parser.add_argument(
        "--github-output", action="store_true", help="write the plan to $GITHUB_OUTPUT"
    )
    check_parser.add_argument("--now", help="the time to check at (ISO 8601; default: now)")
    commands.add_parser("apply", help="carry out the plan in $ALERT_PLAN")
    health_parser = commands.add_parser("health", help="create the health views, print figures")
    health_parser.add_argument(
        "--no-views", dest="views", action="store_false", help="only read (read-only token)"
    )
    ping_parser = commands.add_parser("ping", help="send one dead-man ping")
    ping_parser.add_argument("signal", choices=["start", *OUTCOMES])
    run_parser = commands.add_parser("run", help="ping start, run a command, ping its outcome")
    run_parser.add_argument("command_line", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sync-alerts` console script."""
    args = _parser().parse_args(argv)
    env = os.environ
    try:
        if args.command == "check":
            now = alerts.parse_instant(args.now) if args.now else datetime.now(timezone.utc)
            return check(env, now=now, apply=args.apply, github_output=args.github_output)
        if args.command == "apply":
            return apply_plan(env)
        if args.command == "health":
            return health(env, views=args.views)
        if args.command == "ping":
            signal = "start" if args.signal == "start" else OUTCOMES[args.signal]
            ping.ping(env.get(ping.SETTING), signal, _rid(env))
            return 0
        command = args.command_line[1:] if args.command_line[:1] == ["--"] else args.command_line
        return run_with_pings(env, command)
    except (GitHubError, SettingError) as error:
        _say(f"sync-alerts: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
