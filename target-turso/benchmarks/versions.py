"""Benchmark: this target-turso against another version of it, on the same streams.

Each version loads the same stream as a fresh CLI process into a fresh database (a
file, and a fresh sqld over HTTP), the two versions alternating run after run so the
load of a shared machine hits both alike; the best of `--repeat` runs is kept and the
script prints seconds, rows/s and the speed ratio. Streams: the recently-played plays
of run.py (a date-time key, nested JSON); records of two random doubles (every
magnitude), which over HTTP the target binds as exact text; and "+1k", 1,000 new plays
into a table already holding N (loaded untimed by the same version), the shape of a
scheduled run, whose fixed cost includes the check of stored date-times.

The other version is a folder holding its `target_turso` package, e.g.:
    git archive REV target-turso | tar -x -C /tmp/rev
    .venv/bin/python target-turso/benchmarks/versions.py /tmp/rev/target-turso
"""

from __future__ import annotations

import argparse
import json
import os
import random
import struct
import tempfile
from pathlib import Path

from run import command, database, timed  # a sibling: the script's folder is on sys.path
from testkit.spotify.listening import history
from testkit.spotify.singer import tap_output


def double_lines(n: int, seed: int = 11) -> list[str]:
    """SCHEMA and N records `{"id": i, "x": double, "y": double}` (random bit patterns)."""
    rng = random.Random(seed)

    def double() -> float:
        while True:
            (number,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
            if number == number and abs(number) != float("inf"):
                return number

    schema = {"properties": {"id": {"type": "integer"}, "x": {"type": "number"}, "y": {}}}
    out = [
        json.dumps(
            {"type": "SCHEMA", "stream": "doubles", "schema": schema, "key_properties": ["id"]}
        )
    ]
    out += [
        json.dumps(
            {
                "type": "RECORD",
                "stream": "doubles",
                "record": {"id": i, "x": double(), "y": double()},
            }
        )
        for i in range(n)
    ]
    return out


def load(source: str | None, url: str, stream: Path, run_dir: Path) -> float:
    """Load `stream` with the version in `source` (None: this one); wall seconds."""
    env = {**os.environ, "PYTHONPATH": source} if source else None
    argv = command("target-turso", url, run_dir)
    return timed(argv, stream, run_dir, f"target-turso ({source or 'this version'})", env)[0]


def run_once(
    source: str | None, where: str, stream: Path, work: Path, before: Path | None
) -> float:
    """Load `stream` into a fresh database (holding `before`, loaded untimed); seconds."""
    run_dir = Path(tempfile.mkdtemp(dir=work))
    with database(where, run_dir) as url:
        if before is not None:
            load(source, url, before, run_dir)
        return load(source, url, stream, run_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", help="folder holding the other version's target_turso package")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    other = str(Path(args.other).resolve())
    with tempfile.TemporaryDirectory(prefix="turso-versions-") as tmp:
        work = Path(tmp)
        every = list(tap_output(history(args.size + 1000)))
        cut = 1 + args.size + args.size // 1000  # SCHEMA, N records and a STATE per 1,000
        first, later = every[:cut], [every[0], *every[cut:]]
        streams = {
            "plays": (list(tap_output(history(args.size))), None),
            "doubles": (double_lines(args.size), None),
            "+1k": (later, first),
        }
        print(
            f"N = {args.size:,} records; best of {args.repeat} alternating runs, fresh process each"
        )
        print(
            f"{'stream':8} {'where':5} {'other s':>8} {'this s':>8} "
            f"{'other/s':>9} {'this/s':>9}  speed this/other"
        )
        for name, (lines, before_lines) in streams.items():
            stream = work / f"{name}.singer"
            stream.write_text("\n".join(lines) + "\n")
            before = None
            if before_lines is not None:
                before = work / f"{name}-before.singer"
                before.write_text("\n".join(before_lines) + "\n")
            size = len(lines) - 1 - sum('"STATE"' in line for line in lines)
            for where in ("file", "http"):
                runs: dict[str | None, list[float]] = {other: [], None: []}
                for _ in range(args.repeat):
                    for source in runs:
                        runs[source].append(run_once(source, where, stream, work, before))
                old, new = min(runs[other]), min(runs[None])
                print(
                    f"{name:8} {where:5} {old:8.2f} {new:8.2f} {size / old:9,.0f} "
                    f"{size / new:9,.0f}  {old / new:.2f}"
                )


if __name__ == "__main__":
    main()
