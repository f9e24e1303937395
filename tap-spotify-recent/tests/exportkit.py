"""Export entries and folders for the tests, written as Spotify ships them."""

from __future__ import annotations

import json
from pathlib import Path


def extended_entry(**fields: object) -> dict:
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


def good_entries(count: int) -> list[dict]:
    """``count`` valid entries, a minute apart from 2020-04-11T00:00:00Z."""
    return [extended_entry(ts=f"2020-04-11T00:{minute:02d}:00Z") for minute in range(count)]
