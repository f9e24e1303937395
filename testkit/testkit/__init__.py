"""Real local stand-ins the tests run against: contract servers for Spotify, GitHub's REST API
(issues) and healthchecks.io's pings, and sqld."""
