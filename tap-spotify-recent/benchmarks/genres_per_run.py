"""Benchmark: what artist_genres adds to each scheduled run while a first lookup drains.

The situation the budget is for: a ten-year export was just imported, so 5,000 artists wait
for a lookup by name (``--artists``), and the 10-minute sync goes on. Each iteration adds 20
new plays on the local Spotify contract server, then runs ``tap-spotify-recent`` as Meltano
does (a fresh process, config and state files, stdout to a file) twice, in turn:

- baseline: the same tap and state without ``musicbrainz_contact`` (genres off),
- genres: with it, the default budget (2 requests) and spacing (1 s), against the local
  MusicBrainz contract server enforcing MusicBrainz's one request per second.

The state carries over from run to run, as Meltano keeps it; runs wait for the server's
interval to pass (as runs 10 minutes apart do), outside the timing. Prints the medians, the
time added, the records and the state size per run, and how long the queue takes to drain.

Usage (from the repo root):
    .venv/bin/python tap-spotify-recent/benchmarks/genres_per_run.py [--iterations 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tap_spotify_recent.genres.book import LookupBook
from tap_spotify_recent.genres.sightings import Sighting
from testkit.musicbrainz import MusicBrainzServer
from testkit.spotify import SpotifyServer

TAP = Path(sys.executable).parent / "tap-spotify-recent"


def run_tap(config: dict, state: dict, folder: Path) -> tuple[float, dict, int]:
    """One run as Meltano makes it: seconds, the last STATE, artist_genres records."""
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "state.json").write_text(json.dumps(state))
    out = folder / "out.jsonl"
    started = time.perf_counter()
    with out.open("wb") as stdout:
        subprocess.run(
            [TAP, "--config", folder / "config.json", "--state", folder / "state.json"],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    seconds = time.perf_counter() - started
    messages = [json.loads(line) for line in out.read_text().splitlines()]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    records = sum(m["type"] == "RECORD" and m["stream"] == "artist_genres" for m in messages)
    return seconds, states[-1] if states else state, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=9)
    parser.add_argument("--artists", type=int, default=5000, help="export artists waiting")
    args = parser.parse_args()

    with (
        SpotifyServer(seed=7) as spotify,
        MusicBrainzServer() as musicbrainz,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        live = {a["id"]: a["name"] for t in spotify.tracks for a in t["artists"] if a["id"]}
        for artist_id, name in live.items():
            musicbrainz.add_artist(name, genres={"pop": 1}, spotify_ids=[artist_id])
        names = [f"Export Artist {n:04d}" for n in range(args.artists)]
        for name in names:
            musicbrainz.add_artist(name, genres={"rock": 3, "indie": 1})
        book = LookupBook({}, {}, timedelta(days=180))
        book.note((Sighting(name) for name in names), datetime.now(timezone.utc).date())
        queued: dict = {}
        book.write(queued)
        spotify.add_plays(50)
        base = spotify.tap_config(request_max_tries=2)
        baseline_state: dict = {}
        genres_state: dict = {"bookmarks": {"artist_genres": queued}}
        genres_config = {
            **base,
            "musicbrainz_contact": "benchmark@example.com",
            "musicbrainz_url": musicbrainz.ws_url,
        }

        baseline, genres, records, sizes = [], [], [], []
        for _ in range(args.iterations):
            spotify.add_plays(20)
            seconds, baseline_state, _ = run_tap(base, baseline_state, folder)
            baseline.append(seconds)
            musicbrainz.wait_for_interval()
            before = len(musicbrainz.requests)
            seconds, genres_state, emitted = run_tap(genres_config, genres_state, folder)
            genres.append(seconds)
            records.append(emitted)
            sizes.append(len(json.dumps(genres_state["bookmarks"]["artist_genres"])))
            statuses = {r.status for r in musicbrainz.requests[before:]}
            assert 503 not in statuses, "the tap broke MusicBrainz's one request per second"

        pending = sum(map(len, genres_state["bookmarks"]["artist_genres"]["pending"].values()))
        requests = len(musicbrainz.requests)
        runs_left = pending * 2 / 2  # a name search and a genre lookup each, 2 per run
        added = statistics.median(genres) - statistics.median(baseline)
        print(f"{args.iterations} runs each, 20 new plays per run, {args.artists} export artists")
        print(f"{'scenario':<10}{'median s':>10}{'min s':>8}{'max s':>8}")
        for label, times in (("baseline", baseline), ("genres", genres)):
            print(
                f"{label:<10}{statistics.median(times):>10.2f}{min(times):>8.2f}{max(times):>8.2f}"
            )
        print(
            f"added median time per run: {added:.2f} s "
            f"(genres/baseline: {statistics.median(genres) / statistics.median(baseline):.2f}x)"
        )
        print(f"MusicBrainz requests: {requests} in {args.iterations} runs, none declined (503)")
        print(f"records per run: {records}")
        print(
            f"state of artist_genres: {sizes[0]:,} bytes after the first run, "
            f"{sizes[-1]:,} after the last"
        )
        print(
            f"still waiting: {pending} artists = {runs_left:.0f} runs "
            f"({runs_left * 10 / 60 / 24:.0f} days at one run per 10 minutes)"
        )


if __name__ == "__main__":
    main()
