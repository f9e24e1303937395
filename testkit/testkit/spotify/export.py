"""Spotify's data export, as its privacy page ships it: Extended streaming history entries.

Documented at https://support.spotify.com/us/article/understanding-my-data/ (the fields of
``Streaming_History_Audio_*.json``). ``extended_entry`` is one fixed, valid entry for tests to
change a field of; ``export_entries`` is what an export says of a listener's plays (from
``testkit.spotify.listening``), with the skips, podcast episodes and repeated rows real
exports hold; ``write_extended_history`` writes them as the export's files.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import typing as t
from pathlib import Path

Entry = dict[str, t.Any]

FILE_ENTRIES = 15_000
"""About as many entries as Spotify puts in one 12 MB Streaming_History_Audio file."""
FOLDER = "Spotify Extended Streaming History"
"""The folder of the Extended streaming history in the export's zip."""


def extended_entry(**fields: object) -> Entry:
    """A valid Extended streaming history entry, with ``fields`` changed."""
    return {
        "ts": "2020-04-11T00:27:53Z",
        "platform": "ios",
        "ms_played": 174674,
        "conn_country": "SE",
        "ip_addr": "203.0.113.7",
        "master_metadata_track_name": "Teardrop",
        "master_metadata_album_artist_name": "Massive Attack",
        "master_metadata_album_album_name": "Mezzanine",
        "spotify_track_uri": "spotify:track:67Hna13dNDkZvBpTXRIaOJ",
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": None,
        "incognito_mode": False,
        **fields,
    }


def good_entries(count: int) -> list[Entry]:
    """``count`` valid entries, a minute apart from 2020-04-11T00:00:00Z."""
    return [extended_entry(ts=f"2020-04-11T00:{minute:02d}:00Z") for minute in range(count)]


def export_folder(tmp_path: Path, *files: tuple[str, object]) -> Path:
    """A folder holding the given files (name, JSON value, raw text or raw bytes)."""
    folder = tmp_path / "export"
    folder.mkdir()
    for name, content in files:
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            text = content if isinstance(content, str) else json.dumps(content)
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def play_entry(track: dict[str, t.Any] | None, ended: dt.datetime, ms_played: int) -> Entry:
    """The entry of a play of ``track`` (a TrackObject) that ended at ``ended``.

    A podcast episode when ``track`` is None. Local files have no track URI in exports.
    """
    skipped = track is not None and ms_played < track["duration_ms"]
    # Extended streaming history names the album's artist (a local file's album has none).
    album_artist = track and (track["album"]["artists"] or track["artists"])[0]["name"]
    return extended_entry(
        ts=ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
        platform="Android OS 14 API 34 (Google, Pixel 8)",
        ms_played=ms_played,
        master_metadata_track_name=track and track["name"],
        master_metadata_album_artist_name=album_artist,
        master_metadata_album_album_name=track and track["album"]["name"],
        spotify_track_uri=track and (None if track["is_local"] else track["uri"]),
        episode_name=None if track else "Episode of the day",
        episode_show_name=None if track else "The Daily Show",
        spotify_episode_uri=None if track else "spotify:episode:daily",
        audiobook_title=None,
        audiobook_uri=None,
        audiobook_chapter_uri=None,
        audiobook_chapter_title=None,
        reason_end="fwdbtn" if skipped else "trackdone",
        skipped=skipped,
    )


def export_entries(plays: t.Iterable[dict[str, t.Any]], seed: int = 11) -> t.Iterator[Entry]:
    """What the export says of ``plays`` (PlayHistoryObjects), in order.

    Each play ends 0-3 s before its ``played_at``, to the second; about one play in eight is
    preceded by a skip (4 s), one in fifty by a podcast episode, and one in two hundred is
    exported twice, as Spotify's exports do.
    """
    rng = random.Random(seed)
    for play in plays:
        track = play["track"]
        ended = dt.datetime.fromisoformat(play["played_at"].replace("Z", "+00:00"))
        ended -= dt.timedelta(seconds=rng.randint(0, 3))
        if rng.random() < 0.125:
            yield play_entry(track, ended - dt.timedelta(minutes=1), 4_000)
        if rng.random() < 0.02:
            yield play_entry(None, ended - dt.timedelta(minutes=2), 600_000)
        entry = play_entry(track, ended, track["duration_ms"])
        yield entry
        if rng.random() < 0.005:
            yield entry


def write_extended_history(
    entries: t.Iterable[Entry], folder: Path, per_file: int = FILE_ENTRIES
) -> int:
    """Write ``entries`` into ``folder`` (created) as the export's files; return how many.

    As Spotify names and lays them out: ``Streaming_History_Audio_<first year>-<last
    year>_<n>.json`` of ``per_file`` entries, indented by 2.
    """
    folder.mkdir(parents=True, exist_ok=True)
    iterator = iter(entries)
    written = 0
    while chunk := list(itertools.islice(iterator, per_file)):
        years = f"{chunk[0]['ts'][:4]}-{chunk[-1]['ts'][:4]}"
        path = folder / f"Streaming_History_Audio_{years}_{written // per_file}.json"
        path.write_text(json.dumps(chunk, ensure_ascii=False, indent=2), encoding="utf-8")
        written += len(chunk)
    return written
