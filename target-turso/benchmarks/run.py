"""Benchmark: target-turso (via its CLI, as Meltano runs it) against its baselines.

For N recently-played-shaped records (default 10k and 100k), each loader runs as
a fresh process on the same Singer stream into a fresh database (best of
`--repeat` runs, as the machine is shared), and the script prints rows/s and
ratios measured in this run:

- raw libsql client, multi-row `INSERT ... VALUES (...),(...)` (raw_load.py)
- raw libsql client, `executemany` (one round trip per row over HTTP)
- target-turso, on a local file and on a local sqld over HTTP
- target-duckdb from PyPI, in its own virtualenv (the embedded peer)

Usage (from the repo root):
    .venv/bin/python target-turso/benchmarks/run.py [--sizes 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

import libsql_experimental
from testkit.spotify.listening import history
from testkit.spotify.singer import tap_output
from testkit.sqld import SqldServer

HERE = Path(__file__).resolve().parent

BIN = Path(sys.executable).parent
DUCKDB_VENV = Path.home() / ".cache" / "target-turso-bench" / "venv-duckdb"
STATS = re.compile(r"Wrote (\d+) rows in (\d+) batches with (\d+) statements")


def duckdb_target() -> Path:
    """target-duckdb from PyPI in a virtualenv of its own (as Meltano installs plugins)."""
    executable = DUCKDB_VENV / "bin" / "target-duckdb"
    if not executable.exists():
        uv = str(BIN / "uv")
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, DUCKDB_VENV], check=True)
        python = DUCKDB_VENV / "bin" / "python"
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", python, "target-duckdb"], check=True
        )
    return executable


@contextlib.contextmanager
def database(where: str, run_dir: Path) -> t.Iterator[str]:
    """A fresh database: a file, or a fresh sqld serving over HTTP on loopback."""
    if where == "file":
        yield str(run_dir / "bench.db")
        return
    with SqldServer(run_dir / "sqld") as server:
        yield server.url


def command(loader: str, url: str, run_dir: Path) -> list:
    """The process that loads the stream from stdin into `url`."""
    if loader == "target-turso":
        config = run_dir / "config.json"
        config.write_text(json.dumps({"database_url": url}))
        return [BIN / "target-turso", "--config", config]
    if loader == "target-duckdb":
        config = run_dir / "config.json"
        config.write_text(json.dumps({"filepath": url, "default_target_schema": "main"}))
        return [duckdb_target(), "-c", config]
    mode = "executemany" if "executemany" in loader else "multirow"
    parser = "stdlib" if "stdlib" in loader else "orjson"
    return [sys.executable, HERE / "raw_load.py", mode, url, parser]


def rows_in(loader: str, url: str) -> int:
    sql = 'SELECT count(*) FROM "recently_played"'
    if loader == "target-duckdb":
        check = f"import duckdb; print(duckdb.connect({url!r}).execute({sql!r}).fetchone()[0])"
        out = subprocess.run([DUCKDB_VENV / "bin" / "python", "-c", check], capture_output=True)
        return int(out.stdout)
    return libsql_experimental.connect(url).execute(sql).fetchone()[0]


def timed(
    argv: list, stream: Path, cwd: Path, name: str, env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `argv` with the stream on stdin; (wall seconds, the finished process)."""
    with stream.open() as stdin:
        start = time.perf_counter()
        done = subprocess.run(argv, stdin=stdin, capture_output=True, text=True, cwd=cwd, env=env)
        seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    return seconds, done


def run_once(loader: str, where: str, n: int, stream: Path, work: Path) -> tuple[float, str]:
    """Load the stream once into a fresh database; return (wall seconds, notes)."""
    run_dir = Path(tempfile.mkdtemp(dir=work))
    with database(where, run_dir) as url:
        if loader == "target-duckdb":
            url = str(run_dir / "bench.duckdb")
        seconds, done = timed(command(loader, url, run_dir), stream, run_dir, loader)
        if (rows := rows_in(loader, url)) != n:
            raise SystemExit(f"{loader} on {where} left {rows} rows, expected {n}")
    note = ""
    if match := STATS.search(done.stderr):
        _, batches, statements = (int(x) for x in match.groups())
        note = f"{statements / batches:.0f} round trips per batch of {n // batches:,}"
    return seconds, note


LOADERS = [
    ("file", "raw multi-row"),
    ("file", "raw executemany"),
    ("file", "raw multi-row, stdlib json"),
    ("file", "target-turso"),
    ("file", "target-duckdb"),
    ("http", "raw multi-row"),
    ("http", "raw executemany"),
    ("http", "raw multi-row, stdlib json"),
    ("http", "target-turso"),
]


def report(n: int, stream: Path, results: dict[tuple[str, str], tuple[float, str]]) -> None:
    line_kb = stream.stat().st_size / n / 1024
    print(
        f"\nN = {n:,} plays ({line_kb:.1f} KB per RECORD line); "
        "best of the runs, fresh process each"
    )
    print(f"{'where':6} {'loader':26} {'seconds':>8} {'rows/s':>9}  notes")
    rate = {key: n / seconds for key, (seconds, _) in results.items()}
    for (where, loader), (seconds, note) in results.items():
        print(f"{where:6} {loader:26} {seconds:8.2f} {rate[where, loader]:9,.0f}  {note}")
    for where in ("file", "http"):
        best = max(v for (w, loader), v in rate.items() if w == where and loader.startswith("raw"))
        print(
            f"  {where}: target-turso = {rate[where, 'target-turso'] / best:.2f} "
            "x the raw client's best"
        )
    duck = rate["file", "target-turso"] / rate["file", "target-duckdb"]
    print(f"  file: target-turso = {duck:.2f} x target-duckdb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--executemany-http-max",
        type=int,
        default=10_000,
        help="skip executemany over HTTP above this N (one round trip per row: ~1 min per 100k)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="turso-bench-") as tmp:
        work = Path(tmp)
        for n in args.sizes:
            stream = work / f"plays-{n}.singer"
            stream.write_text("\n".join(tap_output(history(n))) + "\n")
            results = {}
            for where, loader in LOADERS:
                if (where, loader) == ("http", "raw executemany") and n > args.executemany_http_max:
                    continue
                runs = [run_once(loader, where, n, stream, work) for _ in range(args.repeat)]
                results[where, loader] = min(runs)
            report(n, stream, results)


if __name__ == "__main__":
    main()
