"""target-turso's tests."""
