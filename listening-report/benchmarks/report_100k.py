"""Benchmark: the report of 100,000 plays, from a local file and from sqld, and in Chromium;
then of a long history merged from the Spotify data export and the live plays.

Fills the databases the way users do (Singer messages piped into target-turso; the export
imported by tap-spotify-recent with `history_path`), then times against baselines measured
in the same run:
- generation (`listening-report` CLI, views included) vs reading the raw tables once;
- the merged history (export + live plays) vs the same live plays alone;
- rendering in headless Chromium vs opening an empty page;
and prints the size of the HTML files.

    cd listening-report && ../.venv/bin/python -m benchmarks.report_100k [--plays N]
        [--screenshot PNG] [--export-plays N]

(as a module of this folder, so that it imports the tests' helpers, `tests.reportkit`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from target_turso.connection import connect
from testkit.spotify.export import export_entries, write_extended_history
from testkit.spotify.listening import history
from testkit.spotify.singer import tap_output
from testkit.sqld import SqldServer

from tests import reportkit  # Chromium, the database and the export import as the tests do

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


def read_raw(url: str, *tables: str) -> None:
    connection = connect(url)
    for table in tables or ("recently_played",):
        connection.execute(f'SELECT * FROM "{table}"').fetchall()
    connection.close()


def query_view(url: str, sql: str) -> list:
    connection = connect(url)
    try:
        return connection.execute(sql).fetchall()
    finally:
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
    parser.add_argument(
        "--export-plays",
        type=int,
        default=300_000,
        help="plays of the exported history to merge with live plays (0: skip that part)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the databases take hundreds of MB


def run(args: argparse.Namespace, workdir: Path) -> None:
    """Fill the databases under `workdir`, measure, and print the tables."""
    singer = workdir / "plays.singer"
    with singer.open("w") as out:
        out.writelines(line + "\n" for line in tap_output(history(args.plays), gaps=2))
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

    merged = None
    if args.export_plays:
        merged = merged_history(args.export_plays, args.plays, workdir, profile)

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
    if merged:
        print_merged(merged)


LIVE_MISSED = 0.02
"""Share of the live period's plays the live feed missed (outages); the export has them."""


def merged_history(export_plays: int, live_plays: int, workdir: Path, profile: Path) -> dict:
    """Time the report of an export of `export_plays` plays merged with live plays.

    The listener's history starts in 2016. The tap has been recording the last
    `live_plays` plays, missing LIVE_MISSED of them; the export was downloaded a fifth of
    them ago, so the live feed alone has the plays since.
    """
    recent = live_plays // 5
    plays = history(export_plays + recent, start=dt.date(2016, 1, 4))
    rng = random.Random(3)
    live = [play for play in plays[-live_plays:] if rng.random() > LIVE_MISSED]
    entries = write_extended_history(export_entries(plays[:-recent]), workdir / "export")
    singer = workdir / "live.singer"
    with singer.open("w") as out:
        out.writelines(line + "\n" for line in tap_output(live, gaps=2))
    live_only = workdir / "live-only.db"
    load(singer, str(live_only), workdir)
    database = reportkit.Database(str(workdir / "merged.db"))
    shutil.copyfile(live_only, database.url)
    start = time.perf_counter()
    reportkit.import_export(database, workdir / "export", workdir)
    imported = time.perf_counter() - start
    result = {"entries": entries, "live_plays": len(live), "imported": imported}
    for name, url, tables in (
        ("live", str(live_only), ("recently_played",)),
        ("merged", database.url, ("recently_played", "streaming_history")),
    ):
        output = workdir / f"report-{name}.html"
        result[name] = {
            "raw": median_seconds(lambda url=url, tables=tables: read_raw(url, *tables)),
            "report": median_seconds(lambda url=url, output=output: report(url, output)),
            "top_tracks": median_seconds(
                lambda url=url: query_view(url, 'SELECT * FROM "top_tracks" LIMIT 10')
            ),
            "size": output.stat().st_size,
            "rendered": median_seconds(
                lambda output=output: chromium(output, profile, "--dump-dom")
            ),
        }
    result["sources"] = query_view(
        database.url, 'SELECT source, count(*) FROM "plays" GROUP BY source ORDER BY source'
    )
    result["rows"] = query_view(database.url, 'SELECT count(*) FROM "streaming_history"')[0][0]
    return result


def print_merged(merged: dict) -> None:
    live, both = merged["live"], merged["merged"]
    print()
    print(
        f"Merged history: an export of {merged['entries']:,} entries ({merged['rows']:,} rows "
        f"after the tap's key), imported in {merged['imported']:.0f} s, merged with "
        f"{merged['live_plays']:,} live plays (local file):"
    )
    print(", ".join(f"{count:,} plays {source}" for source, count in merged["sources"]))
    print()
    print("| | live plays alone | merged history | ratio |")
    print("|---|---|---|---|")
    for label, key, unit in (
        ("baseline: read the raw tables", "raw", "s"),
        ("report (CLI, views included)", "report", "s"),
        ("query `SELECT * FROM top_tracks LIMIT 10`", "top_tracks", "s"),
        ("render in headless Chromium", "rendered", "s"),
    ):
        ratio = both[key] / live[key]
        print(f"| {label} | {live[key]:.2f} {unit} | {both[key]:.2f} {unit} | {ratio:.1f} x |")
    sizes = (live["size"] / 1024, both["size"] / 1024)
    print(f"| HTML file | {sizes[0]:.0f} KiB | {sizes[1]:.0f} KiB | {sizes[1] / sizes[0]:.1f} x |")


if __name__ == "__main__":
    main()
