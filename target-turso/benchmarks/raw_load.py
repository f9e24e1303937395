"""Baseline: load a Singer stream of plays with the bare libsql client, no SDK.

Reads the same Singer stream the target reads (stdin), keeps RECORD messages and
writes them as fast as Python and the client allow: orjson to parse and to
serialise (or `stdlib` json), no validation, no exactness checks. `multirow`
sends INSERT ... VALUES (?,?,?),(...) statements of 500 rows; `executemany`
sends one statement per row (over HTTP, one round trip per row). Both upsert on
`played_at` and commit every 10,000 rows, like the target's default batch.

Usage: python raw_load.py multirow|executemany DATABASE_URL [orjson|stdlib] < plays.singer
(plays.singer: `python -m testkit.spotify.singer N > plays.singer`, what run.py loads)
"""

from __future__ import annotations

import json
import sys

import libsql_experimental
import orjson

ROWS_PER_STATEMENT = 500
ROWS_PER_COMMIT = 10_000
COLUMNS = '"played_at", "track", "context"'
UPSERT = (
    ' ON CONFLICT ("played_at") DO UPDATE SET "track" = excluded."track", '
    '"context" = excluded."context"'
)


def rows(stream, loads, dumps):
    for line in stream:
        message = loads(line)
        if message["type"] == "RECORD":
            record = message["record"]
            context = record.get("context")
            yield (
                record["played_at"],
                dumps(record["track"]),
                None if context is None else dumps(context),
            )


PARSERS = {
    # The fastest Python JSON library (not exact for big numbers: fine for plays).
    "orjson": (orjson.loads, lambda value: orjson.dumps(value).decode()),
    # The standard library, as a minimal hand-written loader would use it.
    "stdlib": (json.loads, json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode),
}


def multirow(db, batch):
    for start in range(0, len(batch), ROWS_PER_STATEMENT):
        chunk = batch[start : start + ROWS_PER_STATEMENT]
        values = ", ".join(["(?, ?, ?)"] * len(chunk))
        params = tuple(value for row in chunk for value in row)
        db.execute(f'INSERT INTO "recently_played" ({COLUMNS}) VALUES {values}{UPSERT}', params)


def executemany(db, batch):
    db.executemany(f'INSERT INTO "recently_played" ({COLUMNS}) VALUES (?, ?, ?){UPSERT}', batch)


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    loads, dumps = PARSERS[sys.argv[3] if len(sys.argv) > 3 else "orjson"]
    write = {"multirow": multirow, "executemany": executemany}[mode]
    db = libsql_experimental.connect(url)
    db.execute(
        'CREATE TABLE IF NOT EXISTS "recently_played" '
        '("played_at" TEXT PRIMARY KEY, "track" TEXT, "context" TEXT)'
    )
    db.commit()
    batch = []
    for row in rows(sys.stdin.buffer, loads, dumps):
        batch.append(row)
        if len(batch) == ROWS_PER_COMMIT:
            write(db, batch)
            db.commit()
            batch = []
    if batch:
        write(db, batch)
        db.commit()


if __name__ == "__main__":
    main()
