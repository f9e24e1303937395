"""Real local stand-ins the tests run against: a Spotify-contract server and sqld."""
