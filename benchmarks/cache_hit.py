"""Wall time of the sync job on a cache hit: the workflow's own steps, from a fresh directory.

Private repositories pay each job rounded up to a whole minute, so a run must stay under 60 s.
This reproduces `.github/workflows/sync.yml`'s sync job locally:

1. a fresh directory with the repository's files (what `actions/checkout` leaves);
2. once, a cache miss: `make setup` and a first sync, then the cache saved as a tar of the
   paths the workflow's `actions/cache` step lists (read from sync.yml);
3. then, `--iterations` times: the directory wiped and checked out again, the cache restored
   at the same path (a virtualenv only works where it was built, as on the runner), and every
   `run:` step of the sync job executed as written, with its `env:` and `if:` resolved as
   GitHub would on a scheduled run with a cache hit (secrets pointing at a local sqld, the
   Spotify contract server, the GitHub contract server and a ping server).

It prints each step's median time, the job's total, and the cache miss as the baseline.

    .venv/bin/python benchmarks/cache_hit.py [--iterations 5]
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from testkit.github import GitHubServer
from testkit.healthchecks import PingServer
from testkit.meltano import meltano_env
from testkit.spotify import SpotifyServer
from testkit.sqld import SqldServer

ROOT = Path(__file__).resolve().parents[1]

WORKFLOW = ROOT / ".github" / "workflows" / "sync.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def checkout(destination: Path) -> None:
    """The repository's tracked files, as actions/checkout leaves them."""
    if destination.exists():
        shutil.rmtree(destination)
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


class Job:
    """The sync job of sync.yml, with the values GitHub would put in its expressions."""

    def __init__(self, values: dict[str, str]) -> None:
        self.spec = yaml.safe_load(WORKFLOW.read_text())["jobs"]["sync"]
        self.values = values

    def cache_paths(self) -> list[str]:
        step = next(s for s in self.spec["steps"] if s.get("id") == "plugins")
        return step["with"]["path"].split()

    def resolve(self, text: str) -> str:
        def value(match: re.Match) -> str:
            if match.group(1) not in self.values:
                msg = f"benchmark does not know the value of ${{{{ {match.group(1)} }}}}"
                raise SystemExit(msg)
            return self.values[match.group(1)]

        return EXPRESSION.sub(value, str(text))

    def steps(self) -> list[tuple[str, str, dict[str, str]]]:
        """(name, shell command, env) of each run step this run executes."""
        runs = []
        for step in self.spec["steps"]:
            if "run" not in step:
                continue
            condition = step.get("if")
            if (
                condition
                and self.resolve(condition if "${{" in condition else f"${{{{ {condition} }}}}")
                != "true"
            ):
                continue
            env = {key: self.resolve(value) for key, value in (step.get("env") or {}).items()}
            runs.append((step.get("name", step["run"]), self.resolve(step["run"]), env))
        return runs


def timed(command: str, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        env=meltano_env(env),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"step failed: {command}\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="cache-hit-") as temp,
        SpotifyServer() as spotify,
        GitHubServer() as github,
        PingServer() as pings,
        SqldServer(Path(temp) / "sqld") as sqld,
    ):
        folder = Path(temp)
        workspace = folder / "work" / "spotify-sync"  # the runner's fixed checkout path
        output = folder / "github_output"
        tap = spotify.tap_config()
        values = {
            "secrets.SPOTIFY_CLIENT_ID": tap["client_id"],
            "secrets.SPOTIFY_CLIENT_SECRET": tap["client_secret"],
            "secrets.SPOTIFY_REFRESH_TOKEN": tap["refresh_token"],
            "vars.SPOTIFY_REFRESH_TOKEN_OBTAINED_AT": "",
            "secrets.TURSO_DATABASE_URL": sqld.url,
            "secrets.TURSO_AUTH_TOKEN": "",
            "secrets.SYNC_PING_URL": pings.add_check(),
            "github.token": github.issue_token("read"),
            "vars.SYNC_ALERTS_FAILING_HOURS": "",
            "vars.SYNC_ALERTS_TOKEN_DAYS": "",
            "inputs.trigger || github.event_name": "schedule",
            "steps.sync.outcome": "success",
            "steps.plugins.outputs.cache-hit != 'true'": "false",
            "!cancelled()": "true",
        }
        job = Job(values)
        base_env = {
            "TAP_SPOTIFY_RECENT_API_URL": spotify.api_url,
            "TAP_SPOTIFY_RECENT_TOKEN_URL": spotify.token_url,
            **github.env(None),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_RUN_ID": "1",
            "GITHUB_RUN_ATTEMPT": "1",
            "UV_COMPILE_BYTECODE": "1",
        }
        state_uri = f"libsql://127.0.0.1:{sqld.port}?tls=0"

        def with_state(env: dict[str, str]) -> dict[str, str]:
            # The workflow gives the state backend the Turso URL; a plain-HTTP sqld is
            # spelled libsql://HOST:PORT?tls=0 there.
            if "MELTANO_STATE_BACKEND_URI" in env:
                env = {**env, "MELTANO_STATE_BACKEND_URI": state_uri}
            return {**base_env, **env}

        # The cache miss: set up, sync once (Meltano caches the catalog), save the cache.
        checkout(workspace)
        spotify.add_plays(20)
        miss_values = {**values, "steps.plugins.outputs.cache-hit != 'true'": "true"}
        miss = {}
        for name, command, env in Job(miss_values).steps():
            miss[name] = timed(command, workspace, with_state(env))
        # As actions/cache does it: GNU tar through zstd.
        cache = folder / "cache.tzst"
        paths = [path for path in job.cache_paths() if (workspace / path).exists()]
        subprocess.run(
            ["tar", "--use-compress-program", "zstd -T0", "-cf", cache, *paths],
            cwd=workspace,
            check=True,
        )
        size = cache.stat().st_size

        rows: dict[str, list[float]] = {"restore the cache (tar + zstd, as actions/cache)": []}
        for _ in range(args.iterations):
            checkout(workspace)
            output.write_text("")
            spotify.add_plays(20)
            start = time.perf_counter()
            subprocess.run(
                ["tar", "--use-compress-program", "unzstd", "-xf", cache], cwd=workspace, check=True
            )
            rows["restore the cache (tar + zstd, as actions/cache)"].append(
                time.perf_counter() - start
            )
            for name, command, env in job.steps():
                rows.setdefault(name, []).append(timed(command, workspace, with_state(env)))

    medians = {name: statistics.median(times) for name, times in rows.items()}
    total, miss_total = sum(medians.values()), sum(miss.values())
    print(f"sync job of {WORKFLOW.name}, median of {args.iterations} cache hits")
    print(f"(cache: {size / 2**20:.0f} MiB with zstd; python {sys.version.split()[0]})\n")
    for name, seconds in medians.items():
        print(f"  {seconds:6.2f} s  {name}")
    print(f"  {total:6.2f} s  total of the steps (billed: {math.ceil(total / 60)} minute)")
    print(
        f"\nbaseline, the cache miss (make setup + first sync; uv's own cache on this machine "
        f"makes it faster than on a fresh runner): {miss_total:.1f} s; "
        f"a cache hit takes {total / miss_total:.2f}x that"
    )
    print(
        "Not measured here: the runner's own start, checkout, setup-python and the cache "
        "download; they are what is left of the minute."
    )


if __name__ == "__main__":
    main()
