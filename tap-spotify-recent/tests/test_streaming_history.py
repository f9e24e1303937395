"""streaming_history: the plays of Spotify's data export, both formats, each play once.

The fixture exports under ``data_files/exports`` are laid out as Spotify ships them:
``extended/`` (Extended streaming history: Audio and Video files, an exact duplicate row in a
file and across files, an episode, an audiobook, an empty row, unicode, an offline play),
``account_data/`` (Account data: music, podcast and audiobook files, playlists, library, user
data) and ``older/`` (``endsong_0.json`` with username and user agent, a combined
``StreamingHistory0``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import zipfile
from pathlib import Path

from testkit.spotify.export import export_folder, extended_entry

EXPORTS = Path(__file__).parent / "data_files" / "exports"
EXTENDED = EXPORTS / "extended"
EXTENDED_DIR = "Spotify Extended Streaming History"
AUDIO_0 = f"{EXTENDED_DIR}/Streaming_History_Audio_2019-2020_0.json"
AUDIO_1 = f"{EXTENDED_DIR}/Streaming_History_Audio_2020-2021_1.json"
VIDEO = f"{EXTENDED_DIR}/Streaming_History_Video_2020-2021.json"
MUSIC = "Spotify Account Data/StreamingHistory_music_0.json"
PODCAST = "Spotify Account Data/StreamingHistory_podcast_0.json"
AUDIOBOOK = "Spotify Account Data/StreamingHistory_audiobook_0.json"

#: The record's fields, in schema order: the columns of the streaming_history table.
COLUMNS = [
    "play_id",
    "ended_at",
    "ms_played",
    "kind",
    "track_name",
    "artist_name",
    "album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "audiobook_chapter_title",
    "audiobook_chapter_uri",
    "audiobook_author",
    "reason_start",
    "reason_end",
    "platform",
    "shuffle",
    "skipped",
    "offline",
    "incognito_mode",
    "offline_timestamp",
    "source_format",
    "source_file",
]
PERSONAL = ["ip_addr", "user_agent_decrypted", "conn_country", "username"]
JACK_URI = "spotify:track:74cksX4vgcm0cHKaV7XE2L"


def key(*parts: object) -> str:
    """The documented key: SHA-256 of the compact JSON array, first 32 hex digits."""
    text = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def play(**fields: object) -> dict:
    """A record: the given fields, every other field null."""
    return {**dict.fromkeys(COLUMNS), **fields}


def from_audio_0(**fields: object) -> dict:
    """A record of the first Audio file: what its rows share, then ``fields``."""
    shared = {
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "platform": "ios",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "incognito_mode": False,
        "source_format": "extended",
        "source_file": AUDIO_0,
    }
    return play(**{**shared, **fields})


def from_account_data(
    ended_at: str, ms_played: int, file: str, kind: str, audiobook_author=None, **names: str
) -> dict:
    """An Account data record: the creator's then the item's name, all else but time null."""
    return play(
        play_id=key("account_data", ended_at, ms_played, *names.values()),
        ended_at=ended_at,
        ms_played=ms_played,
        kind=kind,
        audiobook_author=audiobook_author,
        **names,
        source_format="account_data",
        source_file=file,
    )


def listening(record: dict) -> tuple:
    return (record["ended_at"], record["kind"], record["ms_played"], record["source_file"])


def _keys(run) -> list[str]:
    return [record["play_id"] for record in run.history()]


# -- formats and fields -----------------------------------------------------------------------


def test_extended_export_folder_gives_one_record_per_play_with_exact_fields(import_history):
    run = import_history(EXTENDED)

    records = run.history()
    assert [listening(r) for r in records] == [
        ("2020-04-11T00:27:53Z", "track", 174674, AUDIO_0),
        ("2020-04-11T00:31:40Z", "track", 226000, AUDIO_0),
        ("2020-04-11T00:31:45Z", "track", 5000, AUDIO_0),
        ("2020-04-11T01:10:02Z", "episode", 1800000, AUDIO_0),
        ("2020-04-11T01:10:03Z", None, 0, AUDIO_0),
        ("2020-04-12T21:00:00Z", "audiobook", 600000, AUDIO_0),
        ("2020-04-13T07:15:30Z", "track", 201000, AUDIO_0),
        ("2021-01-02T10:00:04Z", "track", 268000, AUDIO_1),
        ("2021-01-03T19:45:12Z", "episode", 912000, VIDEO),
    ]
    assert records[0] == from_audio_0(
        play_id=key("extended", "2020-04-11T00:27:53Z", 174674, JACK_URI),
        ended_at="2020-04-11T00:27:53Z",
        ms_played=174674,
        kind="track",
        track_name="Jack To The Future (feat. Russoul)",
        artist_name="Alex Metric",
        album_name="Jack To The Future (feat. Russoul)",
        spotify_track_uri=JACK_URI,
        offline_timestamp=1586564699000,
    )


def test_episodes_audiobooks_and_empty_rows_keep_what_the_export_says(import_history):
    episode, empty, audiobook, offline = import_history(EXTENDED).history()[3:7]

    assert episode == from_audio_0(
        play_id=key(
            "extended", "2020-04-11T01:10:02Z", 1800000, "spotify:episode:4rOoJ6Egrf8K2IrywzwOMk"
        ),
        ended_at="2020-04-11T01:10:02Z",
        ms_played=1800000,
        kind="episode",
        episode_name="Episode 12: Ünïcode 🎧",
        episode_show_name="The Show",
        spotify_episode_uri="spotify:episode:4rOoJ6Egrf8K2IrywzwOMk",
        reason_start="clickrow",
        reason_end="endplay",
    )
    # An item Spotify no longer names: no URI, so the (null) names make its identity.
    assert empty == from_audio_0(
        play_id=key("extended", "2020-04-11T01:10:03Z", 0, *[None] * 7),
        ended_at="2020-04-11T01:10:03Z",
        ms_played=0,
        reason_start="trackerror",
        reason_end="trackerror",
        skipped=None,
        offline_timestamp=0,
    )
    assert (audiobook["kind"], audiobook["audiobook_title"], audiobook["audiobook_uri"]) == (
        "audiobook",
        "Der Prozess",
        "spotify:show:6GpFSVpSlgnxdk8qKqUqSt",
    )
    assert (audiobook["audiobook_chapter_title"], audiobook["audiobook_chapter_uri"]) == (
        "Kapitel 1",
        "spotify:episode:0Q86acNRm6V9GYx55SXKwf",
    )
    assert audiobook["play_id"] == key(
        "extended", "2020-04-12T21:00:00Z", 600000, "spotify:episode:0Q86acNRm6V9GYx55SXKwf"
    )
    assert (offline["offline"], offline["offline_timestamp"], offline["incognito_mode"]) == (
        True,
        1586761900,
        True,
    )


def test_account_data_has_minute_end_times_names_and_null_uris(import_history):
    run = import_history(EXPORTS / "account_data")

    assert run.history() == [
        from_account_data(
            "2021-01-03T21:45:00Z",
            1260000,
            AUDIOBOOK,
            kind="audiobook",
            audiobook_title="Sjálfstætt fólk",
            audiobook_chapter_title="Kapitel 3: Vetur",
            audiobook_author="Halldór Laxness",
        ),
        from_account_data(
            "2020-04-11T00:27:00Z",
            174674,
            MUSIC,
            kind="track",
            artist_name="Alex Metric",
            track_name="Jack To The Future (feat. Russoul)",
        ),
        from_account_data(
            "2021-01-02T10:00:00Z",
            268000,
            MUSIC,
            kind="track",
            artist_name="Sigur Rós",
            track_name="Hoppípolla",
        ),
        from_account_data(
            "2020-04-11T01:10:00Z",
            1800000,
            PODCAST,
            kind="episode",
            episode_show_name="The Show",
            episode_name="Episode 12: Ünïcode 🎧",
        ),
    ]


def test_older_export_reads_endsong_and_the_combined_account_data_file(import_history):
    run = import_history(EXPORTS / "older")

    combined, jack, eple = run.history()
    # StreamingHistoryN.json mixes music and podcasts without saying which: kind stays null.
    assert (combined["source_file"], combined["kind"], combined["artist_name"]) == (
        "MyData/StreamingHistory0.json",
        None,
        "Röyksopp",
    )
    assert (jack["source_file"], jack["platform"], jack["skipped"]) == (
        "MyData/endsong_0.json",
        "iOS 13.4 (iPhone11,8)",
        None,
    )
    assert eple["offline_timestamp"] == 1433145389000


def test_schema_declares_the_columns_and_the_key_without_a_bookmark(import_history):
    run = import_history(EXTENDED)

    [schema] = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert list(schema["schema"]["properties"]) == COLUMNS
    assert schema["key_properties"] == ["play_id"]
    assert "bookmark_properties" not in schema
    assert schema["schema"]["properties"]["ended_at"]["format"] == "date-time"
    assert schema["schema"]["required"] == [
        "play_id",
        "ended_at",
        "ms_played",
        "source_format",
        "source_file",
    ]


def test_fields_the_tap_does_not_know_are_named_in_the_log(import_history, tmp_path, caplog):
    rows = json.loads((EXTENDED / VIDEO).read_text())
    rows[0]["video_quality"] = "hd"
    single = tmp_path / "Streaming_History_Video_2025.json"
    single.write_text(json.dumps(rows))

    with caplog.at_level(logging.INFO):
        run = import_history(single)

    assert "video_quality" not in run.history()[0]
    assert (
        "Streaming_History_Video_2025.json has fields this tap does not know, left out: "
        "video_quality"
    ) in caplog.text


def test_an_import_never_asks_the_target_to_drop_earlier_imports(import_history):
    run = import_history(EXTENDED, emit_activate_version_messages=True)

    assert [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"] == []
    assert len(run.history()) == 9


# -- where the export is ----------------------------------------------------------------------


def _zip(folder, target):
    """Zip a fixture export as Spotify does: its files under their folder."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def test_zip_as_downloaded_gives_the_same_records_as_the_unzipped_folder(import_history, tmp_path):
    archive = _zip(EXTENDED, tmp_path / "my_spotify_data.zip")

    from_zip = import_history(archive)

    assert from_zip.history() == import_history(EXTENDED).history()
    assert len(from_zip.history()) == 9


