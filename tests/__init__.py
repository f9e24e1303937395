"""End-to-end tests: the packages together, through Meltano, from a clone of this repository."""
