"""The tap works with another Singer target: target-jsonl from PyPI, in its own virtualenv.

target-jsonl pins jsonschema 2.6.0, which conflicts with singer-sdk, so it lives apart, as
Meltano would install it: ``$TARGET_JSONL`` or ``<repo>/.tools/target-jsonl/bin/target-jsonl``
(created with uv on first use).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO / ".tools" / "target-jsonl"


@pytest.fixture(scope="session")
def target_jsonl() -> str:
    """Path of the target-jsonl executable, installed on first use."""
    executable = Path(os.environ.get("TARGET_JSONL", DEFAULT_VENV / "bin" / "target-jsonl"))
    if executable.exists():
        return str(executable)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv is needed to install target-jsonl in its own virtualenv"
    venv = executable.parent.parent
    subprocess.run([uv, "venv", "-q", str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), "target-jsonl"],
        check=True,
    )
    return str(executable)


def test_tap_output_loads_into_target_jsonl(spotify_server, tap_executable, target_jsonl, tmp_path):
    spotify_server.add_plays(60)
    bookmark = spotify_server.plays[55]["played_at"]  # behind the window: a gap record too
    (tmp_path / "tap.json").write_text(json.dumps(spotify_server.tap_config()))
    (tmp_path / "state.json").write_text(
        json.dumps({"bookmarks": {"recently_played": {"replication_key_value": bookmark}}})
    )
    (tmp_path / "target.json").write_text(
        json.dumps({"destination_path": str(tmp_path / "out"), "do_timestamp_file": False})
    )
    (tmp_path / "out").mkdir()

    tap = subprocess.Popen(
        [tap_executable, "--config", "tap.json", "--state", "state.json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    target = subprocess.run(
        [target_jsonl, "--config", "target.json"],
        cwd=tmp_path,
        stdin=tap.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    tap.stdout.close()

    assert (tap.wait(timeout=60), target.returncode) == (0, 0), target.stderr
    lines = (tmp_path / "out" / "recently_played.jsonl").read_text().splitlines()
    plays = [json.loads(line) for line in lines]
    assert [p["played_at"] for p in plays] == [
        p["played_at"] for p in reversed(spotify_server.plays[:50])
    ]
    assert plays[-1]["track"]["name"] == spotify_server.plays[0]["track"]["name"]
    [gap] = [
        json.loads(line)
        for line in (tmp_path / "out" / "listening_gaps.jsonl").read_text().splitlines()
    ]
    assert (gap["bookmark"], gap["oldest_returned_played_at"]) == (
        bookmark,
        spotify_server.plays[49]["played_at"],
    )
    final_state = json.loads(target.stdout.splitlines()[-1])
    assert (
        final_state["bookmarks"]["recently_played"]["replication_key_value"]
        == (spotify_server.plays[0]["played_at"])
    )
    [run] = [
        json.loads(line) for line in (tmp_path / "out" / "sync_runs.jsonl").read_text().splitlines()
    ]
    assert (run["bookmark_before"], run["bookmark_after"]) == (
        bookmark,
        spotify_server.plays[0]["played_at"],
    )
    assert (run["plays_served"], run["plays_emitted"], run["gap_detected"]) == (50, 50, True)