def test_folder_holding_both_downloads_as_zips_reads_both(import_history, tmp_path):
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    _zip(EXTENDED, downloads / "my_spotify_data.zip")
    _zip(EXPORTS / "account_data", downloads / "my_spotify_data (1).zip")
    (downloads / "holiday.jpg").write_bytes(b"\xff\xd8\xff")

    run = import_history(downloads)

    expected = (
        import_history(EXTENDED).history() + import_history(EXPORTS / "account_data").history()
    )
    assert sorted(_keys(run)) == sorted(r["play_id"] for r in expected)
    assert {r["source_file"] for r in run.history()} == {
        f"my_spotify_data.zip/{AUDIO_0}",
        f"my_spotify_data.zip/{AUDIO_1}",
        f"my_spotify_data.zip/{VIDEO}",
        f"my_spotify_data (1).zip/{AUDIOBOOK}",
        f"my_spotify_data (1).zip/{MUSIC}",
        f"my_spotify_data (1).zip/{PODCAST}",
    }


def test_an_account_data_audiobook_file_given_alone_is_read_as_audiobooks(import_history):
    run = import_history(EXPORTS / "account_data" / AUDIOBOOK)

    assert run.history() == [
        from_account_data(
            "2021-01-03T21:45:00Z",
            1260000,
            "StreamingHistory_audiobook_0.json",
            kind="audiobook",
            audiobook_title="Sjálfstætt fólk",
            audiobook_chapter_title="Kapitel 3: Vetur",
            audiobook_author="Halldór Laxness",
        )
    ]


