"""Benchmark: the year-in-review pages of a history of more than ten years, on a local file
and on sqld, against the report alone in the same run.

The test kit's listener plays PLAYS tracks from START (about 28,000 plays a year, so the
history reaches into the current year, which gets its "so far" page and the comparison with
the same dates of the year before). The plays go through target-turso as live plays (the
year pages read the report's tables, whatever the plays' source), the report's tables are
built once, then the report is timed alone (`--no-years`) and with its year pages; the
difference per page is what a year page costs.

    cd listening-report && ../.venv/bin/python -m benchmarks.year_pages [--plays N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report_100k import RUNS, load, run_cli, year_cell, year_pages
from testkit.spotify.listening import history
from testkit.spotify.singer import tap_output
from testkit.sqld import SqldServer

START = dt.date(2015, 6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=320_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="year-bench-"))
    try:
        singer = workdir / "plays.singer"
        with singer.open("w") as out:
            out.writelines(line + "\n" for line in tap_output(history(args.plays, start=START)))
        rows = []
        with SqldServer(workdir / "sqld") as sqld:
            for name, url in (("local file", str(workdir / "plays.db")), ("sqld (HTTP)", sqld.url)):
                loaded = load(singer, url, workdir)
                start = time.perf_counter()
                run_cli("refresh", "--database-url", url)
                rows.append((name, loaded, time.perf_counter() - start, year_pages(url, workdir)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"{args.plays:,} plays from {START}, median of {RUNS} runs, {sys.platform}, "
        f"{time.strftime('%Y-%m-%d')}, report in Europe/Berlin"
    )
    print()
    print("| database | load / first refresh | report alone / with its year pages |")
    print("|---|---|---|")
    for name, loaded, refreshed, years in rows:
        print(f"| {name} | {loaded:.1f} s / {refreshed:.1f} s | {year_cell(years)} |")


if __name__ == "__main__":
    main()
