"""Serve a seeded listening history until interrupted; print the tap config as one JSON line.

python -m testkit.spotify [--port 8899] [--plays 120] [--add-every SECONDS]
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import datetime, timedelta, timezone

from testkit.spotify.server import SpotifyServer


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--plays", type=int, default=120, help="seeded plays, ending now")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--add-every", type=float, default=0, help="add a play every N s")
    parser.add_argument("--rotate-refresh-tokens", action="store_true")
    args = parser.parse_args(argv)
    start = datetime.now(timezone.utc) - timedelta(minutes=7 * args.plays)
    server = SpotifyServer(
        host=args.host,
        port=args.port,
        seed=args.seed,
        start=start,
        rotate_refresh_tokens=args.rotate_refresh_tokens,
    )
    server.add_plays(args.plays)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        print(json.dumps(server.tap_config()), flush=True)
        try:
            while not stop.wait(args.add_every or 3600):
                if args.add_every:
                    server.add_play(datetime.now(timezone.utc))
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
