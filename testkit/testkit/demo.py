"""One-command demo: the whole pipeline against the bundled Spotify contract server.

For people without Spotify developer credentials (`make demo`). It serves a seeded
listening history from a local server that follows Spotify's documented contract, and
writes a matching Spotify data export (Extended streaming history) of the months before.
The first `meltano run tap-spotify-recent target-turso` imports that export and the live
plays; then one run per simulated day syncs that day's plays (the API only returns the
last 50). Finally the listening report is written. Everything lands in `output/`:
`demo.db`, `demo-export/`, `demo-report.html`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.spotify import SpotifyServer, format_played_at

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "output"


def meltano(*args: str, env: dict[str, str]) -> None:
    """Run a Meltano command of the demo environment; stop the demo if it fails."""
    command = [str(Path(sys.executable).parent / "meltano"), "--environment=demo", *args]
    print("$ meltano --environment=demo", *args, flush=True)
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, check=False)
    if result.returncode:
        sys.exit(f"demo: `meltano {' '.join(args)}` failed (exit {result.returncode})")


def export_entry(track: dict, ended: datetime, ms_played: int) -> dict:
    """One Extended streaming history entry, as Spotify's export writes it."""
    return {
        "ts": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": "android",
        "ms_played": ms_played,
        "conn_country": "SE",
        "ip_addr": "203.0.113.7",
        "master_metadata_track_name": track["name"],
        "master_metadata_album_artist_name": track["artists"][0]["name"],
        "master_metadata_album_album_name": track["album"]["name"],
        "spotify_track_uri": track["uri"] if not track["is_local"] else None,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone" if ms_played >= track["duration_ms"] else "fwdbtn",
        "shuffle": False,
        "skipped": ms_played < track["duration_ms"],
        "offline": False,
        "offline_timestamp": None,
        "incognito_mode": False,
    }


def write_export(server: SpotifyServer, rng: random.Random, until: datetime, days: int) -> Path:
    """Months of listening before `until`, with favourite tracks, some skips, and the
    live plays of the first synced day repeated (an export overlaps what was synced)."""
    tracks = [track for track in server.tracks if not track["is_local"]]
    weights = [1 / (rank + 1) for rank in range(len(tracks))]
    entries = []
    for day in range(days, 0, -1):
        moment = until - timedelta(days=day, hours=-rng.randint(7, 20))
        for _ in range(rng.randint(0, 30)):
            track = rng.choices(tracks, weights)[0]
            ms_played = track["duration_ms"] if rng.random() < 0.85 else rng.randint(5_000, 60_000)
            moment += timedelta(milliseconds=ms_played + rng.randint(1_000, 30_000))
            entries.append(export_entry(track, moment, ms_played))
    for play in server.plays:
        ended = datetime.fromisoformat(play["played_at"].replace("Z", "+00:00"))
        if ended < until + timedelta(days=1) and not play["track"]["is_local"]:
            entries.append(export_entry(play["track"], ended, play["track"]["duration_ms"]))
    folder = OUTPUT / "demo-export" / "Spotify Extended Streaming History"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "Streaming_History_Audio_2026_0.json"
    path.write_text(json.dumps(sorted(entries, key=lambda e: e["ts"]), indent=1))
    return path.parent.parent


def main(argv: list[str] | None = None) -> None:
    """Serve, export, import and sync day by day, then report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3, help="simulated days of syncing")
    parser.add_argument("--plays-per-day", type=int, default=40, help="at most 50")
    parser.add_argument("--export-days", type=int, default=120, help="days in the data export")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    OUTPUT.mkdir(exist_ok=True)
    # A clean slate each time: the demo's own database and Meltano system database.
    for stale in ("demo.db", "demo-meltano.db"):
        (OUTPUT / stale).unlink(missing_ok=True)
    system_db = {"MELTANO_DATABASE_URI": f"sqlite:///{OUTPUT / 'demo-meltano.db'}"}
    with SpotifyServer(seed=args.seed) as server:
        env = system_db | {
            f"TAP_SPOTIFY_RECENT_{key.upper()}": str(value)
            for key, value in server.tap_config().items()
        }
        first_day = today - timedelta(days=args.days)
        for day in range(args.days, 0, -1):
            moment = today - timedelta(days=day, hours=-rng.randint(6, 11))
            for _ in range(min(args.plays_per_day, 50)):
                moment += timedelta(seconds=rng.randint(150, 420))
                server.add_play(played_at=format_played_at(moment))
            if day == args.days:
                export = write_export(server, rng, first_day, args.export_days)
                print(f"Wrote a Spotify data export of {args.export_days} days to {export}")
                meltano(
                    "run", "tap-spotify-recent", "target-turso",
                    env=env | {"TAP_SPOTIFY_RECENT_HISTORY_PATH": str(export)},
                )  # fmt: skip
            else:
                meltano("run", "tap-spotify-recent", "target-turso", env=env)
    meltano("invoke", "listening-report", env=system_db)
    print(f"\nDemo done: open {OUTPUT / 'demo-report.html'} (data: {OUTPUT / 'demo.db'})")


if __name__ == "__main__":
    main()
