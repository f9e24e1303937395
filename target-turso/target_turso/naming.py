"""Property names to SQLite column names.

SQLite compares identifiers case-insensitively for ASCII letters (`Name` and
`name` are one column) and case-sensitively for everything else (`Ä` and `ä` are
two). Names are otherwise kept verbatim and always quoted. The mapping:

1. A property whose exact name is already a column of the table uses it.
2. Otherwise, among the properties that SQLite would see as one name, the one
   that already owns a column under another spelling, or (for a new group) the
   one that sorts first by code point, takes the bare name.
3. Every other property of the group gets `<name>__<8 hex digits of the SHA-256
   of the name>`, e.g. `name` next to `Name` becomes `name__82a3537f`.

The result depends only on the property names and the table's existing
columns, so re-running a load, or loading the streams in another order, maps
every property to the same column, and no property overwrites another.
"""

from __future__ import annotations

import hashlib
import typing as t


def sql_fold(name: str) -> str:
    """Fold a name the way SQLite compares identifiers (ASCII letters only)."""
    return name.encode("utf-8").lower().decode("utf-8")


def suffixed(name: str) -> str:
    """The deterministic column name for a property that loses its bare name."""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name}__{digest}"


def map_columns(properties: t.Iterable[str], existing: t.Iterable[str]) -> dict[str, str]:
    """Map each property to its column name (see the module docstring for the rules)."""
    existing = list(existing)
    exact = set(existing)
    owner_of_fold = {sql_fold(column): column for column in existing}
    groups: dict[str, list[str]] = {}
    for name in properties:
        groups.setdefault(sql_fold(name), []).append(name)

    mapping: dict[str, str] = {}
    for fold, names in groups.items():
        owner = owner_of_fold.get(fold)
        if owner is None or owner not in names:
            # The bare name is free (or owned by a property absent from this schema).
            owner = None if fold in owner_of_fold else min(names)
        for name in names:
            if name in exact or name == owner:
                mapping[name] = name
            else:
                mapping[name] = suffixed(name)
    return mapping
