"""The README's commands, from a fresh clone, with only what they install themselves.

The clone is `git clone` of this checkout: its committed state, as a new user gets it. `make
setup` gives it its own `.venv` (Meltano, the state backend, the report, the test kit: no
pytest, no dev extras), from the system's `python3`; nothing of the virtualenv running these
tests is on its PATH. Each package's development steps run in a virtualenv of their own,
installed the way the package's README says.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from libsql_access.connection import connect
from listening_report.html import read_data
from testkit.meltano import ROOT, own_setting

from .test_pipeline import stored

BIN = Path(sys.executable).parent
DEMO_ARGS = "--days 2 --plays-per-day 30 --export-days 10"
NOTHING_TO_DO = "make: Nothing to be done for 'setup'.\n"


def user_env(**extra: str) -> dict[str, str]:
    """A user's shell: no plugin settings, no make or virtualenv of ours, none of our tools."""
    path = [p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != BIN]
    drop = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "VIRTUAL_ENV", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not own_setting(k)}
    return {**env, "PATH": os.pathsep.join(path), "NO_COLOR": "1", **extra}


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env or user_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of this checkout's committed state, after `make setup`."""
    folder = tmp_path_factory.mktemp("fresh") / "spotify-history"
    cloned = run(["git", "clone", "--quiet", str(ROOT), str(folder)], cwd=folder.parent)
    assert cloned.returncode == 0, f"the tests run from a git checkout: {output(cloned)}"
    setup = run(["make", "setup"], cwd=folder)
    assert setup.returncode == 0, output(setup)
    return folder


def test_make_setup_installs_neither_pytest_nor_dev_extras(clone):
    check = "import importlib.util as u; print([m for m in ('pytest', 'jwt') if u.find_spec(m)])"

    found = run([str(clone / ".venv" / "bin" / "python"), "-c", check], cwd=clone)

    assert found.stdout == "[]\n", output(found)


def test_a_second_make_setup_does_nothing_and_needs_no_package_index(clone):
    dry_run = run(["make", "-n", "setup"], cwd=clone)
    again = run(["make", "setup"], cwd=clone, env=user_env(PIP_NO_INDEX="1", UV_OFFLINE="1"))
    after_a_change = run(["make", "-n", "-W", "meltano.yml", "setup"], cwd=clone)

    assert (dry_run.returncode, dry_run.stdout) == (0, NOTHING_TO_DO), output(dry_run)
    assert (again.returncode, again.stdout, again.stderr) == (0, NOTHING_TO_DO, ""), output(again)
    assert after_a_change.stdout.splitlines()[-2:] == [
        ".venv/bin/meltano install",
        "touch .meltano/.setup-done",
    ], output(after_a_change)


def test_make_demo_syncs_imports_the_export_and_writes_the_report(clone):
    result = run(["make", "demo", f"DEMO_ARGS={DEMO_ARGS}"], cwd=clone)

    assert result.returncode == 0, output(result)
    output_folder = clone / "output"
    (export_file,) = (output_folder / "demo-export").rglob("Streaming_History_Audio_*.json")
    export_plays = {
        (entry["ts"], entry["ms_played"]) for entry in json.loads(export_file.read_text())
    }
    connection = connect(str(output_folder / "demo.db"))
    assert connection.execute('SELECT COUNT(*) FROM "recently_played"').fetchone() == (60,)
    assert connection.execute('SELECT COUNT(*) FROM "streaming_history"').fetchone() == (
        len(export_plays),
    )
    assert "<html" in (output_folder / "demo-report.html").read_text()
    # A year page per (UTC) year of plays, beside the report.
    years = connection.execute(
        'SELECT DISTINCT substr(played_at, 1, 4) FROM "report_plays" ORDER BY 1'
    ).fetchall()
    assert sorted(page.name for page in output_folder.glob("demo-report-*.html")) == [
        f"demo-report-{year}.html" for (year,) in years
    ]
    assert "Demo done" in result.stdout
    # Every artist played was looked up on the kit's MusicBrainz (and the export's names
    # too, also those the report keys by URI): the report shows genres.
    looked_up = connection.execute('SELECT "artist_key" FROM "artist_genres"').fetchall()
    played = connection.execute("SELECT DISTINCT artist_key FROM play_artists").fetchall()
    assert set(played) <= set(looked_up)
    genres = read_data((output_folder / "demo-report.html").read_text())["genres"]
    assert len(genres["top"]["by_plays"]) == 10
    assert "(not looked up yet)" not in genres["without"]


