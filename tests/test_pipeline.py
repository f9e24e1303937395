"""The main job (`meltano run tap-spotify-recent target-turso listening-report:refresh`) for
real: Meltano, sqld, the Spotify contract.

Each test starts from a brand-new Meltano system database, like a scheduled run on a fresh
GitHub runner, so whatever carries over between runs is what the project keeps in Turso.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

from libsql_access.connection import connect
from libsql_access.retry import SQLD_STATEMENT_ERRORS
from target_turso.datetimes import canonical_date_time
from testkit.meltano import install_project
from testkit.spotify import SpotifyServer

STATE_ID = "dev:tap-spotify-recent-to-target-turso"
MAIN_JOB = ("run", "tap-spotify-recent", "target-turso", "listening-report:refresh")


def tap_env(server: SpotifyServer) -> dict[str, str]:
    """The tap's settings as Meltano reads them from the environment (like `.env`)."""
    settings = {**server.tap_config(), "request_max_tries": 2}
    return {f"TAP_SPOTIFY_RECENT_{key.upper()}": str(value) for key, value in settings.items()}


def turso_env(server, token: str | None = None) -> dict[str, str]:
    """Target and Meltano state both in one (self-hosted, Turso-compatible) database."""
    env = {
        "TARGET_TURSO_DATABASE_URL": server.url,
        "MELTANO_STATE_BACKEND_URI": f"libsql://127.0.0.1:{server.port}?tls=0",
    }
    if token:
        env |= {"TARGET_TURSO_AUTH_TOKEN": token, "MELTANO_STATE_BACKEND_LIBSQL_AUTH_TOKEN": token}
    return env


def query(
    database_url: str, sql: str, token: str | None = None, parameters: tuple = ()
) -> list[tuple]:
    """Rows of one statement, on a new connection; sqld's spurious errors are tried again."""
    return SQLD_STATEMENT_ERRORS.run_connected(
        lambda: connect(database_url, token),
        lambda connection: connection.execute(sql, parameters).fetchall(),
    )


def stored_plays(database_url: str, token: str | None = None) -> list[str]:
    return [
        row[0] for row in query(database_url, 'SELECT "played_at" FROM "recently_played"', token)
    ]


def stored_state(database_url: str, token: str | None = None) -> dict:
    rows = query(
        database_url,
        'SELECT "completed_state" FROM "meltano_state" WHERE "state_id" = ?',
        token,
        (STATE_ID,),
    )
    return json.loads(rows[0][0])["singer_state"] if rows else {}


def has_gap_rows(database_url: str, token: str | None = None) -> bool:
    """Whether any `listening_gaps` row exists (the table appears with the first gap)."""
    tables = query(
        database_url, "SELECT name FROM sqlite_master WHERE name = 'listening_gaps'", token
    )
    return (
        bool(tables)
        and query(database_url, 'SELECT COUNT(*) FROM "listening_gaps"', token)[0][0] > 0
    )


def played_at(plays: list[dict]) -> list[str]:
    return [play["played_at"] for play in plays]


def stored(plays: list[dict]) -> list[str]:
    """The plays' `played_at` as target-turso stores date-times: canonical UTC text."""
    return [canonical_date_time(text) for text in played_at(plays)]


def test_main_job_keeps_every_play_once_in_turso_across_fresh_runners(
    meltano_project, make_spotify_server, sqld_factory, fresh_runner
):
    spotify = make_spotify_server()
    sqld = sqld_factory(jwt=True)
    token = sqld.make_token()
    env = {**tap_env(spotify), **turso_env(sqld, token)}

    first = spotify.add_plays(30)
    run = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert run.returncode == 0, str(run)
    assert sorted(stored_plays(sqld.url, token)) == sorted(stored(first))
    assert (
        stored_state(sqld.url, token)["bookmarks"]["recently_played"]["replication_key_value"]
        == (first[-1]["played_at"])
    )

    # 20 new plays, and one that a phone reports late, older than the bookmark.
    second = spotify.add_plays(20)
    late = spotify.add_play(played_at=first[-1]["played_at"][:17] + "00Z")
    run = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert run.returncode == 0, str(run)
    assert "No state was found" not in run.output
    assert sorted(stored_plays(sqld.url, token)) == sorted(stored([*first, *second, late]))
    assert not has_gap_rows(sqld.url, token)
    # The job's last step brought the report's tables up to date, the late play included.
    assert query(sqld.url, 'SELECT count(*) FROM "plays"', token) == [(51,)]
    assert query(sqld.url, 'SELECT count(*) FROM "report_changes"', token) == [(0,)]

    # More than 50 plays before the next run: 10 are beyond Spotify's window.
    third = spotify.add_plays(60)
    run = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert run.returncode == 0, str(run)
    reachable = third[10:]
    assert sorted(stored_plays(sqld.url, token)) == sorted(
        stored([*first, *second, late, *reachable])
    )
    gaps = query(
        sqld.url,
        'SELECT "bookmark", "oldest_returned_played_at" FROM "listening_gaps"',
        token,
    )
    assert gaps == [(stored([second[-1]])[0], stored([reachable[0]])[0])]
    assert "listening_gaps" in run.output  # the warning tells the user how to backfill
    assert (
        stored_state(sqld.url, token)["bookmarks"]["recently_played"]["replication_key_value"]
        == (third[-1]["played_at"])
    )
    assert token not in run.output


