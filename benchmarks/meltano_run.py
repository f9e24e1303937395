"""How long a warm, incremental `meltano run tap-spotify-recent target-turso` takes.

Also timed: the whole main job, `… target-turso listening-report:refresh` (the refresh keeps
the report's tables current).

Compared, in the same run, with two baselines:
- Meltano's own floor: the same `meltano run` with two trivial plugins (a tap that
  prints 20 records, a target that echoes the state): what Meltano itself costs.
- the singer-sdk floor: a do-nothing singer-sdk tap (20 records) and target (drops
  them), with state: what any SDK pair costs (Meltano caches our catalog).
Each iteration first adds 20 new plays on the local Spotify contract server, like a
10-minute schedule would.

    .venv/bin/python benchmarks/meltano_run.py [--iterations 7] [--sqld]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import yaml
from testkit.meltano import copy_project, meltano_env
from testkit.spotify import SpotifyServer
from testkit.sqld import SqldServer

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


SDK_TAP = textwrap.dedent(
    """\
    #!{python}
    from singer_sdk import Stream, Tap, typing as th

    class Numbers(Stream):
        name = "s"
        primary_keys = ["i"]
        replication_key = "i"
        schema = th.PropertiesList(th.Property("i", th.IntegerType)).to_dict()

        def get_records(self, context):
            yield from ({{"i": i}} for i in range(20))

    class TapSdkFloor(Tap):
        name = "tap-sdk-floor"
        config_jsonschema = th.PropertiesList().to_dict()

        def discover_streams(self):
            return [Numbers(self)]

    TapSdkFloor.cli()
    """
)
SDK_TARGET = textwrap.dedent(
    """\
    #!{python}
    from singer_sdk import Target, typing as th
    from singer_sdk.sinks import BatchSink

    class Drop(BatchSink):
        def process_batch(self, context):
            pass

    class TargetSdkFloor(Target):
        name = "target-sdk-floor"
        config_jsonschema = th.PropertiesList().to_dict()
        default_sink_class = Drop

    TargetSdkFloor.cli()
    """
)
FLOORS = {
    "tap-floor": (FLOOR_TAP, ["state"]),
    "target-floor": (FLOOR_TARGET, None),
    "tap-sdk-floor": (SDK_TAP, ["state"]),
    "target-sdk-floor": (SDK_TARGET, None),
}


def add_floor_plugins(project: Path) -> None:
    """Register the baseline plugins as custom plugins without a package to install."""
    meltano_yml = project / "meltano.yml"
    config = yaml.safe_load(meltano_yml.read_text())
    for name, (source, capabilities) in FLOORS.items():
        script = project / name
        script.write_text(source.format(python=sys.executable))
        script.chmod(0o755)
        plugin = {"name": name, "namespace": name.replace("-", "_"), "executable": str(script)}
        if capabilities:
            plugin["capabilities"] = capabilities
        config["plugins"]["extractors" if name.startswith("tap") else "loaders"].append(plugin)
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
        env = meltano_env({"UV_COMPILE_BYTECODE": "1"})  # as `make setup` installs them
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
                commands = {
                    "tap-spotify-recent target-turso": ("tap-spotify-recent", "target-turso"),
                    "main job (… listening-report:refresh)": (
                        "tap-spotify-recent",
                        "target-turso",
                        "listening-report:refresh",
                    ),
                    "singer-sdk floor (no-op SDK pair)": ("tap-sdk-floor", "target-sdk-floor"),
                    "Meltano floor (trivial plugins)": ("tap-floor", "target-floor"),
                }
                times: dict[str, list[float]] = {label: [] for label in commands}
                for pair in commands.values():
                    timed(project, env, "run", *pair)  # warm: first run, tables, catalog
                for _ in range(args.iterations):
                    for label, pair in commands.items():
                        if pair[0] == "tap-spotify-recent":
                            spotify.add_plays(20)  # each of our runs finds 20 new plays
                        times[label].append(timed(project, env, "run", *pair))
                calls = len(spotify.api_requests())
        finally:
            if sqld:
                sqld.stop()

    where = "local sqld over HTTP" if args.sqld else "local file"
    medians = {label: statistics.median(values) for label, values in times.items()}
    meltano_floor = medians["Meltano floor (trivial plugins)"]
    ours = medians["tap-spotify-recent target-turso"]
    print(
        f"warm incremental meltano run, 20 new plays, into the {where}, median of {args.iterations}"
    )
    for label, values in times.items():
        print(
            f"  {label:<36}: {medians[label]:.2f} s (min {min(values):.2f}, max {max(values):.2f})"
            f"  {medians[label] / meltano_floor:.2f}x Meltano's floor"
        )
    sdk_floor = medians["singer-sdk floor (no-op SDK pair)"]
    print(f"  ours vs the singer-sdk floor        : {ours / sdk_floor:.2f}x")
    main_job = medians["main job (… listening-report:refresh)"]
    print(f"  the refresh adds                    : {main_job - ours:.2f} s")
    print(
        f"  Spotify API calls                   : {calls}"
        f" in {2 * (args.iterations + 1)} runs of ours"
    )


if __name__ == "__main__":
    main()
