"""Singer target for Turso / libSQL."""
