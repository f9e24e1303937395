"""Real local stand-ins for the tests, the demo and the benchmarks (see the kit's README)."""
