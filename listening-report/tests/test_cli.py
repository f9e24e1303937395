"""The command line as Meltano drives it: settings from LISTENING_REPORT_* variables,
clear one-line errors that name the setting to fix, and no secret in any output."""

from __future__ import annotations

from pathlib import Path

from testkit.sqld import free_port

from .reportkit import DATA_FILES, Database, load_singer


def assert_clear_error(result, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_a_missing_database_file_is_named_and_not_created(tmp_path, run_report):
    missing = tmp_path / "nowhere.db"

    result = run_report(Database(str(missing)))

    assert_clear_error(result, f"No database file at '{missing}'", "LISTENING_REPORT_DATABASE_URL")
    assert not missing.exists()
    assert not result.output.exists()


def test_a_database_without_plays_table_points_at_the_table_prefix(known_history, run_report):
    result = run_report(Database(known_history.url, prefix="spotify_"))

    assert_clear_error(
        result, "The database has no table 'spotify_recently_played'", "table prefix"
    )


def test_a_streaming_history_table_of_another_shape_is_named(known_history, run_report):
    known_history.query('CREATE TABLE "streaming_history" (ts TEXT, track TEXT)')

    result = run_report(known_history)

    assert_clear_error(
        result,
        "Table 'streaming_history' has no column for play_id, ended_at, ms_played",
        "written by target-turso",
    )


def test_a_rejected_token_names_the_setting_but_never_the_token(
    sqld_jwt, unique_prefix, run_report
):
    wrong = sqld_jwt.make_token() + "x"

    result = run_report(Database(sqld_jwt.url, token=wrong, prefix=unique_prefix))

    assert_clear_error(result, "rejected the `auth_token` setting")
    assert wrong not in result.stderr + result.stdout


def test_an_unreachable_server_names_the_database_url_setting(run_report):
    url = f"http://127.0.0.1:{free_port()}"

    result = run_report(Database(url))

    assert_clear_error(result, f"Could not reach the database at {url}", "`database_url`")


def test_a_read_only_token_can_write_the_report_without_views(
    sqld_jwt, unique_prefix, tmp_path, run_report
):
    database = Database(sqld_jwt.url, token=sqld_jwt.make_token(), prefix=unique_prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)
    read_only = Database(sqld_jwt.url, token=sqld_jwt.make_token({"a": "ro"}), prefix=unique_prefix)

    refused = run_report(read_only)
    allowed = run_report(read_only, LISTENING_REPORT_VIEWS="false")

    assert_clear_error(refused, "Could not create the views", "--no-views")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.data()["totals"]["plays"] == 11


def test_bad_option_values_name_the_option(known_history, run_report):
    zone = run_report(known_history, LISTENING_REPORT_TIMEZONE="Mars/Olympus")
    since = run_report(known_history, "--since", "2024-02-30")
    order = run_report(known_history, "--since", "2024-03-01", "--until", "2024-02-01")
    top = run_report(known_history, "--top", "0")

    assert zone.returncode == since.returncode == order.returncode == top.returncode == 2
    assert "Invalid value for --timezone: unknown time zone 'Mars/Olympus'" in zone.stderr
    assert "Invalid value for --since: '2024-02-30' is not a date" in since.stderr
    assert "--since must come before --until" in order.stderr
    assert "Invalid value for '--top'" in top.stderr


def test_options_on_the_command_line_override_the_environment(known_history, run_report):
    result = run_report(known_history, "--top", "1", LISTENING_REPORT_TOP="5")

    assert result.returncode == 0, result.stderr
    assert result.data()["top_n"] == 1
    assert [row["track_name"] for row in result.data()["top"]["tracks"]["by_plays"]] == [
        "Morning (2024 Remaster)"
    ]


def test_the_run_says_what_it_did(known_history, run_report):
    result = run_report(known_history)

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Created or replaced 15 views: plays, play_artists, top_tracks,")
    assert lines[1].startswith(f"Wrote {result.output} (")
    assert lines[1].endswith("11 plays from 2024-01-29 07:00 to 2024-04-02 09:00")


def test_about_prints_every_setting_as_a_markdown_table(run_report, tmp_path):
    result = run_report(Database(str(tmp_path / "unused.db")), "--about")

    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0] == "| Setting | Env var | Default | Description |"
    assert [row.split(" | ")[1] for row in rows[2:]] == [
        f"`LISTENING_REPORT_{name}`"
        for name in (
            "DATABASE_URL",
            "AUTH_TOKEN",
            "TABLE_PREFIX",
            "OUTPUT",
            "SINCE",
            "UNTIL",
            "TOP",
            "TIMEZONE",
            "YEARS",
            "VIEWS",
        )
    ]


def test_empty_settings_mean_the_defaults_as_meltano_passes_unset_references(
    known_history, tmp_path, run_report
):
    # meltano.yml maps database_url to $TARGET_TURSO_DATABASE_URL: unset, it arrives empty.
    (tmp_path / "turso.db").write_bytes(Path(known_history.url).read_bytes())

    result = run_report(
        known_history,
        LISTENING_REPORT_DATABASE_URL="",
        LISTENING_REPORT_TABLE_PREFIX="",
        LISTENING_REPORT_TOP="",
        LISTENING_REPORT_TIMEZONE="",
        LISTENING_REPORT_VIEWS="",
    )

    assert result.returncode == 0, result.stderr
    assert (result.data()["top_n"], result.data()["timezone"]) == (10, "UTC")
    assert result.data()["totals"]["plays"] == 11


def test_an_output_path_that_cannot_be_written_names_the_setting(
    known_history, tmp_path, run_report
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = run_report(known_history, LISTENING_REPORT_OUTPUT=str(blocker / "report.html"))

    assert_clear_error(result, f"Could not write the report to {blocker / 'report.html'}", "OUTPUT")


def test_refresh_says_what_changed(known_history, tmp_path, run_report):
    first = run_report(known_history, "refresh")
    load_singer(known_history, DATA_FILES / "one_more_play.singer", tmp_path)
    second = run_report(known_history, "refresh")
    third = run_report(known_history, "refresh")

    assert [run.returncode for run in (first, second, third)] == [0, 0, 0]
    assert first.stderr.startswith("Created or replaced 15 views: plays, play_artists,")
    assert "(the report's tables rebuilt in " in first.stderr
    assert second.stderr.startswith("Refreshed the report's tables in ")
    assert second.stderr.rstrip().endswith(
        ": 1 row of the target's tables changed since the last refresh"
    )
    assert third.stderr == "The report's tables are current\n"
    assert not first.output.exists()  # refresh writes no report


def test_a_read_only_token_reads_current_tables_and_merges_stale_ones_itself(
    sqld_jwt, unique_prefix, tmp_path, run_report
):
    writer = Database(sqld_jwt.url, token=sqld_jwt.make_token(), prefix=unique_prefix)
    load_singer(writer, DATA_FILES / "known_history.singer", tmp_path)
    assert run_report(writer, "refresh").returncode == 0
    read_only = Database(sqld_jwt.url, token=sqld_jwt.make_token({"a": "ro"}), prefix=unique_prefix)

    current = run_report(read_only, "--no-views")
    current_plays = current.data()["totals"]["plays"]
    load_singer(writer, DATA_FILES / "one_more_play.singer", tmp_path)  # not refreshed
    stale = run_report(read_only, "--no-views")

    assert current.returncode == stale.returncode == 0, current.stderr + stale.stderr
    assert "not current" not in current.stderr
    assert current_plays == 11
    assert "The report's tables are not current (run `listening-report refresh`" in stale.stderr
    assert stale.data()["totals"]["plays"] == 12
