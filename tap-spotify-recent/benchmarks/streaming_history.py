"""Benchmark: importing a large export into streaming_history, memory and speed.

Generates one Extended streaming history file of ``--mb`` megabytes (Spotify splits exports into
files of about 12 MB, so one large file is the worst case for memory; a 15-year export is a few
hundred MB in all) and its zip, then measures each scenario in a fresh process, peak RSS from
``getrusage``:

- floor: the tap importing a one-play export (start-up, the SDK, the parser)
- tap: ``tap-spotify-recent`` on the file, as Meltano runs it (stdout to /dev/null)
- tap-zip: the same file inside a zip, as downloaded
- reader: the export reader alone (parse, normalise, key), without the SDK
- json.load: the baseline the tap avoids: ``json.load`` of the file, then the same normalising

and prints seconds, rows/s, peak RSS, and ratios against json.load measured in the same run.

Usage (from the repo root):
    .venv/bin/python tap-spotify-recent/benchmarks/streaming_history.py [--mb 100]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

from testkit.spotify.catalogue import Catalogue
from testkit.spotify.export import FOLDER, export_entries, extended_entry
from testkit.spotify.listening import plays

BIN = Path(sys.executable).parent
FILE_NAME = "Streaming_History_Audio_2010-2025_0.json"
CREDENTIALS = {"client_id": "unused", "client_secret": "unused", "refresh_token": "unused"}

READER = """
import logging, sys
from tap_spotify_recent.export.importer import HistoryImporter
importer = HistoryImporter(sys.argv[1], keep_personal_fields=False, skip_malformed=False,
                           state={}, logger=logging.getLogger("bench"))
print(sum(1 for _ in importer.records()))
"""
JSON_LOAD = """
import json, sys
from pathlib import Path
from tap_spotify_recent.export.entries import to_record
path = next(Path(sys.argv[1]).glob("*.json"))
with path.open("rb") as file:
    entries = json.load(file)
print(sum(1 for e in entries if to_record(e, source_file=path.name, kind_hint=None)))
"""


def generate(folder: Path, megabytes: int) -> int:
    """Write the export file (indented, like Spotify's) and its zip; return its entry count.

    The entries are those of the test kit's listener, from 2010 on, until the file holds
    ``megabytes``.
    """
    rng = random.Random(7)
    catalogue = Catalogue.generate(rng, artists=2000)
    history = plays(catalogue, rng, start=date(2010, 1, 1), days=20 * 365)  # ~600 MB at most
    target = megabytes * 1_000_000
    count = 0
    export = folder / "export"
    export.mkdir()
    with (export / FILE_NAME).open("w", encoding="utf-8") as file:
        file.write("[\n")
        for entry in export_entries(history):
            if file.tell() >= target:
                break
            text = json.dumps(entry, indent=2, ensure_ascii=False)
            file.write(("" if count == 0 else ",\n") + text)
            count += 1
        file.write("\n]\n")
    with zipfile.ZipFile(folder / "my_spotify_data.zip", "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(export / FILE_NAME, f"{FOLDER}/{FILE_NAME}")
    return count


def tap_command(folder: Path, history_path: Path, name: str) -> list[str]:
    """The tap as Meltano runs it: a config and a catalog with only streaming_history."""
    from tap_spotify_recent.tap import TapSpotifyRecent

    config = {**CREDENTIALS, "history_path": str(history_path)}
    catalog = TapSpotifyRecent(config=config).catalog_dict
    for entry in catalog["streams"]:
        stream_level = next(m for m in entry["metadata"] if m["breadcrumb"] == [])
        stream_level["metadata"]["selected"] = entry["tap_stream_id"] == "streaming_history"
    (folder / f"{name}.config.json").write_text(json.dumps(config))
    (folder / f"{name}.catalog.json").write_text(json.dumps(catalog))
    return [
        str(BIN / "tap-spotify-recent"),
        "--config",
        str(folder / f"{name}.config.json"),
        "--catalog",
        str(folder / f"{name}.catalog.json"),
    ]


def measure(command: list[str]) -> dict:
    """Run ``command`` in a fresh process of its own; its time and peak RSS."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps(command)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _measure_child(command: list[str]) -> None:
    """Run one command as this process's only child; print its seconds, peak RSS and output."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = done.stdout.splitlines()
    rows = sum(1 for line in lines if line.startswith(b'{"type":"RECORD"'))
    if not rows and lines:
        rows = int(lines[-1])  # the reader and json.load scripts print their count
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kib / 1024, "rows": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the generated file (MB)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure_child(json.loads(args.measure))
        return

    with tempfile.TemporaryDirectory(prefix="history-bench-") as tmp:
        folder = Path(tmp)
        print(f"Generating a {args.mb} MB Extended streaming history file…", flush=True)
        entries = generate(folder, args.mb)
        size_mb = (folder / "export" / FILE_NAME).stat().st_size / 1e6
        small = folder / "small"
        small.mkdir()
        (small / FILE_NAME).write_text(json.dumps([extended_entry()]))
        python = str(BIN / "python")
        scenarios = {
            "floor (1 play)": tap_command(folder, small, "small"),
            "tap": tap_command(folder, folder / "export", "tap"),
            "tap-zip": tap_command(folder, folder / "my_spotify_data.zip", "zip"),
            "reader": [python, "-c", READER, str(folder / "export")],
            "json.load": [python, "-c", JSON_LOAD, str(folder / "export")],
        }
        print(f"{entries} entries, {size_mb:.0f} MB; each scenario in a fresh process\n")
        results = {}
        for name, command in scenarios.items():
            results[name] = measure(command)
            print(f"  measured {name}", flush=True)
        baseline = results["json.load"]
        print(
            f"\n{'scenario':<16}{'rows':>9}{'seconds':>9}{'rows/s':>9}{'peak RSS':>11}"
            f"{'RSS/json.load':>15}{'time/json.load':>16}"
        )
        for name, result in results.items():
            rate = result["rows"] / result["seconds"]
            print(
                f"{name:<16}{result['rows']:>9}{result['seconds']:>9.2f}{rate:>9.0f}"
                f"{result['peak_mb']:>9.0f}MB{result['peak_mb'] / baseline['peak_mb']:>15.2f}"
                f"{result['seconds'] / baseline['seconds']:>16.2f}"
            )
        tap = results["tap"]
        print(
            f"\nThe tap's peak RSS is {tap['peak_mb'] - results['floor (1 play)']['peak_mb']:.0f} "
            f"MB above its floor for a {size_mb:.0f} MB file; json.load needs "
            f"{baseline['peak_mb']:.0f} MB."
        )


if __name__ == "__main__":
    main()
