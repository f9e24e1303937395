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
from datetime import datetime, timedelta, timezone
from pathlib import Path

BIN = Path(sys.executable).parent
FILE_NAME = "Streaming_History_Audio_2010-2025_0.json"
CREDENTIALS = {"client_id": "unused", "client_secret": "unused", "refresh_token": "unused"}

READER = """
import logging, sys
from tap_spotify_recent.importer import HistoryImporter
importer = HistoryImporter(sys.argv[1], keep_personal_fields=False, skip_malformed=False,
                           state={}, logger=logging.getLogger("bench"))
print(sum(1 for _ in importer.records()))
"""
JSON_LOAD = """
import json, sys
from pathlib import Path
from tap_spotify_recent.history import to_record
path = next(Path(sys.argv[1]).glob("*.json"))
with path.open("rb") as file:
    entries = json.load(file)
print(sum(1 for e in entries if to_record(e, source_file=path.name, kind_hint=None)))
"""


def _name(rng: random.Random) -> str:
    words = ("Blue", "Night", "Ünïcode", "River", "東京", "Song", "Lights", "Æther", "Run", "Home")
    return " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))


def _entry(rng: random.Random, ended: datetime) -> dict:
    """An Extended streaming history entry shaped like Spotify's (track, or now and then an
    episode)."""
    episode = rng.random() < 0.05
    uri = "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for _ in range(22)
    )
    return {
        "ts": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": rng.choice(["ios", "android", "windows", "iOS 13.4 (iPhone11,8)"]),
        "ms_played": rng.randint(0, 400_000),
        "conn_country": rng.choice(["SE", "DE", "JP"]),
        "ip_addr": f"203.0.113.{rng.randint(1, 254)}",
        "master_metadata_track_name": None if episode else _name(rng),
        "master_metadata_album_artist_name": None if episode else _name(rng),
        "master_metadata_album_album_name": None if episode else _name(rng),
        "spotify_track_uri": None if episode else f"spotify:track:{uri}",
        "episode_name": _name(rng) if episode else None,
        "episode_show_name": _name(rng) if episode else None,
        "spotify_episode_uri": f"spotify:episode:{uri}" if episode else None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": rng.choice(["trackdone", "clickrow", "fwdbtn"]),
        "reason_end": rng.choice(["trackdone", "endplay", "fwdbtn"]),
        "shuffle": rng.random() < 0.3,
        "skipped": rng.random() < 0.2,
        "offline": False,
        "offline_timestamp": int(ended.timestamp() * 1000) - rng.randint(0, 400_000),
        "incognito_mode": False,
    }


def generate(folder: Path, megabytes: int) -> int:
    """Write the export file (indented, like Spotify's) and its zip; return its entry count."""
    rng = random.Random(7)
    ended = datetime(2010, 1, 1, tzinfo=timezone.utc)
    target = megabytes * 1_000_000
    count = 0
    export = folder / "export"
    export.mkdir()
    with (export / FILE_NAME).open("w", encoding="utf-8") as file:
        file.write("[\n")
        while file.tell() < target:
            ended += timedelta(seconds=rng.randint(30, 600))
            text = json.dumps(_entry(rng, ended), indent=2, ensure_ascii=False)
            file.write(("" if count == 0 else ",\n") + text)
            count += 1
        file.write("\n]\n")
    with zipfile.ZipFile(folder / "my_spotify_data.zip", "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(export / FILE_NAME, f"Spotify Extended Streaming History/{FILE_NAME}")
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
        (small / FILE_NAME).write_text(
            json.dumps([_entry(random.Random(1), datetime.now(timezone.utc))])
        )
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