def test_audiobook_files_in_a_zip_are_read(import_history, tmp_path):
    _zip(EXPORTS / "account_data", tmp_path / "my_spotify_data.zip")

    run = import_history(tmp_path / "my_spotify_data.zip")

    assert [(r["kind"], r["source_file"]) for r in run.history()] == [
        ("audiobook", AUDIOBOOK),
        ("track", MUSIC),
        ("track", MUSIC),
        ("episode", PODCAST),
    ]


def test_one_file_is_read_whatever_its_name(import_history, tmp_path):
    single = tmp_path / "my video history.json"
    shutil.copy(EXTENDED / VIDEO, single)

    run = import_history(single)

    [record] = run.history()
    assert (record["source_file"], record["kind"], record["episode_show_name"]) == (
        "my video history.json",
        "episode",
        "The Video Show",
    )


def test_other_files_of_the_export_are_ignored_and_listed(import_history, caplog):
    with caplog.at_level(logging.INFO):
        run = import_history(EXPORTS / "account_data")

    assert {r["source_file"] for r in run.history()} == {AUDIOBOOK, MUSIC, PODCAST}
    assert (
        "3 streaming-history files; ignored 3 other files (Spotify Account Data/Playlist1.json, "
        "Spotify Account Data/Userdata.json, Spotify Account Data/YourLibrary.json)"
    ) in caplog.text


