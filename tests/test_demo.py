"""`make demo`: the whole pipeline offline, from the bundled contract server to the report."""

from __future__ import annotations

import json
import subprocess
import sys

from target_turso.connection import connect
from testkit.meltano import meltano_env


def test_demo_syncs_imports_the_export_and_writes_the_report(meltano_project):
    command = [
        "-m",
        "testkit.demo",
        "--days",
        "2",
        "--plays-per-day",
        "30",
        "--export-days",
        "10",
    ]
    result = subprocess.run(
        [sys.executable, *command],
        cwd=meltano_project.root,
        env=meltano_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = meltano_project.root / "output"
    (export_file,) = (output / "demo-export").rglob("Streaming_History_Audio_*.json")
    export_plays = {
        (entry["ts"], entry["ms_played"]) for entry in json.loads(export_file.read_text())
    }
    connection = connect(str(output / "demo.db"))
    assert connection.execute('SELECT COUNT(*) FROM "recently_played"').fetchone() == (60,)
    assert connection.execute('SELECT COUNT(*) FROM "streaming_history"').fetchone() == (
        len(export_plays),
    )
    assert "<html" in (output / "demo-report.html").read_text()
    assert "Demo done" in result.stdout
