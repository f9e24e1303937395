"""One-command demo: the whole pipeline against the bundled Spotify contract server.

For people without Spotify developer credentials (`make demo`). It serves a seeded
listening history from a local server that follows Spotify's documented contract, runs
`meltano run tap-spotify-recent target-turso` once per simulated day (the API only
returns the last 50 plays, so a day's plays arrive in that day's sync), then writes the
listening report. Everything lands in `output/demo.db` and `output/demo-report.html`.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.spotify import SpotifyServer

ROOT = Path(__file__).resolve().parents[2]


def meltano(*args: str, env: dict[str, str]) -> None:
    """Run a Meltano command of the demo environment; stop the demo if it fails."""
    command = [str(Path(sys.executable).parent / "meltano"), "--environment=demo", *args]
    print("$ meltano --environment=demo", *args, flush=True)
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, check=False)
    if result.returncode:
        sys.exit(f"demo: `meltano {' '.join(args)}` failed (exit {result.returncode})")


def main(argv: list[str] | None = None) -> None:
    """Serve, sync day by day, then report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="simulated days of listening")
    parser.add_argument("--plays-per-day", type=int, default=40, help="at most 50")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    output = ROOT / "output"
    output.mkdir(exist_ok=True)
    # A clean slate each time: the demo's own database and Meltano system database.
    for stale in ("demo.db", "demo-meltano.db"):
        (output / stale).unlink(missing_ok=True)
    system_db = {"MELTANO_DATABASE_URI": f"sqlite:///{output / 'demo-meltano.db'}"}
    with SpotifyServer(seed=args.seed) as server:
        env = system_db | {
            f"TAP_SPOTIFY_RECENT_{key.upper()}": str(value)
            for key, value in server.tap_config().items()
        }
        for day in range(args.days, 0, -1):
            moment = today - timedelta(days=day, hours=-rng.randint(6, 11))
            for _ in range(min(args.plays_per_day, 50)):
                moment += timedelta(seconds=rng.randint(150, 420))
                server.add_play(played_at=moment)
            meltano("run", "tap-spotify-recent", "target-turso", env=env)
    meltano("invoke", "listening-report", env=system_db)
    print(f"\nDemo done: open {output / 'demo-report.html'} (data: {output / 'demo.db'})")


if __name__ == "__main__":
    main()
