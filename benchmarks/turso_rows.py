"""Rows read and written in Turso by one scheduled run, its health check and one report build.

The scheduled run is the main job, `meltano run tap-spotify-recent target-turso
listening-report:refresh`: the refresh keeps the report's own tables current, so a report
build reads those tables, not every play.

Turso bills rows read and rows written (free plan: 500 M reads, 10 M writes a month). sqld,
the server Turso runs, keeps the same accounting: its admin API
(`--admin-listen-addr`, `GET /v1/namespaces/default/stats`) reports `rows_read_count`,
`rows_written_count` and per-statement figures. This script reads them around each step of
the workflow against a real sqld holding a year of heavy listening (18,250 plays), breaks the
scheduled run down by statement (the state backend's lock heartbeat included), and prints the
monthly figure at `*/10` (4,320 runs and health checks, 30 report builds) against the free plan,
for the history's own rate of plays and for the worst case of 20 new plays every run.

    .venv/bin/python benchmarks/turso_rows.py [--plays 18250]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import urllib.request
from collections import Counter
from pathlib import Path

from testkit.meltano import BIN, install_project, meltano_env
from testkit.spotify import SpotifyServer
from testkit.spotify.singer import tap_output
from testkit.sqld import _wait_http, free_port, sqld_binary

RUNS_PER_MONTH = 6 * 24 * 30  # */10
REPORTS_PER_MONTH = 30  # the daily report
FREE_READS, FREE_WRITES = 500_000_000, 10_000_000


class Sqld:
    """sqld with its admin API, for its row accounting."""

    def __init__(self, folder: Path) -> None:
        self.port, self.admin_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [
                str(sqld_binary()),
                "--db-path",
                str(folder / "data.sqld"),
                "--http-listen-addr",
                f"127.0.0.1:{self.port}",
                "--admin-listen-addr",
                f"127.0.0.1:{self.admin_port}",
                "--no-welcome",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_http(self.url, self.process, 20)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.admin_port}/v1/namespaces/default/stats", timeout=10
        ) as response:
            return json.load(response)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def per_statement(stats: dict) -> Counter:
    """(statement, reads, writes, count) totals from the stats' per-query list."""
    totals: Counter = Counter()
    for entry in (stats.get("queries") or {}).get("stats") or []:
        query = " ".join(entry["query"].split())[:90]
        totals[(query, "read")] += entry["rows_read"]
        totals[(query, "written")] += entry["rows_written"]
        totals[(query, "count")] += entry["count"]
    return totals


class Meter:
    """Rows read and written between two calls, in total and by statement."""

    def __init__(self, sqld: Sqld) -> None:
        self.sqld = sqld
        self.before = sqld.stats()

    def take(self) -> tuple[int, int, Counter]:
        after = self.sqld.stats()
        reads = after["rows_read_count"] - self.before["rows_read_count"]
        writes = after["rows_written_count"] - self.before["rows_written_count"]
        by_statement = per_statement(after)
        by_statement.subtract(per_statement(self.before))
        self.before = after
        return reads, writes, by_statement


def seed_history(sqld: Sqld, spotify: SpotifyServer, plays: int, folder: Path) -> None:
    """A year of plays, loaded by target-turso as the sync would have (in one go)."""
    lines = tap_output(spotify.add_plays(plays))
    config = folder / "target.json"
    config.write_text(json.dumps({"database_url": sqld.url}))
    subprocess.run(
        [BIN / "target-turso", "--config", config],
        input="\n".join(lines),
        text=True,
        capture_output=True,
        check=True,
    )


