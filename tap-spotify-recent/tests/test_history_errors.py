"""A malformed export names the file, the entry and what is wrong; nothing is skipped unseen.

By default the import stops at the first malformed entry (exit 1, one error line). With
``history_skip_malformed`` it goes on, logging each skipped entry as an error.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile

import pytest
from tap_spotify_recent.errors import TapError
from testkit.spotify.export import export_folder, extended_entry, good_entries

AUDIO = "Streaming_History_Audio_2020_0.json"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (
            extended_entry(ms_played="abc"),
            'ms_played must be a whole number of milliseconds (0 or more), got "abc" (text)',
        ),
        (
            extended_entry(ms_played=-5),
            "ms_played must be a whole number of milliseconds (0 or more), got -5 (a number)",
        ),
        (
            extended_entry(ms_played=1.5),
            "ms_played must be a whole number of milliseconds (0 or more), got 1.5 (a number)",
        ),
        (
            {"ms_played": 1000, "master_metadata_track_name": "Teardrop"},
            "the entry has neither ts (Extended streaming history) nor endTime (Account data)",
        ),
        (
            extended_entry(ts="2020-04-11 00:27:53"),
            "ts must be a UTC time like '2020-04-11T00:27:53Z', got \"2020-04-11 00:27:53\" (text)",
        ),
        (
            extended_entry(ts="2020-13-11T00:27:53Z"),
            "ts is not a valid date and time: '2020-13-11T00:27:53Z'",
        ),
        (
            extended_entry(ts="9999-12-31T23:59:59Z"),
            "ts '9999-12-31T23:59:59Z' is in the future: no play has ended then yet",
        ),
        (
            extended_entry(ts="0001-01-01T00:00:00Z"),
            "ts '0001-01-01T00:00:00Z' is before 2006, when Spotify began: no play ended then",
        ),
        (
            {"endTime": "9999-12-31 23:59", "artistName": "A", "trackName": "B", "msPlayed": 1},
            "endTime '9999-12-31 23:59' is in the future: no play has ended then yet",
        ),
        (
            extended_entry(ms_played=10**15),
            "ms_played must be at most 86400000 (24 hours: a stream is one track, episode or "
            "chapter), got 1000000000000000",
        ),
        (
            extended_entry(ts=None),
            "ts must be a UTC time like '2020-04-11T00:27:53Z', got null",
        ),
        (
            {"endTime": "2018-07-10T06:58", "artistName": "A", "trackName": "B", "msPlayed": 1},
            "endTime must be a UTC time like '2018-07-10 06:58', got \"2018-07-10T06:58\" (text)",
        ),
        (
            {"endTime": "2018-07-10 06:58", "artistName": "A", "trackName": "B"},
            "msPlayed must be a whole number of milliseconds (0 or more), got nothing (the "
            "field is missing)",
        ),
        (["2020-04-11T00:27:53Z", 1000], "the entry is an array, not an object"),
        (extended_entry(shuffle="yes"), 'shuffle must be true or false or null, got "yes" (text)'),
        (
            extended_entry(master_metadata_track_name=7),
            "master_metadata_track_name must be text or null",
        ),
        (
            extended_entry(offline_timestamp="1586564699"),
            "offline_timestamp must be a whole number",
        ),
        (extended_entry(ip_addr=203), "ip_addr must be text or null, got a number"),
    ],
    ids=[
        "ms_played-text",
        "ms_played-negative",
        "ms_played-fraction",
        "no-end-time",
        "ts-without-T-and-Z",
        "ts-month-13",
        "ts-year-9999",
        "ts-year-0001",
        "endTime-year-9999",
        "ms_played-over-a-day",
        "ts-null",
        "endTime-iso",
        "msPlayed-missing",
        "array-entry",
        "shuffle-text",
        "track-name-number",
        "offline_timestamp-text",
        "personal-field-value-not-shown",
    ],
)
def test_malformed_entry_stops_the_import_naming_file_index_and_problem(
    import_history, tmp_path, bad, problem
):
    export = export_folder(tmp_path, (AUDIO, [*good_entries(2), bad, *good_entries(1)]))

    with pytest.raises(TapError) as raised:
        import_history(export)

    message = str(raised.value)
    assert message.startswith(
        f"Malformed entry in the Spotify export: {AUDIO}, entry 2 (jq '.[2]'):"
    )
    assert problem in message
    assert "history_skip_malformed" in message
    assert "203" not in message  # personal values never appear


def test_malformed_entry_exits_1_after_the_plays_before_it_without_marking_the_file(
    import_history_cli, tmp_path
):
    export = export_folder(
        tmp_path, (AUDIO, [*good_entries(2), extended_entry(ms_played=None), *good_entries(1)])
    )

    run = import_history_cli(export)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert (
        f"Malformed entry in the Spotify export: {AUDIO}, entry 2 (jq '.[2]'): ms_played must "
        "be a whole number of milliseconds (0 or more), got null"
    ) in run.stderr
    assert [r["ended_at"] for r in run.history()] == [
        "2020-04-11T00:00:00Z",
        "2020-04-11T00:01:00Z",
    ]
    states = [m["value"] for m in run.messages if m["type"] == "STATE"]
    assert "imported_files" not in json.dumps(states)  # the file is not remembered as imported


# -- files that cannot be read as an array of entries -----------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '[{"ts": "2020-04-11T00:00:00Z", "ms_played": 1}, {"ts": "2020-04-11T00:01:00Z", '
            '"ms_played": 1}, {"ts": "2020-04',
            f"{AUDIO} is not valid JSON after entry 1 (parse error: premature EOF): the "
            "download may be incomplete",
        ),
        ("", f"{AUDIO} is not valid JSON before its first entry (parse error: premature EOF)"),
        (
            '{"playlists": []}',
            f"{AUDIO} is not a JSON array of plays (it starts with '{{'): is it a "
            "streaming-history file of the Spotify export?",
        ),
        (
            '[{"ts": "2020-04-11T00:00:00Z", "ms_played": 1}] {"ip_addr": "203.0.113.7"}',
            f"{AUDIO} is not valid JSON after entry 0 (parse error: trailing garbage)",
        ),
    ],
    ids=["truncated", "empty", "object-not-array", "trailing-garbage"],
)
def test_unreadable_file_is_named_with_how_far_it_was_read(
    import_history, tmp_path, content, problem
):
    export = export_folder(tmp_path, (AUDIO, content))

    with pytest.raises(TapError) as raised:
        import_history(export)

    assert problem in str(raised.value)
    assert "203.0.113.7" not in str(raised.value)


def test_byte_order_mark_and_empty_array_are_fine(import_history, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / AUDIO).write_bytes(b"\xef\xbb\xbf" + json.dumps(good_entries(2)).encode())
    (export / "Streaming_History_Audio_2021_1.json").write_text("[]")

    run = import_history(export)

    assert [r["ended_at"] for r in run.history()] == [
        "2020-04-11T00:00:00Z",
        "2020-04-11T00:01:00Z",
    ]


def test_corrupt_zip_member_is_named(import_history, tmp_path):
    archive = tmp_path / "my_spotify_data.zip"
    member = f"Spotify Extended Streaming History/{AUDIO}"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr(member, json.dumps(good_entries(3)))
    data = bytearray(archive.read_bytes())
    spot = data.index(b"2020-04-11T00:01")
    data[spot : spot + 4] = b"1999"  # same length, wrong CRC
    archive.write_bytes(bytes(data))

    with pytest.raises(TapError) as raised:
        import_history(archive)

    assert str(raised.value).startswith(f"Could not read {member} (BadZipFile: Bad CRC-32")


def test_missing_history_path_names_the_setting(import_history_cli, tmp_path):
    run = import_history_cli(tmp_path / "nowhere.zip")

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert f"history_path '{tmp_path / 'nowhere.zip'}' does not exist" in run.stderr


def test_folder_without_history_files_lists_what_it_found(import_history, tmp_path):
    export = export_folder(tmp_path, ("Playlist1.json", {"playlists": []}), ("Userdata.json", {}))

    with pytest.raises(TapError) as raised:
        import_history(export)

    assert str(raised.value) == (
        f"history_path '{export}' holds no Spotify streaming-history file "
        "(Streaming_History_Audio_*.json, Streaming_History_Video_*.json, endsong_*.json, "
        "StreamingHistory*.json); found: Playlist1.json, Userdata.json. Point it at the "
        "export's zip as downloaded, the folder it unzips to, or one of those files."
    )


# -- history_skip_malformed: go on, and say what was skipped ----------------------------------


def test_skip_malformed_imports_the_rest_and_logs_each_skippedextended_entry(
    import_history, tmp_path, caplog
):
    export = export_folder(
        tmp_path,
        (
            AUDIO,
            [
                *good_entries(2),
                extended_entry(ms_played="x"),
                *good_entries(1),
                ["not", "a", "play"],
            ],
        ),
        ("Streaming_History_Audio_2021_1.json", '[{"ts": "2021-01-01T00:00:00Z", "ms_pla'),
        ("Streaming_History_Audio_2022_2.json", [extended_entry(ts="2022-01-01T00:00:00Z")]),
    )

    with caplog.at_level(logging.INFO):
        run = import_history(export, history_skip_malformed=True)

    assert [r["ended_at"] for r in run.history()] == [
        "2020-04-11T00:00:00Z",
        "2020-04-11T00:01:00Z",
        "2022-01-01T00:00:00Z",
    ]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        f"Skipped a malformed entry: {AUDIO}, entry 2 (jq '.[2]'): ms_played must be a whole "
        'number of milliseconds (0 or more), got "x" (text)',
        f"Skipped a malformed entry: {AUDIO}, entry 4 (jq '.[4]'): the entry is an array, not "
        "an object",
        "Skipped the rest of a file that cannot be read: Streaming_History_Audio_2021_1.json is "
        "not valid JSON before its first entry (parse error: premature EOF): the download may "
        "be incomplete. Download the export again, or remove this file.",
        "2 malformed entries of the export were skipped (history_skip_malformed is on); each "
        "one is logged above with its file and index.",
        "Files that cannot be read to the end were skipped from there (logged above); they are "
        "read again whenever the tap runs with history_path.",
    ]
    imported = run.state["bookmarks"]["streaming_history"]["imported_files"]
    assert sorted(
        (e["file"], e["plays"], e["malformed_entries_skipped"]) for e in imported.values()
    ) == [
        (AUDIO, 2, 2),
        ("Streaming_History_Audio_2022_2.json", 1, 0),
    ]


# -- personal fields never appear, whatever goes wrong ----------------------------------------

PERSONAL = {
    "ip_addr": "198.51.100.23",
    "ip_addr_decrypted": "2001:db8::beef",
    "username": "jane.doe.1987",
    "user_agent_decrypted": "PersonalAgent/42.0 (janes-laptop)",
    "conn_country": "XK",
}


def _personal(**fields: object) -> dict:
    """An entry full of personal values."""
    return extended_entry(**{**PERSONAL, **fields})


def _leaked(output: str) -> list[str]:
    return sorted(
        name
        for name, value in PERSONAL.items()
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", output)
    )


def _files_full_of_personal_values() -> list[tuple[str, object]]:
    # The second play's name is not UTF-8 in the Latin-1 copy, right before personal values:
    # a parser quoting the text around the error would quote them.
    late = _personal(ts="2020-04-11T00:30:00Z")
    del late["master_metadata_track_name"]
    second = {"master_metadata_track_name": "Café", **PERSONAL, **late}
    text = json.dumps([_personal(), second], ensure_ascii=False)
    return [
        (
            "Streaming_History_Audio_2020_0.json",
            [
                _personal(ts="2020-04-11T00:00:00Z"),
                _personal(ms_played="x"),
                _personal(shuffle="yes"),
                _personal(ts=None),
                list(PERSONAL.values()),
                extended_entry(**dict.fromkeys(PERSONAL, 7)),
                {**PERSONAL, "ms_played": 1},
            ],
        ),
        ("Streaming_History_Audio_2020_1.json", text.encode("latin-1")),  # not UTF-8
        ("Streaming_History_Audio_2020_2.json", text[:-40]),  # cut short
        ("Streaming_History_Audio_2020_3.json", text + json.dumps(PERSONAL)),  # trailing garbage
        ("Streaming_History_Audio_2020_4.json", "{" + text[1:]),  # not an array
    ]


def test_no_personal_value_appears_in_any_output_when_entries_and_files_are_skipped(
    import_history_cli, tmp_path
):
    export = export_folder(tmp_path, *_files_full_of_personal_values())

    run = import_history_cli(
        export, env={"TAP_SPOTIFY_RECENT_LOGLEVEL": "DEBUG"}, history_skip_malformed=True
    )

    assert run.returncode == 0, run.stderr
    assert "| DEBUG" in run.stderr
    # What was read before each file's fault: the first entry, and the plays of files 2 and 3.
    assert sorted(r["ended_at"] for r in run.history()) == [
        "2020-04-11T00:00:00Z",
        "2020-04-11T00:27:53Z",
        "2020-04-11T00:30:00Z",
    ]
    assert _leaked(run.stdout + run.stderr) == []
    skipped = [line.split("| ")[-1] for line in run.stderr.splitlines() if "| ERROR" in line]
    entry, cannot = (
        "Skipped a malformed entry: ",
        "Skipped the rest of a file that cannot be read: ",
    )
    audio, again = "Streaming_History_Audio_2020", "Download the export again, or remove this file."
    assert skipped == [
        f"{entry}{audio}_0.json, entry 1 (jq '.[1]'): ms_played must be a whole number of "
        'milliseconds (0 or more), got "x" (text)',
        f"{entry}{audio}_0.json, entry 2 (jq '.[2]'): shuffle must be true or false or null, "
        'got "yes" (text)',
        f"{entry}{audio}_0.json, entry 3 (jq '.[3]'): ts must be a UTC time like "
        "'2020-04-11T00:27:53Z', got null",
        f"{entry}{audio}_0.json, entry 4 (jq '.[4]'): the entry is an array, not an object",
        f"{entry}{audio}_0.json, entry 5 (jq '.[5]'): ip_addr must be text or null, got a number",
        f"{entry}{audio}_0.json, entry 6 (jq '.[6]'): the entry has neither ts (Extended "
        "streaming history) nor endTime (Account data)",
        f"{cannot}{audio}_1.json is not UTF-8 text after entry 0 (lexical error: invalid bytes "
        "in UTF8 string.). Spotify's exports are UTF-8: download the export again (a copy "
        "re-saved by another program may have changed its encoding), or remove this file.",
        f"{cannot}{audio}_2.json is not valid JSON after entry 0 (parse error: premature EOF): "
        f"the download may be incomplete. {again}",
        f"{cannot}{audio}_3.json is not valid JSON after entry 1 (parse error: trailing "
        f"garbage): the download may be incomplete. {again}",
        f"{cannot}{audio}_4.json is not a JSON array of plays (it starts with '{{'): is it a "
        "streaming-history file of the Spotify export?",
        "6 malformed entries of the export were skipped (history_skip_malformed is on); each "
        "one is logged above with its file and index.",
        "Files that cannot be read to the end were skipped from there (logged above); they are "
        "read again whenever the tap runs with history_path.",
    ]


@pytest.mark.parametrize("file", range(5))
def test_no_personal_value_appears_in_the_error_that_stops_an_import(
    import_history_cli, tmp_path, file
):
    export = export_folder(tmp_path, _files_full_of_personal_values()[file])

    run = import_history_cli(export, env={"TAP_SPOTIFY_RECENT_LOGLEVEL": "DEBUG"})

    assert run.returncode == 1
    assert _leaked(run.stdout + run.stderr) == []