def test_make_sync_without_credentials_says_how_to_get_them(clone):
    result = run(["make", "sync"], cwd=clone)

    assert result.returncode == 2  # make's: a recipe failed
    assert "Spotify credentials are missing. To get them:" in result.stdout
    assert "'make demo' runs everything offline" in result.stdout


def test_make_sync_runs_the_main_job_into_turso_db(clone, spotify_server):
    plays = spotify_server.add_plays(12)
    settings = {
        f"TAP_SPOTIFY_RECENT_{key.upper()}": str(value)
        for key, value in spotify_server.tap_config().items()
    }

    result = run(["make", "sync"], cwd=clone, env=user_env(**settings))

    assert result.returncode == 0, output(result)
    connection = connect(str(clone / "turso.db"))
    rows = connection.execute('SELECT "played_at" FROM "recently_played" ORDER BY 1').fetchall()
    assert [row[0] for row in rows] == sorted(stored(plays))


QUICK_TEST_FILE = {
    "testkit": "test_spotify_data.py",
    "libsql-access": "test_connection.py",
    "tap-spotify-recent": "test_secrets.py",
    "target-turso": "test_doubles.py",
    "listening-report": "test_period.py",
}


def readme_install(package: str, checkout: Path, section: str = "Development") -> list[str]:
    """The arguments of the first `pip install` line in a section of the package's README."""
    readme = (checkout / package / "README.md").read_text()
    text = readme.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    line = next(line for line in text.splitlines() if line.startswith("pip install "))
    return shlex.split(line)[2:]


@pytest.mark.parametrize("package", QUICK_TEST_FILE)
def test_a_package_tests_from_its_folder_as_its_readme_says(clone, package, tmp_path):
    venv = tmp_path / "venv"
    env = user_env(UV_COMPILE_BYTECODE="0")
    uv, python = str(BIN / "uv"), str(venv / "bin" / "python")
    for step in (
        [uv, "venv", "-q", "--python", "python3", str(venv)],
        [uv, "pip", "install", "-q", "--python", python, *readme_install(package, clone)],
    ):
        done = run(step, cwd=clone, env=env)
        assert done.returncode == 0, output(done)

    tests = run(
        [str(venv / "bin" / "pytest"), f"tests/{QUICK_TEST_FILE[package]}"],
        cwd=clone / package,
        env=env,
    )

    assert tests.returncode == 0, output(tests)
    assert f"rootdir: {clone / package}" in tests.stdout, tests.stdout
    assert "configfile: pyproject.toml" in tests.stdout, tests.stdout


def test_listening_report_installs_as_its_readme_says_without_the_target_or_singer_sdk(
    clone, tmp_path
):
    venv = tmp_path / "venv"
    env = user_env(UV_COMPILE_BYTECODE="0")
    uv, python = str(BIN / "uv"), str(venv / "bin" / "python")
    install = readme_install("listening-report", clone, section="Run it")
    for step in (
        [uv, "venv", "-q", "--python", "python3", str(venv)],
        [uv, "pip", "install", "-q", "--python", python, *install],
    ):
        done = run(step, cwd=clone, env=env)
        assert done.returncode == 0, output(done)

    singer_sdk = run([python, "-c", "import singer_sdk"], cwd=clone, env=env)
    others = run(
        [
            python,
            "-c",
            "import importlib.util as u; "
            "print([m for m in ('target_turso', 'msgspec') if u.find_spec(m)])",
        ],
        cwd=clone,
        env=env,
    )
    usage = run([str(venv / "bin" / "listening-report"), "--help"], cwd=clone, env=env)

    assert install == ["./libsql-access", "./listening-report"]
    assert singer_sdk.returncode == 1, output(singer_sdk)
    assert "ModuleNotFoundError: No module named 'singer_sdk'" in singer_sdk.stderr
    assert others.stdout == "[]\n", output(others)
    assert usage.returncode == 0, output(usage)
    assert usage.stdout.startswith("Usage: listening-report [OPTIONS] [COMMAND] [ARGS]...")