def run(command: list, env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        command, env=meltano_env(env), cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stdout}{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=18_250, help="history size (default 50/day)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="turso-rows-") as temp, SpotifyServer() as spotify:
        folder = Path(temp)
        project = install_project(folder / "project")
        sqld = Sqld(folder)
        try:
            seed_history(sqld, spotify, args.plays, folder)
            env = {
                **{
                    f"TAP_SPOTIFY_RECENT_{k.upper()}": str(v)
                    for k, v in spotify.tap_config().items()
                },
                "TURSO_DATABASE_URL": sqld.url,
                "TURSO_AUTH_TOKEN": "",
                "MELTANO_STATE_BACKEND_URI": f"libsql://127.0.0.1:{sqld.port}?tls=0",
                "MELTANO_DATABASE_URI": f"sqlite:///{folder}/system.db",
            }
            job = [
                BIN / "meltano",
                "--environment=prod",
                "run",
                "tap-spotify-recent",
                "target-turso",
                "listening-report:refresh",
            ]
            check = [BIN / "sync-alerts", "check"]
            check_env = {"LISTENING_REPORT_DATABASE_URL": sqld.url}
            report = [BIN / "listening-report", "--output", str(folder / "report.html")]
            # Warm up: the first run creates sync_runs, the state tables and the report's
            # tables (the refresh builds them from the whole history once), as on day one.
            spotify.add_plays(20)
            run(job, env, project.root)
            meter = Meter(sqld)
            spotify.add_plays(20)
            run(job, env, project.root)
            sync = meter.take()
            run(job, env, project.root)  # no new play: most runs of a 10-minute schedule
            idle = meter.take()
            run(check, check_env, project.root)
            health = meter.take()
            run(report, check_env, project.root)
            build = meter.take()
        finally:
            sqld.stop()
    print(f"History: {args.plays:,} plays in recently_played; each figure from sqld's stats\n")
    print(f"{'step':<44}{'rows read':>12}{'rows written':>14}")
    for name, (reads, writes, _) in (
        ("scheduled run (20 new plays, with refresh)", sync),
        ("scheduled run (no new play)", idle),
        ("health check (sync-alerts check)", health),
        ("report build (views + HTML)", build),
    ):
        print(f"{name:<44}{reads:>12,}{writes:>14,}")
    print("\nThe scheduled run by statement (rows read / written / statements):")
    statements = sync[2]
    queries = sorted({query for query, _ in statements}, key=lambda q: -statements[(q, "read")])
    for query in queries:
        counts = [statements[(query, kind)] for kind in ("read", "written", "count")]
        if any(counts):
            print(f"  {counts[0]:>6} {counts[1]:>6} {counts[2]:>4}  {query}")
    lock_reads = sum(statements[(q, "read")] for q in queries if "meltano_state_lock" in q)
    lock_writes = sum(statements[(q, "written")] for q in queries if "meltano_state_lock" in q)
    print(
        f"State lock (claims, heartbeats, release): {lock_reads} read "
        f"({lock_reads / max(sync[0], 1):.0%}), {lock_writes} written "
        f"({lock_writes / max(sync[1], 1):.0%}) of the run"
    )
    # A month at */10: every run pays the idle cost; the plays of the month (the history's
    # own rate, 50 a day by default) add what a play costs (the 20-play run's extra / 20).
    plays_per_month = args.plays / 365 * 30
    for label, reads_per_run, writes_per_run in (
        (
            f"{plays_per_month:,.0f} plays a month",
            idle[0] + (sync[0] - idle[0]) * plays_per_month / 20 / RUNS_PER_MONTH,
            idle[1] + (sync[1] - idle[1]) * plays_per_month / 20 / RUNS_PER_MONTH,
        ),
        ("worst case: every run has 20 new plays", sync[0], sync[1]),
    ):
        month_reads = round(
            (reads_per_run + health[0]) * RUNS_PER_MONTH + build[0] * REPORTS_PER_MONTH
        )
        month_writes = round(
            (writes_per_run + health[1]) * RUNS_PER_MONTH + build[1] * REPORTS_PER_MONTH
        )
        print(
            f"\nA month at */10 ({RUNS_PER_MONTH:,} runs and checks, {REPORTS_PER_MONTH} reports),"
            f" {label}: {month_reads:,} rows read ({month_reads / FREE_READS:.1%} of the free"
            f" 500 M), {month_writes:,} rows written ({month_writes / FREE_WRITES:.1%} of the"
            " free 10 M)"
        )


if __name__ == "__main__":
    main()