def test_main_job_writes_the_local_file_default_with_no_turso_settings(
    meltano_project, spotify_server, fresh_runner
):
    database = meltano_project.root / "turso.db"
    database.unlink(missing_ok=True)
    runner = fresh_runner()  # a local install keeps its system database between runs
    try:
        first = spotify_server.add_plays(12)
        run = meltano_project.meltano(*MAIN_JOB, env={**tap_env(spotify_server), **runner})
        assert run.returncode == 0, str(run)
        second = spotify_server.add_plays(5)
        run = meltano_project.meltano(*MAIN_JOB, env={**tap_env(spotify_server), **runner})
        assert run.returncode == 0, str(run)
        assert sorted(stored_plays(str(database))) == sorted(stored([*first, *second]))
    finally:
        database.unlink(missing_ok=True)


def test_a_second_fresh_project_copy_continues_from_the_turso_bookmark(
    meltano_project, tmp_path, make_spotify_server, sqld_factory, fresh_runner
):
    spotify = make_spotify_server()
    sqld = sqld_factory()
    env = {**tap_env(spotify), **turso_env(sqld)}
    first = spotify.add_plays(8)
    assert meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()}).returncode == 0

    other_machine = install_project(tmp_path / "clone")
    second = spotify.add_plays(3)
    requests_before = len(spotify.api_requests())
    run = other_machine.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert run.returncode == 0, str(run)
    assert "No state was found" not in run.output
    assert len(spotify.api_requests()) - requests_before == 1  # one Spotify call per run
    assert sorted(stored_plays(sqld.url)) == sorted(stored([*first, *second]))
    assert (
        stored_state(sqld.url)["bookmarks"]["recently_played"]["replication_key_value"]
        == (second[-1]["played_at"])
    )


HOLDER = textwrap.dedent(
    """
    import sys, time
    from target_turso.state_backend import LibSQLStateStoreManager
    LibSQLStateStoreManager(uri=sys.argv[1], lock_timeout_seconds=2).get(sys.argv[2])
    print("held", flush=True)
    time.sleep(120)
    """
)


def test_a_held_lock_blocks_an_overlapping_run_until_it_goes_stale(
    meltano_project, spotify_server, sqld_factory, fresh_runner
):
    sqld = sqld_factory()
    env = {
        **tap_env(spotify_server),
        **turso_env(sqld),
        "MELTANO_STATE_BACKEND_LOCK_TIMEOUT_SECONDS": "2",
    }
    spotify_server.add_plays(4)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, env["MELTANO_STATE_BACKEND_URI"], STATE_ID],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        run = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
        assert run.returncode != 0
        assert f"Another run of '{STATE_ID}' holds its lock" in run.output
        assert (
            query(sqld.url, "SELECT name FROM sqlite_master WHERE name = 'recently_played'") == []
        )
    finally:
        holder.send_signal(signal.SIGKILL)  # the other run dies without releasing
        holder.wait()
        holder.stdout.close()

    time.sleep(2.5)
    run = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert run.returncode == 0, str(run)
    assert len(stored_plays(sqld.url)) == 4


def test_a_revoked_refresh_token_fails_the_run_and_touches_nothing(
    meltano_project, spotify_server, sqld_factory, fresh_runner
):
    sqld = sqld_factory()
    env = {**tap_env(spotify_server), **turso_env(sqld)}
    first = spotify_server.add_plays(6)
    passing = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert passing.returncode == 0, passing
    bookmark_before = stored_state(sqld.url)["bookmarks"]["recently_played"]

    spotify_server.add_plays(4)
    spotify_server.revoke_refresh_tokens()
    failing = meltano_project.meltano(*MAIN_JOB, env={**env, **fresh_runner()})
    assert failing.returncode != 0
    assert "Spotify rejected the refresh_token setting" in failing.output
    assert "meltano invoke tap-spotify-recent:auth" in failing.output
    assert "Traceback" not in failing.output
    assert sorted(stored_plays(sqld.url)) == sorted(stored(first))
    # The tap echoes the state it was given before failing; the bookmark must not move.
    assert stored_state(sqld.url)["bookmarks"]["recently_played"] == bookmark_before
    for secret in spotify_server.secrets():
        assert secret not in passing.output
        assert secret not in failing.output


def test_the_tap_feeds_any_singer_target_through_meltano(
    meltano_project, spotify_server, fresh_runner
):
    plays = spotify_server.add_plays(7)
    output = meltano_project.root / "output" / "recently_played.jsonl"
    output.unlink(missing_ok=True)
    run = meltano_project.meltano(
        "run",
        "tap-spotify-recent",
        "target-jsonl",
        env={**tap_env(spotify_server), **fresh_runner()},
    )
    assert run.returncode == 0, str(run)
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted(record["played_at"] for record in records) == sorted(played_at(plays))
    assert all(record["track"]["name"] for record in records)
