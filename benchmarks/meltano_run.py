"""How long a warm, incremental `meltano run tap-spotify-recent target-turso` takes.

Compared, in the same run, with Meltano's own floor: the same `meltano run` with two
trivial plugins (a tap that prints 20 records, a target that echoes the state), so
the ratio is what our plugins add on top of Meltano itself. Each iteration first adds
20 new plays on the local Spotify contract server, like a 10-minute schedule would.

    .venv/bin/python benchmarks/meltano_run.py [--iterations 7] [--sqld]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from testkit.meltano import copy_project  # noqa: E402
from testkit.spotify import SpotifyServer  # noqa: E402
from testkit.sqld import SqldServer  # noqa: E402

FLOOR_TAP = textwrap.dedent(
    """\
    #!{python}
    import json, sys
    print(json.dumps({{"type": "SCHEMA", "stream": "s", "key_properties": ["i"],
                      "schema": {{"properties": {{"i": {{"type": "integer"}}}}}}}}))
    for i in range(20):
        print(json.dumps({{"type": "RECORD", "stream": "s", "record": {{"i": i}}}}))
    print(json.dumps({{"type": "STATE", "value": {{"bookmarks": {{"s": {{"i": 19}}}}}}}}))
    """
)
FLOOR_TARGET = textwrap.dedent(
    """\
    #!{python}
    import sys
    state = None
    for line in sys.stdin:
        if line.startswith('{{"type": "STATE"'):
            state = line
    if state:
        sys.stdout.write(state.replace('{{"type": "STATE", "value": ', "")[:-2] + "\\n")
    """
)


def add_floor_plugins(project: Path) -> None:
    """Register the two trivial plugins as custom plugins without a package to install."""
    for name, source in (("tap-floor", FLOOR_TAP), ("target-floor", FLOOR_TARGET)):
        script = project / name
        script.write_text(source.format(python=sys.executable))
        script.chmod(0o755)
    meltano_yml = project / "meltano.yml"
    config = yaml.safe_load(meltano_yml.read_text())
    config["plugins"]["extractors"].append(
        {
            "name": "tap-floor",
            "namespace": "tap_floor",
            "executable": str(project / "tap-floor"),
            "capabilities": ["state"],
        }
    )
    config["plugins"]["loaders"].append(
        {
            "name": "target-floor",
            "namespace": "target_floor",
            "executable": str(project / "target-floor"),
        }
    )
    meltano_yml.write_text(yaml.safe_dump(config, sort_keys=False))


def timed(project: Path, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "meltano"), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode:
        sys.exit(
            f"meltano {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=7)
    parser.add_argument("--sqld", action="store_true", help="load into a local sqld over HTTP")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-meltano-") as tmp:
        project = copy_project(Path(tmp) / "project")
        add_floor_plugins(project)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))
        }
        env |= {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "UV_COMPILE_BYTECODE": "1",  # as `make setup` installs them
        }
        subprocess.run(
            [str(Path(sys.executable).parent / "meltano"), "install"],
            cwd=project,
            env=env,
            capture_output=True,
            check=True,
        )
        sqld = SqldServer(Path(tmp) / "sqld").start() if args.sqld else None
        try:
            with SpotifyServer() as spotify:
                env |= {
                    f"TAP_SPOTIFY_RECENT_{k.upper()}": str(v)
                    for k, v in spotify.tap_config().items()
                }
                if sqld:
                    env["TARGET_TURSO_DATABASE_URL"] = sqld.url
                spotify.add_plays(50)
                ours_cmd = ("run", "tap-spotify-recent", "target-turso")
                floor_cmd = ("run", "tap-floor", "target-floor")
                timed(project, env, *ours_cmd)  # warm: first run, tables created
                timed(project, env, *floor_cmd)
                ours, floor = [], []
                for _ in range(args.iterations):
                    spotify.add_plays(20)
                    ours.append(timed(project, env, *ours_cmd))
                    floor.append(timed(project, env, *floor_cmd))
                calls = len(spotify.api_requests())
        finally:
            if sqld:
                sqld.stop()

    where = "local sqld over HTTP" if args.sqld else "local file"
    ours_median, floor_median = statistics.median(ours), statistics.median(floor)
    print(
        f"warm incremental meltano run, 20 new plays, into the {where}, {args.iterations} runs each"
    )
    print(
        f"  tap-spotify-recent target-turso : median {ours_median:.2f} s "
        f"(min {min(ours):.2f}, max {max(ours):.2f})"
    )
    print(
        f"  Meltano floor (trivial plugins) : median {floor_median:.2f} s "
        f"(min {min(floor):.2f}, max {max(floor):.2f})"
    )
    print(f"  ratio                           : {ours_median / floor_median:.2f}x (goal <= 1.3x)")
    print(f"  Spotify API calls               : {calls} in {args.iterations + 1} runs")


if __name__ == "__main__":
    main()