# -- one key per play -------------------------------------------------------------------------


def test_exact_duplicate_rows_collapse_to_one_record_and_are_counted(import_history, caplog):
    with caplog.at_level(logging.INFO):
        run = import_history(EXTENDED)

    entries = sum(len(json.loads(p.read_text())) for p in EXTENDED.rglob("Streaming_History_*"))
    assert (entries, len(run.history()), len(set(_keys(run)))) == (11, 9, 9)
    assert f"Read {AUDIO_0}: 7 plays, 1 repeated play left out (the same item" in caplog.text
    assert f"Read {AUDIO_1}: 1 plays, 1 repeated play left out (the same item" in caplog.text


def test_rows_differing_only_in_reasons_or_offline_timestamp_are_counted_as_repeats(
    import_history, tmp_path, caplog
):
    first = extended_entry(offline_timestamp=1586564699, reason_end="trackdone")
    export = export_folder(
        tmp_path,
        (
            "Streaming_History_Audio_2020_0.json",
            [first, {**first, "offline_timestamp": 0}, {**first, "reason_end": "endplay"}],
        ),
    )

    with caplog.at_level(logging.INFO):
        run = import_history(export)

    [play] = run.history()
    assert (play["offline_timestamp"], play["reason_end"]) == (1586564699, "trackdone")
    assert (
        "Read Streaming_History_Audio_2020_0.json: 1 plays, 2 repeated plays left out (the same "
        "item, end time and ms_played as a play read before: the first row is kept, even where "
        "reasons, flags or offline_timestamp differ)"
    ) in caplog.text
    assert "exact duplicate" not in caplog.text


def test_the_same_play_in_endsong_and_streaming_history_audio_has_one_key(import_history):
    older = {r["ended_at"]: r for r in import_history(EXPORTS / "older").history()}
    newer = {r["ended_at"]: r for r in import_history(EXTENDED).history()}

    endsong, audio = older["2020-04-11T00:27:53Z"], newer["2020-04-11T00:27:53Z"]
    # The platform was reworded between the downloads; the key does not use it.
    assert (endsong["platform"], audio["platform"]) == ("iOS 13.4 (iPhone11,8)", "ios")
    assert endsong["play_id"] == audio["play_id"]


def test_account_data_and_extended_keys_differ_for_the_same_play(import_history):
    # Minute precision and no URI: matching them is a tolerance join, done by the views.
    [account] = [
        r for r in import_history(EXPORTS / "account_data").history() if r["ms_played"] == 174674
    ]
    [extended] = [r for r in import_history(EXTENDED).history() if r["ms_played"] == 174674]

    assert (account["track_name"], account["ended_at"][:16]) == (
        extended["track_name"],
        extended["ended_at"][:16],
    )
    assert account["play_id"] != extended["play_id"]


