"""tap-spotify-recent's tests."""
