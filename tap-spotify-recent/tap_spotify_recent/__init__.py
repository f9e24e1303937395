"""tap-spotify-recent: a Singer tap for your Spotify listening history."""
