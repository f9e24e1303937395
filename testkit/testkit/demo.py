"""One-command demo: the whole pipeline against the bundled Spotify contract server.

For people without Spotify developer credentials (`make demo`, which runs
`python -m testkit.demo` in the Meltano project). It serves a seeded listening history from
a local server that follows Spotify's documented contract, and writes a matching Spotify
data export (Extended streaming history) of the months before. Its artists have genres on a
local server that follows MusicBrainz's contract (`testkit.musicbrainz`), which the tap looks
up (`musicbrainz_contact` set), so the report shows genres too.
The first run of the main job (JOB) imports that export and the live plays; then one run
per simulated day syncs that day's plays (the API only returns the last 50). Finally the
listening report is written. Everything lands in `output/`: `demo.db`, `demo-export/`,
`demo-report.html` and its year pages (`demo-report-2026.html`, …, linked from the report).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from testkit.musicbrainz import MusicBrainzServer
from testkit.spotify import SpotifyServer, format_played_at, to_ms
from testkit.spotify.export import FOLDER, export_entries, write_extended_history
from testkit.spotify.listening import plays

ROOT = Path.cwd()
"""The Meltano project: the demo runs where `make demo` is run."""
OUTPUT = ROOT / "output"
JOB = ("run", "tap-spotify-recent", "target-turso", "listening-report:refresh")
"""The main job: sync, then bring the report's tables and views up to date."""
GENRES = (
    "post-rock",
    "ambient",
    "electronic",
    "art pop",
    "heavy metal",
    "flamenco",
    "k-pop",
    "neoclassical",
    "french house",
    "synth-pop",
    "dream pop",
    "indie pop",
)
MUSICBRAINZ_INTERVAL_S = 0.1
"""The local MusicBrainz's rule, and the tap's spacing in the demo environment (meltano.yml):
MusicBrainz itself allows one request per second."""
GENRE_REQUESTS_PER_RUN = 100
"""Enough for every artist of the demo in its first run (the default, 2, spreads lookups)."""


def meltano(*args: str, env: dict[str, str]) -> None:
    """Run a Meltano command of the demo environment; stop the demo if it fails."""
    command = [str(Path(sys.executable).parent / "meltano"), "--environment=demo", *args]
    print("$ meltano --environment=demo", *args, flush=True)
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, check=False)
    if result.returncode:
        sys.exit(f"demo: `meltano {' '.join(args)}` failed (exit {result.returncode})")


def write_export(server: SpotifyServer, until: datetime, days: int, seed: int) -> Path:
    """Write the export: `days` of listening before `until`, then the first synced day.

    The listener plays the server's catalogue; the live plays of the first synced day are
    exported too, as an export overlaps what was synced.
    """
    start = (until - timedelta(days=days)).date()
    before = plays(server.catalogue, random.Random(seed), start=start, days=days, per_day=15)
    end = to_ms(until + timedelta(days=1))
    overlap = [play for play in reversed(server.plays) if to_ms(play["played_at"]) < end]
    folder = OUTPUT / "demo-export" / FOLDER
    write_extended_history(export_entries([*before, *overlap], seed), folder)
    return folder.parent


def add_genres(musicbrainz: MusicBrainzServer, server: SpotifyServer, rng: random.Random) -> None:
    """Give the catalogue's artists genres on `musicbrainz`, linked to their Spotify ids.

    The last artist has no link to Spotify (the report shows its plays as "(no genre)"
    unless another credited artist has one); the one before it has no genres voted yet.
    """
    artists = server.catalogue.artists
    for n, artist in enumerate(artists):
        votes = {genre: rng.randint(1, 9) for genre in rng.sample(GENRES, rng.randint(1, 3))}
        musicbrainz.add_artist(
            artist["name"],
            genres=None if n == len(artists) - 2 else votes,
            spotify_ids=[] if n == len(artists) - 1 else [artist["id"]],
        )


def main(argv: list[str] | None = None) -> None:
    """Serve, export, import and sync day by day, then report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3, help="simulated days of syncing")
    parser.add_argument("--plays-per-day", type=int, default=40, help="at most 50")
    parser.add_argument("--export-days", type=int, default=120, help="days in the data export")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not (ROOT / "meltano.yml").is_file():
        sys.exit(f"demo: {ROOT} holds no meltano.yml: run `make demo` in the repository")

    rng = random.Random(args.seed)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    OUTPUT.mkdir(exist_ok=True)
    # A clean slate each time: the demo's own database and Meltano system database.
    for stale in ("demo.db", "demo-meltano.db"):
        (OUTPUT / stale).unlink(missing_ok=True)
    system_db = {"MELTANO_DATABASE_URI": f"sqlite:///{OUTPUT / 'demo-meltano.db'}"}
    with (
        SpotifyServer(seed=args.seed) as server,
        MusicBrainzServer(interval=MUSICBRAINZ_INTERVAL_S) as musicbrainz,
    ):
        add_genres(musicbrainz, server, rng)
        env = system_db | {
            f"TAP_SPOTIFY_RECENT_{key.upper()}": str(value)
            for key, value in server.tap_config().items()
        }
        env |= {
            "TAP_SPOTIFY_RECENT_MUSICBRAINZ_CONTACT": "demo@example.com",
            "TAP_SPOTIFY_RECENT_MUSICBRAINZ_URL": musicbrainz.ws_url,
            "TAP_SPOTIFY_RECENT_GENRES_REQUESTS_PER_RUN": str(GENRE_REQUESTS_PER_RUN),
        }
        first_day = today - timedelta(days=args.days)
        for day in range(args.days, 0, -1):
            moment = today - timedelta(days=day, hours=-rng.randint(6, 11))
            for _ in range(min(args.plays_per_day, 50)):
                moment += timedelta(seconds=rng.randint(150, 420))
                server.add_play(played_at=format_played_at(moment))
            if day == args.days:
                export = write_export(server, first_day, args.export_days, args.seed)
                print(f"Wrote a Spotify data export of {args.export_days} days to {export}")
                meltano(*JOB, env=env | {"TAP_SPOTIFY_RECENT_HISTORY_PATH": str(export)})
            else:
                meltano(*JOB, env=env)
    meltano("invoke", "listening-report", env=system_db)
    years = ", ".join(sorted(page.name for page in OUTPUT.glob("demo-report-*.html")))
    print(
        f"\nDemo done: open {OUTPUT / 'demo-report.html'} (year pages beside it: {years};"
        f" data: {OUTPUT / 'demo.db'})"
    )


if __name__ == "__main__":
    main()
