"""The README's import command, `meltano run` with only `history_path`, for real.

A person with only a Spotify data export (no Spotify app, no refresh token) imports it; a
person whose refresh token was revoked still gets the export imported.
"""

from __future__ import annotations

from pathlib import Path

from libsql_access.connection import connect
from testkit.spotify import SpotifyServer

EXPORT = Path(__file__).resolve().parents[1] / "tap-spotify-recent/tests/data_files/exports"
MAIN_JOB = ("run", "tap-spotify-recent", "target-turso")


def imported(database: Path) -> list[tuple[str, str]]:
    connection = connect(str(database), None)
    try:
        rows = connection.execute(
            'SELECT "ended_at", "kind" FROM "streaming_history" ORDER BY "ended_at"'
        ).fetchall()
    finally:
        connection.close()
    return [tuple(row) for row in rows]


ACCOUNT_DATA_PLAYS = [
    ("2020-04-11T00:27:00+00:00", "track"),
    ("2020-04-11T01:10:00+00:00", "episode"),
    ("2021-01-02T10:00:00+00:00", "track"),
    ("2021-01-03T21:45:00+00:00", "audiobook"),
]


def test_the_readme_import_command_needs_no_spotify_credentials(
    meltano_project, fresh_runner, tmp_path
):
    database = tmp_path / "plays.db"
    env = {
        "TAP_SPOTIFY_RECENT_HISTORY_PATH": str(EXPORT / "account_data"),
        "TARGET_TURSO_DATABASE_URL": str(database),
        **fresh_runner(),
    }

    run = meltano_project.meltano(*MAIN_JOB, env=env)

    assert run.returncode == 0, str(run)
    assert "Importing only the data export at history_path" in run.output
    assert imported(database) == ACCOUNT_DATA_PLAYS


def test_a_revoked_refresh_token_fails_the_run_after_the_export_is_imported(
    meltano_project, fresh_runner, tmp_path
):
    database = tmp_path / "plays.db"
    with SpotifyServer() as spotify:
        spotify.add_plays(3)
        spotify.revoke_refresh_tokens()
        settings = {**spotify.tap_config(), "history_path": str(EXPORT / "account_data")}
        env = {
            **{f"TAP_SPOTIFY_RECENT_{key.upper()}": value for key, value in settings.items()},
            "TARGET_TURSO_DATABASE_URL": str(database),
            **fresh_runner(),
        }

        run = meltano_project.meltano(*MAIN_JOB, env=env)

    assert run.returncode != 0
    assert "Spotify rejected the refresh_token setting" in run.output
    assert imported(database) == ACCOUNT_DATA_PLAYS