def test_a_later_overlapping_export_gives_the_shared_plays_the_same_keys(import_history, tmp_path):
    first = import_history(EXTENDED)
    # The later download: the same plays spread over other files, the platform reworded, the
    # personal fields changed, and two new plays.
    rows = [
        row
        for path in sorted(EXTENDED.rglob("Streaming_History_*.json"))
        for row in json.loads(path.read_text())
    ]
    for row in rows:
        row.update(platform="iOS 17.1 (iPhone15,2)", ip_addr="192.0.2.1", conn_country="FR")
    rows += [
        {**rows[0], "ts": "2026-11-20T08:00:00Z", "ms_played": 1000},
        {**rows[2], "ts": "2026-11-20T08:05:00Z"},
    ]
    later = tmp_path / "later" / EXTENDED_DIR
    later.mkdir(parents=True)
    (later / "Streaming_History_Audio_2019-2026_0.json").write_text(json.dumps(rows[:6]))
    (later / "Streaming_History_Audio_2026_1.json").write_text(json.dumps(rows[6:]))

    second = import_history(tmp_path / "later", state=first.state)

    assert set(_keys(first)) < set(_keys(second))
    assert len(set(_keys(second)) - set(_keys(first))) == 2


# -- the state: files already imported --------------------------------------------------------


def test_unchanged_files_are_skipped_and_a_changed_one_is_read_again(
    import_history, tmp_path, caplog
):
    export = tmp_path / "export"
    shutil.copytree(EXTENDED, export)
    first = import_history(export)
    rows = json.loads((export / AUDIO_1).read_text())
    rows.append({**rows[-1], "ts": "2021-01-05T10:00:00Z"})
    (export / AUDIO_1).write_text(json.dumps(rows))

    with caplog.at_level(logging.INFO):
        second = import_history(export, state=first.state)
    third = import_history(export, state=second.state)

    # Only the changed file is read; its play also in the skipped file comes again, same key.
    assert [listening(r) for r in second.history()] == [
        ("2020-04-11T00:31:40Z", "track", 226000, AUDIO_1),
        ("2021-01-02T10:00:04Z", "track", 268000, AUDIO_1),
        ("2021-01-05T10:00:00Z", "track", 268000, AUDIO_1),
    ]
    assert second.history()[0]["play_id"] == first.history()[1]["play_id"]
    assert f"Skipped {AUDIO_0}: imported before, unchanged" in caplog.text
    assert f"Skipped {VIDEO}: imported before, unchanged" in caplog.text
    assert third.history() == []
    imported = third.state["bookmarks"]["streaming_history"]["imported_files"]
    assert sorted(entry["file"] for entry in imported.values()) == [
        AUDIO_0,
        AUDIO_1,  # the first version
        AUDIO_1,  # the changed one
        VIDEO,
    ]


def test_a_file_present_twice_is_read_once(import_history, tmp_path, caplog):
    export = tmp_path / "export"
    shutil.copytree(EXTENDED, export)
    _zip(EXTENDED, export / "my_spotify_data.zip")

    with caplog.at_level(logging.INFO):
        run = import_history(export)

    assert len(run.history()) == 9
    assert f"Skipped my_spotify_data.zip/{AUDIO_0}: the same content as {AUDIO_0}" in caplog.text


# -- personal fields --------------------------------------------------------------------------


def test_personal_fields_are_left_out_by_default(import_history):
    run = import_history(EXPORTS)

    [schema] = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert not set(PERSONAL) & set(schema["schema"]["properties"])
    assert all(list(record) == COLUMNS for record in run.history())
    output = "\n".join(json.dumps(m) for m in run.messages)
    for value in ("203.0.113.7", "198.51.100.23", "exampleuser", "Mozilla/5.0", '"SG"'):
        assert value not in output


