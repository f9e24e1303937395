"""Spotify, offline: seeded fake data (the repository's one source of it) and a contract server.

- ``catalogue``: artists, albums, tracks, contexts, ``played_at`` values;
- ``listening``: a listener's plays over days and years;
- ``export``: the data export's entries and files;
- ``singer``: the tap's messages for plays (needs tap-spotify-recent installed);
- ``server``: the Web API and Accounts contract server (``python -m testkit.spotify``).
"""

from testkit.spotify.catalogue import Catalogue, format_played_at, to_ms
from testkit.spotify.server import SpotifyServer

__all__ = ["Catalogue", "SpotifyServer", "format_played_at", "to_ms"]
