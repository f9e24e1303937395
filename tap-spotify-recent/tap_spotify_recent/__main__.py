"""``python -m tap_spotify_recent``: the same as the ``tap-spotify-recent`` command."""

from tap_spotify_recent.cli import main

main()
