"""listening-report's tests; their helpers are in reportkit.py."""
