"""A synthetic but lifelike listening history, as Singer messages from the tap.

Artists are popular by a Zipf law and are discovered over time; days follow a weekly
rhythm with days off; hours peak at the commute and in the evening; a few tracks are
local files and a few are collaborations. Deterministic for a given seed.

    python benchmarks/history.py 100000 > plays.singer

`write_export` writes the Spotify data export (Extended streaming history) of such a history,
as the tap's `history_path` reads it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import sys
from pathlib import Path
from typing import TextIO

SCHEMA_SOURCE = Path(__file__).parents[1] / "tests" / "data_files" / "known_history.singer"
# By UTC hour, for a listener in Central Europe: quiet nights, commute, evenings.
HOUR_WEIGHTS = [0, 0, 0, 0, 0.1, 0.5, 3, 5, 4, 3, 3, 4, 4, 4, 4, 5, 6, 6, 6, 7, 6, 3, 0, 0]
SYLLABLES = ["lo", "ra", "ne", "vi", "sol", "mar", "ka", "ten", "dor", "el", "sun", "mi", "zo"]


def _name(rng: random.Random, words: int) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()
        for _ in range(words)
    )


def _catalog(rng: random.Random, artists: int) -> list[list[dict]]:
    """Tracks (as Spotify TrackObjects) of each artist, most popular artist first."""
    people = [
        {
            "id": f"a{i}",
            "name": _name(rng, rng.randint(1, 2)),
            "uri": f"spotify:artist:a{i}",
            "type": "artist",
        }
        for i in range(artists)
    ]
    catalog = []
    for i, person in enumerate(people):
        tracks = []
        for a in range(rng.randint(1, 4)):
            album_id = f"al{i}x{a}"
            album = {
                "id": album_id,
                "name": _name(rng, rng.randint(1, 3)),
                "uri": f"spotify:album:{album_id}",
                "release_date": f"{rng.randint(1970, 2024)}",
                "images": [],
                "artists": [person],
            }
            for n in range(rng.randint(5, 12)):
                credits = [person]
                if rng.random() < 0.15:
                    credits.append(people[rng.randrange(artists)])
                track_id = f"t{i}x{a}x{n}"
                tracks.append(
                    {
                        "id": track_id,
                        "name": _name(rng, rng.randint(1, 4)),
                        "uri": f"spotify:track:{track_id}",
                        "duration_ms": rng.randint(95, 420) * 1000,
                        "explicit": rng.random() < 0.1,
                        "is_local": False,
                        "artists": credits,
                        "album": album,
                    }
                )
        catalog.append(tracks)
    local = {"id": None, "name": "Home Recordings", "uri": None, "type": "artist"}
    catalog.append(
        [
            {
                "id": None,
                "name": f"Voice memo {n}",
                "uri": f"spotify:local:Home:Memos:Voice+memo+{n}:90",
                "duration_ms": 90_000,
                "explicit": False,
                "is_local": True,
                "artists": [local],
                "album": {
                    "id": None,
                    "name": "Memos",
                    "uri": None,
                    "images": [],
                    "artists": [local],
                },
            }
            for n in range(5)
        ]
    )
    return catalog


def plays(count: int, seed: int = 7, start: dt.date = dt.date(2023, 1, 2)) -> list[dict]:
    """Return `count` PlayHistoryObjects, oldest first."""
    rng = random.Random(seed)
    catalog = _catalog(rng, max(20, count // 60))
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(catalog) - 1)]
    cumulative = list(itertools.accumulate(weights))  # what choices() would compute each time
    per_day = 90
    days = count // per_day + 1
    # Artist i is first heard on day `debut[i]`: most early on, a trickle later.
    debut = [int(days * (i / len(weights)) ** 1.6) for i in range(len(weights))]
    result: list[dict] = []
    day = idle_until = start
    while len(result) < count:
        if rng.random() < 0.01:  # now and then a week without music
            idle_until = day + dt.timedelta(days=rng.randint(3, 10))
        idle = day < idle_until or rng.random() < 0.1
        weekend = day.weekday() >= 5
        n = 0 if idle else max(1, int(rng.gauss(per_day * (1.25 if weekend else 0.95), 25)))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=min(n, count - len(result)))
        index = (day - start).days
        for hour in sorted(hours):
            if rng.random() < 0.01:
                track = rng.choice(catalog[-1])
            else:
                artist = rng.choices(range(len(weights)), cum_weights=cumulative)[0]
                while debut[artist] > index:
                    artist = rng.randrange(artist + 1)
                track = rng.choice(catalog[artist])
            moment = dt.datetime.combine(day, dt.time(hour), dt.timezone.utc) + dt.timedelta(
                seconds=rng.randrange(3600), milliseconds=rng.randrange(1000)
            )
            result.append({"played_at": moment, "track": track, "context": None})
        day += dt.timedelta(days=1)
    result.sort(key=lambda play: play["played_at"])
    for previous, play in itertools.pairwise(result):  # played_at is the key: keep it unique
        if play["played_at"] <= previous["played_at"]:
            play["played_at"] = previous["played_at"] + dt.timedelta(milliseconds=1)
    for play in result:
        play["played_at"] = play["played_at"].isoformat(timespec="milliseconds")[:-6] + "Z"
    return result


def write_singer(history: list[dict], out: TextIO) -> None:
    """Write SCHEMA, RECORD and gap messages for the plays of `history` to `out`."""
    messages = [json.loads(line) for line in SCHEMA_SOURCE.read_text().splitlines()]
    schemas = [m for m in messages if m["type"] == "SCHEMA"]
    out.write(json.dumps(schemas[0]) + "\n")
    for play in history:
        out.write(
            json.dumps({"type": "RECORD", "stream": "recently_played", "record": play}) + "\n"
        )
    out.write(json.dumps(schemas[1]) + "\n")
    for k in (len(history) // 3, 2 * len(history) // 3):
        bookmark, oldest = history[k]["played_at"], history[k + 1]["played_at"]
        record = {"detected_at": oldest, "bookmark": bookmark, "oldest_returned_played_at": oldest}
        out.write(
            json.dumps({"type": "RECORD", "stream": "listening_gaps", "record": record}) + "\n"
        )


EXPORT_FILE_ENTRIES = 15_000
"""About as many entries as Spotify puts in one 12 MB Streaming_History_Audio file."""


def _export_entry(moment: dt.datetime, ms_played: int, track: dict | None) -> dict:
    """An Extended streaming history entry (as Spotify writes it) of `track` or an episode."""
    album = (track or {}).get("album") or {}
    return {
        "ts": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": "Android OS 14 API 34 (Google, Pixel 8)",
        "ms_played": ms_played,
        "conn_country": "DE",
        "ip_addr": "192.0.2.1",
        "master_metadata_track_name": track and track["name"],
        "master_metadata_album_artist_name": track and album["artists"][0]["name"],
        "master_metadata_album_album_name": track and album["name"],
        "spotify_track_uri": track and track["uri"],
        "episode_name": None if track else "Episode of the day",
        "episode_show_name": None if track else "The Daily Show",
        "spotify_episode_uri": None if track else "spotify:episode:daily",
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": None,
        "incognito_mode": False,
    }


def write_export(history: list[dict], folder: Path, seed: int = 11) -> int:
    """Write the Extended streaming history of `history` to `folder`; return its entries.

    Each play ends 0-3 s before its `played_at`, to the second; about one play in eight is
    preceded by a skip (under 30 s), one in fifty by a podcast episode, and one in two
    hundred is exported twice, as Spotify's exports do.
    """
    rng = random.Random(seed)
    entries = []
    for play in history:
        ended = dt.datetime.fromisoformat(play["played_at"].replace("Z", "+00:00"))
        ended -= dt.timedelta(seconds=rng.randint(0, 3))
        if rng.random() < 0.125:
            entries.append(_export_entry(ended - dt.timedelta(minutes=1), 4_000, play["track"]))
        if rng.random() < 0.02:
            entries.append(_export_entry(ended - dt.timedelta(minutes=2), 600_000, None))
        entry = _export_entry(ended, play["track"]["duration_ms"], play["track"])
        entries.append(entry)
        if rng.random() < 0.005:
            entries.append(entry)
    folder.mkdir(parents=True, exist_ok=True)
    for n, start in enumerate(range(0, len(entries), EXPORT_FILE_ENTRIES)):
        chunk = entries[start : start + EXPORT_FILE_ENTRIES]
        years = f"{chunk[0]['ts'][:4]}-{chunk[-1]['ts'][:4]}"
        path = folder / f"Streaming_History_Audio_{years}_{n}.json"
        path.write_text(json.dumps(chunk, ensure_ascii=False))
    return len(entries)


if __name__ == "__main__":
    write_singer(plays(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), sys.stdout)
