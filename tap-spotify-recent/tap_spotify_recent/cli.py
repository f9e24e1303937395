"""The ``tap-spotify-recent`` command: the Singer tap, and ``tap-spotify-recent auth``."""

from __future__ import annotations

import sys


def main() -> None:
    """Dispatch to the auth command or the tap, importing only what that needs."""
    if sys.argv[1:2] == ["auth"]:
        from tap_spotify_recent.auth_command import main as auth_command

        sys.exit(auth_command(sys.argv[2:]))

    from tap_spotify_recent.errors import TapError
    from tap_spotify_recent.tap import TapSpotifyRecent

    try:
        TapSpotifyRecent.cli()
    except TapError as exc:
        # An expected failure: its message says what to do; a traceback would bury it.
        TapSpotifyRecent.logger.error("%s", exc)
        sys.exit(1)
