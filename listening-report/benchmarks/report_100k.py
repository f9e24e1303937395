"""Benchmark: the report of 100,000 plays, from a local file and from sqld, and in Chromium;
then of a long history merged from the Spotify data export and the live plays.

Fills the databases the way users do (Singer messages piped into target-turso; the export
imported by tap-spotify-recent with `history_path`), then times against baselines measured
in the same run:
- generation (`listening-report` CLI, views included) vs reading the raw tables once;
- the merged history (export + live plays) vs the same live plays alone;
- rendering in headless Chromium vs opening an empty page;
- the report with its year pages vs the report alone (the cost of a year page);
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

from libsql_access.connection import connect
from listening_report import html
from listening_report.health import read_health
from listening_report.refresh import Refresh
from listening_report.source_tables import PLAYS_COLUMNS, read_sources
from listening_report.views import VIEW_NAMES, Views
from tap_spotify_recent.sync_runs import SYNC_RUN
from testkit.spotify.catalogue import format_played_at
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


def report(url: str, output: Path, *args: str) -> None:
    """The report alone (the year pages are measured apart: `year_pages`)."""
    run_cli(
        "--database-url", url, "--output", str(output), "--timezone", "Europe/Berlin",
        "--no-years", *args,
    )  # fmt: skip


def year_pages(url: str, workdir: Path) -> dict:
    """Time the report with its year pages against the report alone (the baseline), same run.

    The difference, per page, is what a year page costs: its statement (a year's plays read
    through the report's tables), and the page written.
    """
    output = workdir / "years" / "report.html"
    alone = median_seconds(lambda: report(url, output))
    both = median_seconds(lambda: report(url, output, "--years"))
    pages = len(html.read_data(output.read_text())["years"])
    return {"alone": alone, "with": both, "pages": pages, "per page": (both - alone) / pages}


def year_cell(figure: dict) -> str:
    return (
        f"{figure['alone']:.2f} s / {figure['with']:.2f} s: "
        f"**{figure['per page']:.2f} s per page** ({figure['pages']} pages)"
    )


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
            run_cli("refresh", "--database-url", url)  # the report's tables, once
            raw = median_seconds(lambda url=url: read_raw(url))
            output = workdir / f"report-{len(rows)}.html"
            generated = median_seconds(lambda url=url, output=output: report(url, output))
            rows.append((name, loaded, raw, generated, output, year_pages(url, workdir)))

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
    if args.screenshot:  # as a listener with genres and a year of recorded runs sees it
        url = str(workdir / "plays.db")
        load(genre_records(reportkit.Database(url), workdir), url, workdir)
        now = format_played_at(dt.datetime.now(dt.timezone.utc))
        load(sync_runs_file(now, workdir), url, workdir)
        shown = workdir / "screenshot.html"
        report(url, shown)
        chromium(
            shown,
            profile,
            f"--screenshot={args.screenshot}",
            "--window-size=1280,3700",
            "--hide-scrollbars",
        )

    merged = None
    if args.export_plays:
        merged = merged_history(args.export_plays, args.plays, workdir)

    print(
        f"{args.plays:,} plays, median of {RUNS} runs, {sys.platform}, {time.strftime('%Y-%m-%d')}"
    )
    print()
    print(
        "| database | load via target-turso | baseline: read raw plays | report (CLI) | ratio "
        "| report alone / with its year pages |"
    )
    print("|---|---|---|---|---|---|")
    for name, loaded, raw, generated, _, years in rows:
        ratio = generated / raw
        print(
            f"| {name} | {loaded:.1f} s | {raw:.2f} s | {generated:.2f} s | {ratio:.1f} x "
            f"| {year_cell(years)} |"
        )
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
SYNCS = 3
SYNC_PLAYS = 20
BASELINE_VIEWS = ("top_tracks", "plays")
"""Views timed by their reference SQL too (each query merges every play: minutes in all)."""


def run_cli(*args: str) -> None:
    result = subprocess.run([BIN / "listening-report", *args], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"listening-report {' '.join(args)} failed: {result.stderr}")


def sync_files(live: list[dict], workdir: Path) -> list[Path]:
    """SYNCS Singer files of SYNC_PLAYS new plays each, after the last live play, of tracks
    heard lately (as a scheduled sync brings them)."""
    rng = random.Random(5)
    moment = dt.datetime.fromisoformat(live[-1]["played_at"].replace("Z", "+00:00"))
    files = []
    for n in range(SYNCS):
        plays = []
        for _ in range(SYNC_PLAYS):
            moment += dt.timedelta(seconds=rng.randint(150, 300), milliseconds=rng.randint(1, 999))
            track = rng.choice(live[-2000:])["track"]
            plays.append({"played_at": format_played_at(moment), "track": track})
        files.append(workdir / f"sync-{n}.singer")
        with files[-1].open("w") as out:
            out.writelines(line + "\n" for line in tap_output(plays, gaps=2))
    return files


RUN_DAYS = 365


def sync_runs_file(until: str, workdir: Path) -> Path:
    """A year of scheduled runs up to the instant `until`, as the tap records them
    (`sync_runs`): every 10 minutes, and one pause in 20 of 1 to 6 hours (GitHub's delays)."""
    rng = random.Random(7)
    end = dt.datetime.fromisoformat(until.replace("Z", "+00:00"))
    moment = end - dt.timedelta(days=RUN_DAYS)
    path = workdir / "sync-runs.singer"
    with path.open("w") as out:
        schema = {"type": "SCHEMA", "stream": "sync_runs", "schema": SYNC_RUN}
        out.write(json.dumps({**schema, "key_properties": ["run_id"]}) + "\n")
        while moment < end:
            started = format_played_at(moment)
            record = {
                "run_id": f"{started}-{rng.getrandbits(32):08x}",
                "started_at": started,
                "finished_at": format_played_at(moment + dt.timedelta(seconds=25)),
                "trigger": "schedule",
                "tap_version": "0.1.0",
                "gap_detected": False,
                "plays_emitted": rng.randint(0, 5),
                "api_requests": 1,
                "refresh_token_expires_on": (end + dt.timedelta(days=90)).date().isoformat(),
            }
            out.write(
                json.dumps({"type": "RECORD", "stream": "sync_runs", "record": record}) + "\n"
            )
            pause = rng.randint(60, 360) if rng.random() < 0.05 else 10
            moment += dt.timedelta(minutes=pause)
    return path


class Counted:
    """Wall time and, on sqld, the rows it read and wrote (its admin API's accounting)."""

    def __init__(self, sqld: SqldServer | None) -> None:
        self.sqld = sqld

    def __call__(self, action) -> dict:
        before = self.sqld.rows_counted() if self.sqld else None
        start = time.perf_counter()
        action()
        result = {"seconds": time.perf_counter() - start}
        if before:
            after = self.sqld.rows_counted()
            result["read"], result["written"] = (a - b for a, b in zip(after, before, strict=True))
        return result


def database_size(database: reportkit.Database) -> int:
    """The database's size in bytes (its pages)."""
    return database.query(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
    )[0][0]


def trigger_cost(url: str, singer: Path, workdir: Path) -> tuple[float, float]:
    """Seconds to load every live play again (unchanged: the target upserts, nothing is
    logged) with the report's triggers and without them, on a copy of the database."""
    bare = workdir / "no-triggers.db"
    reportkit.Database(url).query("VACUUM INTO ?", (str(bare),))
    database = reportkit.Database(str(bare))
    for (name,) in database.query(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'report_capture_%'"
    ):
        database.query(f'DROP TRIGGER "{name}"')
    times = (load(singer, url, workdir), load(singer, str(bare), workdir))
    bare.unlink()
    return times


def refresh_in_process(database: reportkit.Database) -> None:
    database.run(lambda c: Refresh(read_sources(c)).run(c))


def merged_history(export_plays: int, live_plays: int, workdir: Path) -> dict:
    """Measure a long history merged from an export and the live plays, on a file and on
    sqld, with today's views (the reference SQL, every query merging every play) as the
    baseline in the same run.

    The listener's history starts in 2015 (so that it ends before today: the tap refuses
    plays dated in the future). The tap has been recording the last
    `live_plays` plays, missing LIVE_MISSED of them; the export was downloaded a fifth of
    them ago, so the live feed alone has the plays since. A newer export, downloaded a
    tenth of them ago, overlaps the first.
    """
    recent = live_plays // 5
    plays = history(export_plays + recent, start=dt.date(2015, 1, 5))
    rng = random.Random(3)
    live = [play for play in plays[-live_plays:] if rng.random() > LIVE_MISSED]
    entries = write_extended_history(export_entries(plays[:-recent]), workdir / "export")
    write_extended_history(export_entries(plays[: -recent // 2]), workdir / "newer-export")
    singer = workdir / "live.singer"
    with singer.open("w") as out:
        out.writelines(line + "\n" for line in tap_output(live, gaps=2))
    syncs = sync_files(live, workdir)
    runs = sync_runs_file(live[-1]["played_at"], workdir)
    result = {"entries": entries, "live_plays": len(live)}
    with SqldServer(workdir / "sqld-merged", admin=True) as sqld:
        for name, url, server in (
            ("local file", str(workdir / "merged.db"), None),
            ("sqld (HTTP)", sqld.url, sqld),
        ):
            result[name] = measure_merged(url, server, singer, syncs, runs, workdir)
    return result


def measure_merged(url, sqld, singer, syncs, runs, workdir) -> dict:
    """Load, then measure the baseline, the first refresh, the views, the report, syncs."""
    counted = Counted(sqld)
    database = reportkit.Database(url)
    figures = {"load": load(singer, url, workdir)}
    start = time.perf_counter()
    reportkit.import_export(database, workdir / "export", workdir)
    figures["import"] = time.perf_counter() - start
    figures["rows"] = database.query('SELECT count(*) FROM "streaming_history"')[0][0]

    # Baseline: the views as they were (reference SQL over the target's tables).
    plain = database.run(lambda c: Views(read_sources(c), "baseline_"))
    for name, body in plain.reference_definitions():
        database.query(f"CREATE VIEW {name} AS {body}")
    for view in BASELINE_VIEWS:
        sql = f'SELECT * FROM "baseline_{view}" LIMIT 10'
        figures[f"baseline {view}"] = median_seconds(lambda sql=sql: database.query(sql))
    baseline_page = workdir / "baseline.html"
    figures["baseline report"] = median_seconds(lambda: report(url, baseline_page, "--no-views"))
    figures["baseline report rows"] = counted(lambda: report(url, baseline_page, "--no-views"))

    # The report's tables.
    size = database_size(database)
    figures["rebuild"] = counted(lambda: refresh_in_process(database))
    figures["size"] = (size, database_size(database))
    figures["views"] = {
        view: median_seconds(lambda view=view: database.query(f'SELECT * FROM "{view}" LIMIT 10'))
        for view in VIEW_NAMES
    }
    figures["plays whole"] = median_seconds(lambda: database.query('SELECT * FROM "plays"'))
    # Every row and column of `plays` read in the database, without sending them.
    every_value = "SELECT sum(" + " + ".join(f"length({c})" for c in PLAYS_COLUMNS) + ") FROM plays"
    figures["plays read"] = median_seconds(lambda: database.query(every_value))
    page = workdir / "tables.html"
    figures["report"] = median_seconds(lambda: report(url, page))
    figures["report rows"] = counted(lambda: report(url, page))
    baseline_data, data = (html.read_data(path.read_text()) for path in (baseline_page, page))
    for data_of in (baseline_data, data):
        data_of.pop("generated_at")
    figures["identical"] = baseline_data == data
    figures["years"] = year_pages(url, workdir)
    figures["page"] = page.stat().st_size
    figures.update(measure_genres(database, counted, url, workdir))

    # The Sync health section: a year of runs recorded, then the report again (the report
    # above, without runs, is its baseline). The busiest 50 plays come from the report's
    # table; the baseline merges every play for them (as without the tables).
    load(runs, url, workdir)
    figures["runs"] = database.query('SELECT count(*) FROM "sync_runs"')[0][0]
    figures["report with runs"] = median_seconds(lambda: report(url, page))
    figures["report with runs rows"] = counted(lambda: report(url, page))
    for how, stored in (("merged", False), ("stored", True)):
        figures[f"busiest {how}"] = counted(
            lambda stored=stored: database.run(lambda c: read_health(c, stored=stored))
        )
    figures["health"] = html.read_data(page.read_text())["health"]

    # Scheduled syncs of 20 new plays, each followed by a refresh.
    figures["syncs"] = []
    for sync in syncs:
        loaded = load(sync, url, workdir)
        changes = database.query('SELECT count(*) FROM "report_changes"')[0][0]
        figures["syncs"].append(
            {"load": loaded, "changes": changes, **counted(lambda: refresh_in_process(database))}
        )
    figures["idle"] = counted(lambda: refresh_in_process(database))  # nothing changed
    if sqld is None:  # the change-capture triggers' cost on the target's writes
        figures["triggers"] = trigger_cost(url, singer, workdir)
    # A newer export overlapping the first: imported, then caught up in one refresh.
    start = time.perf_counter()
    reportkit.import_export(database, workdir / "newer-export", workdir)
    figures["newer import"] = time.perf_counter() - start
    figures["newer changes"] = database.query('SELECT count(*) FROM "report_changes"')[0][0]
    figures["catch up"] = counted(lambda: refresh_in_process(database))
    figures["sources"] = database.query(
        'SELECT source, count(*) FROM "plays" GROUP BY source ORDER BY source'
    )
    return figures


GENRES = 400
"""Genres the benchmark's artists draw from, by a Zipf law (MusicBrainz lists ~2,000)."""
GENRE_NAMES = (
    "indie rock", "pop", "electronic", "ambient", "dream pop", "post-rock", "jazz",
    "hip hop", "folk", "synth-pop", "techno", "soul", "house", "shoegaze", "classical",
)  # fmt: skip
"""The most common genres' names; the others are `genre <n>`."""


def genre_name(rank: int) -> str:
    return GENRE_NAMES[rank] if rank < len(GENRE_NAMES) else f"genre {rank}"


def genre_records(database: reportkit.Database, workdir: Path) -> Path:
    """A Singer file of artist_genres records, as the tap writes them, for the artists of
    the plays: 1 to 4 genres each; 5 % matched without genres, 10 % without a match, 10 %
    not looked up yet (no record)."""
    rng = random.Random(11)
    weights = [1 / (rank + 1) for rank in range(GENRES)]
    schema = (reportkit.DATA_FILES / "known_genres.singer").read_text().splitlines()[0]
    singer = workdir / "genres.singer"
    with singer.open("w") as out:
        out.write(schema + "\n")
        artists = database.query("SELECT DISTINCT artist_key, artist_name FROM play_artists")
        for key, name in artists:
            draw = rng.random()
            if draw < 0.1:
                continue
            genres = set() if draw < 0.25 else set(rng.choices(range(GENRES), weights, k=4))
            genres = set(list(genres)[: rng.randint(1, 4)])
            record = {
                "artist_key": key,
                "spotify_artist_id": key.rsplit(":", 1)[1] if key.startswith("spotify:") else None,
                "artist_name": name,
                "musicbrainz_id": None if draw < 0.2 else "a0000000-0000-4000-8000-000000000001",
                "musicbrainz_name": None if draw < 0.2 else name,
                "matched_by": None if draw < 0.2 else "spotify_url",
                "unmatched_reason": "no_link" if draw < 0.2 else None,
                "genres": [{"name": genre_name(g), "count": 1, "id": None} for g in genres],
                "tags": [],
                "looked_up_at": "2026-01-01T00:00:00.000Z",
            }
            message = {"type": "RECORD", "stream": "artist_genres", "record": record}
            out.write(json.dumps(message) + "\n")
    return singer


def measure_genres(database: reportkit.Database, counted, url: str, workdir: Path) -> dict:
    """The report with the artists' genres, against the same report without them (just
    measured) and against its figures computed by one merge of every play."""
    figures = {"genre load": load(genre_records(database, workdir), url, workdir)}
    figures["genre records"] = database.query('SELECT count(*) FROM "artist_genres"')[0][0]
    figures["artist sets"] = database.query('SELECT count(*) FROM "report_artist_sets"')[0][0]
    page, merged = workdir / "genres.html", workdir / "genres-merged.html"
    figures["report genres"] = median_seconds(lambda: report(url, page))
    figures["report genres rows"] = counted(lambda: report(url, page))
    report(url, merged, "--no-views")
    data, reference = (html.read_data(path.read_text())["genres"] for path in (page, merged))
    figures["genres identical"] = data == reference
    figures["genres"] = data["genres"]
    figures["genre page"] = page.stat().st_size
    return figures


def _rows(figure: dict) -> str:
    """The rows sqld counted for a measure, if any."""
    if "read" not in figure:
        return ""
    return f", {figure['read']:,} rows read, {figure['written']:,} written"


def merged_cells(f: dict) -> dict[str, str]:
    """The figures of one database, by line of the table."""
    others = {view: s for view, s in f["views"].items() if view not in BASELINE_VIEWS}
    slowest = max(others, key=others.get)
    sync = sorted(f["syncs"], key=lambda s: s["seconds"])[SYNCS // 2]
    reads = (f["baseline report rows"], f["report rows"])
    cells = {"load live plays / import the export": f"{f['load']:.1f} s / {f['import']:.0f} s"}
    for view in BASELINE_VIEWS:
        cells[f"`SELECT * FROM {view} LIMIT 10`: baseline (today's views) / tables"] = (
            f"{f[f'baseline {view}'] * 1000:.0f} ms / {f['views'][view] * 1000:.1f} ms"
        )
    return {
        **cells,
        "slowest other view, `LIMIT 10`": f"{others[slowest] * 1000:.1f} ms ({slowest})",
        "`SELECT * FROM plays`: every row fetched / every value read in the database": (
            f"{f['plays whole']:.2f} s / {f['plays read']:.2f} s"
        ),
        "report (CLI): baseline / tables": f"{f['baseline report']:.2f} s / {f['report']:.2f} s",
        "rows read per report: baseline / tables": (
            f"{reads[0]['read']:,} / {reads[1]['read']:,}" if "read" in reads[1] else "-"
        ),
        "report figures identical to the baseline's": "yes" if f["identical"] else "NO",
        "report alone / with its year pages (CLI)": year_cell(f["years"]),
        "with genres (records / genres / rows of report_artist_sets)": (
            f"{f['genre records']:,} / {f['genres']:,} / {f['artist sets']:,}"
        ),
        "report (CLI): with genres / without": (
            f"{f['report genres']:.2f} s / {f['report']:.2f} s"
        ),
        "rows read per report: with genres / without": (
            f"{f['report genres rows']['read']:,} / {f['report rows']['read']:,}"
            if "read" in f["report rows"]
            else "-"
        ),
        "genre figures identical to one merge of every play": (
            "yes" if f["genres identical"] else "NO"
        ),
        "HTML file with genres": f"{f['genre page'] / 1024:.0f} KiB",
        f"report with {f['runs']:,} runs in sync_runs (Sync health section)": (
            f"{f['report with runs']:.2f} s{_rows(f['report with runs rows'])}"
        ),
        "sync health figures: busiest 50 plays merging every play / from the report's table": (
            f"{f['busiest merged']['seconds']:.2f} s / {f['busiest stored']['seconds']:.2f} s"
            + (
                f" ({f['busiest merged']['read']:,} / {f['busiest stored']['read']:,} rows read)"
                if "read" in f["busiest stored"]
                else ""
            )
        ),
        "busiest 50 plays / longest pause between runs": (
            f"{f['health']['busiest']['seconds']:,.0f} s / "
            f"{f['health']['runs']['longest_pause']['seconds']:,.0f} s"
        ),
        "HTML file": f"{f['page'] / 1024:.0f} KiB",
        "database size: before / after the first refresh": (
            f"{f['size'][0] / 2**20:.0f} MiB / {f['size'][1] / 2**20:.0f} MiB"
        ),
        "first refresh (rebuild)": f"{f['rebuild']['seconds']:.1f} s{_rows(f['rebuild'])}",
        f"refresh after a sync of {SYNC_PLAYS} plays (median of {SYNCS})": (
            f"{sync['seconds'] * 1000:.0f} ms{_rows(sync)}"
        ),
        "refresh with nothing to do": f"{f['idle']['seconds'] * 1000:.0f} ms{_rows(f['idle'])}",
        "load every live play again, unchanged: with triggers / without": (
            "{:.1f} s / {:.1f} s".format(*f["triggers"]) if "triggers" in f else "-"
        ),
        "newer export: import / rows changed / catch-up refresh": (
            f"{f['newer import']:.0f} s / {f['newer changes']:,} / "
            f"{f['catch up']['seconds']:.1f} s{_rows(f['catch up'])}"
        ),
    }


def print_merged(merged: dict) -> None:
    local, remote = (merged_cells(merged[name]) for name in ("local file", "sqld (HTTP)"))
    print()
    print(
        f"Merged history: an export of {merged['entries']:,} entries "
        f"({merged['local file']['rows']:,} rows after the tap's key) merged with "
        f"{merged['live_plays']:,} live plays: "
        + ", ".join(f"{n:,} plays {source}" for source, n in merged["local file"]["sources"])
    )
    print()
    print("| | local file | sqld (HTTP) |")
    print("|---|---|---|")
    for label, cell in local.items():
        print(f"| {label} | {cell} | {remote[label]} |")


if __name__ == "__main__":
    main()
