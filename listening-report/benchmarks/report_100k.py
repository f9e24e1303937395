"""Benchmark: the report of 100,000 plays, from a local file and from sqld, and in Chromium.

Fills both databases the way users do (Singer messages piped into target-turso), then
times against baselines measured in the same run:
- generation (`listening-report` CLI, views included) vs reading the raw plays table once;
- rendering in headless Chromium vs opening an empty page;
and prints the size of the HTML file.

    .venv/bin/python listening-report/benchmarks/report_100k.py [--plays N] [--screenshot PNG]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))  # reportkit: Chromium as the tests run it
sys.path.insert(0, str(HERE.parents[1] / "tests"))  # the repo's testkit (sqld)

import history  # noqa: E402
import reportkit  # noqa: E402
from target_turso.connection import connect  # noqa: E402
from testkit.sqld import SqldServer  # noqa: E402

BIN = Path(sys.executable).parent
RUNS = 3


def median_seconds(action) -> float:
    """Median wall time of RUNS calls of `action` (the machine is shared: medians, not means)."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load(singer: Path, url: str, workdir: Path) -> float:
    config = workdir / f"target-{abs(hash(url))}.json"
    config.write_text(json.dumps({"database_url": url}))
    start = time.perf_counter()
    with singer.open("rb") as stdin:
        subprocess.run(
            [BIN / "target-turso", "--config", config], stdin=stdin, capture_output=True, check=True
        )
    return time.perf_counter() - start


def read_raw(url: str) -> None:
    connection = connect(url)
    connection.execute('SELECT played_at, track FROM "recently_played"').fetchall()
    connection.close()


def report(url: str, output: Path) -> None:
    subprocess.run(
        [BIN / "listening-report", "--database-url", url, "--output", output,
         "--timezone", "Europe/Berlin"],
        capture_output=True,
        check=True,
    )  # fmt: skip


def chromium(page: Path, profile: Path, *args: str) -> str:
    """Open `page` as the tests do; stop on any console message."""
    run = reportkit.chromium(page, profile, *args)
    if run.console:
        raise SystemExit(f"console messages from {page}: {run.console}")
    return run.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=100_000)
    parser.add_argument("--screenshot", type=Path, help="also save a screenshot of the report")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="report-bench-"))
    singer = workdir / "plays.singer"
    with singer.open("w") as out:
        history.write_singer(args.plays, out)
    rows = []

    with SqldServer(workdir / "sqld") as sqld:
        for name, url in (("local file", str(workdir / "plays.db")), ("sqld (HTTP)", sqld.url)):
            loaded = load(singer, url, workdir)
            raw = median_seconds(lambda url=url: read_raw(url))
            output = workdir / f"report-{len(rows)}.html"
            generated = median_seconds(lambda url=url, output=output: report(url, output))
            rows.append((name, loaded, raw, generated, output))

    page = rows[0][4]
    blank = workdir / "blank.html"
    blank.write_text("<!doctype html><title>blank</title>")
    profile = workdir / "profile"
    empty = median_seconds(lambda: chromium(blank, profile, "--dump-dom"))
    dom = ""

    def render() -> None:
        nonlocal dom
        dom = chromium(page, profile, "--dump-dom")

    rendered = median_seconds(render)
    if 'data-rendered="done"' not in dom:
        raise SystemExit("the report did not finish rendering")
    script_ms = int(re.search(r'data-render-ms="(\d+)"', dom).group(1))
    if args.screenshot:
        chromium(
            page,
            profile,
            f"--screenshot={args.screenshot}",
            "--window-size=1280,2420",
            "--hide-scrollbars",
        )

    print(
        f"{args.plays:,} plays, median of {RUNS} runs, {sys.platform}, {time.strftime('%Y-%m-%d')}"
    )
    print()
    print("| database | load via target-turso | baseline: read raw plays | report (CLI) | ratio |")
    print("|---|---|---|---|---|")
    for name, loaded, raw, generated, _ in rows:
        ratio = generated / raw
        print(f"| {name} | {loaded:.1f} s | {raw:.2f} s | {generated:.2f} s | {ratio:.1f} x |")
    print()
    print("| in headless Chromium | time |")
    print("|---|---|")
    print(f"| baseline: empty page | {empty:.2f} s |")
    print(f"| report (open, render, dump DOM) | {rendered:.2f} s |")
    print(f"| report minus baseline | {rendered - empty:.2f} s |")
    print(f"| the page's own script (parse data, draw) | {script_ms} ms |")
    print()
    print(f"HTML file: {page.stat().st_size / 1024:.0f} KiB ({page.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