def test_personal_fields_are_kept_on_request_under_one_name(import_history):
    run = import_history(EXPORTS / "older", history_keep_personal_fields=True)

    [schema] = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert list(schema["schema"]["properties"]) == COLUMNS[:-2] + PERSONAL + COLUMNS[-2:]
    combined, jack, _ = run.history()
    # endsong's ip_addr_decrypted is ip_addr; Account data has no personal fields.
    assert {name: jack[name] for name in PERSONAL} == {
        "ip_addr": "203.0.113.7",
        "user_agent_decrypted": "unknown",
        "conn_country": "SG",
        "username": "exampleuser",
    }
    assert {name: combined[name] for name in PERSONAL} == dict.fromkeys(PERSONAL)


def test_keeping_personal_fields_later_reads_imported_files_again(import_history):
    first = import_history(EXTENDED)

    second = import_history(EXTENDED, state=first.state, history_keep_personal_fields=True)

    assert _keys(second) == _keys(first)
    assert second.history()[0]["conn_country"] == "SG"


# -- the scheduled sync -----------------------------------------------------------------------


def test_without_history_path_the_stream_writes_nothing(spotify_server, sync_tap):
    spotify_server.add_plays(3)

    run = sync_tap(spotify_server.tap_config())

    assert [m for m in run.messages if m.get("stream") == "streaming_history"] == []
    assert "streaming_history" not in run.state["bookmarks"]
    assert len(run.played_at()) == 3


def test_without_history_path_the_export_reader_is_not_imported(spotify_server, run_cli):
    spotify_server.add_plays(1)

    run = run_cli(spotify_server.tap_config(), env={"PYTHONPROFILEIMPORTTIME": "1"})

    assert run.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "tap_spotify_recent.streams" in imported  # the import log works
    assert not {"ijson", "tap_spotify_recent.export"} & imported


def test_history_and_recently_played_in_one_run_keep_their_own_state(spotify_server, sync_tap):
    plays = spotify_server.add_plays(3)

    run = sync_tap(spotify_server.tap_config(history_path=str(EXTENDED)))

    assert run.played_at() == [p["played_at"] for p in plays]
    assert len(run.history()) == 9
    bookmarks = run.state["bookmarks"]
    assert bookmarks["recently_played"]["replication_key_value"] == plays[-1]["played_at"]
    assert len(bookmarks["streaming_history"]["imported_files"]) == 3


# -- an import needs no live API --------------------------------------------------------------


def test_an_export_imports_without_spotify_credentials_and_says_the_live_feed_is_skipped(
    run_cli,
):
    run = run_cli({"history_path": str(EXPORTS / "account_data")})  # every stream selected

    assert run.returncode == 0, run.stderr
    assert {r["source_file"] for r in run.history()} == {AUDIOBOOK, MUSIC, PODCAST}
    assert run.records.keys() == {"streaming_history"}
    [warning] = [line for line in run.stderr.splitlines() if "| WARNING" in line]
    assert warning.endswith(
        "Importing only the data export at history_path: recently_played and listening_gaps "
        "(the live feed) are skipped, as client_id and client_secret and refresh_token are not "
        "set. To sync the live feed too, set client_id, client_secret and refresh_token "
        "(`tap-spotify-recent auth`)."
    )


def test_a_wrong_history_path_fails_before_any_request_to_spotify(
    spotify_server, run_cli, tmp_path
):
    spotify_server.add_plays(3)

    run = run_cli(spotify_server.tap_config(history_path=str(tmp_path / "Downloads")))

    assert run.returncode == 1
    [error] = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert error.endswith(
        f"history_path '{tmp_path / 'Downloads'}' does not exist (or cannot be read)."
    )
    assert spotify_server.requests == []
    assert run.records == {}


def test_a_revoked_refresh_token_does_not_stop_the_import(spotify_server, run_cli):
    spotify_server.add_plays(3)
    spotify_server.revoke_refresh_tokens()

    run = run_cli(spotify_server.tap_config(history_path=str(EXPORTS / "account_data")))

    assert run.returncode == 1
    assert "Spotify rejected the refresh_token setting" in run.stderr
    assert len(run.history()) == 4
    assert "recently_played" not in run.records
    imported = run.state["bookmarks"]["streaming_history"]["imported_files"]
    assert sorted(entry["file"] for entry in imported.values()) == [AUDIOBOOK, MUSIC, PODCAST]
