"""SQL views and a static HTML report of the Spotify plays that target-turso stored."""
