"""Random but seeded listening histories, as the live feed and the Spotify data export show
them, for the refresh's property tests.

A listener's true plays are drawn from a small catalog built to make the merge work: two
tracks share a title, two artists share a name, a collaboration, a compilation, a local
file, a track only ever heard in the export, a track short enough to be replayed within
a minute. The live feed sees most plays (`played_at` to the millisecond, just after the
end); the export sees them to the second (Extended streaming history, entries as the test
kit writes them) or to the minute (Account data), with skips, podcast episodes, rows
exported twice and a row exported again a few seconds later. And what no play can be (a
wrong clock, a damaged export): plays dated 0001 or 9999, lengths past 24 hours.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from testkit.spotify.export import FOLDER, play_entry

from .reportkit import DATA_FILES

UTC = dt.timezone.utc
START = dt.datetime(2024, 3, 4, 6, 0, tzinfo=UTC)


def _artist(name: str, uri: str | None) -> dict:
    return {"id": uri and uri.rsplit(":", 1)[1], "name": name, "uri": uri, "type": "artist"}


AURORA = _artist("Aurora Lane", "spotify:artist:aurora")
DUNE = _artist("Dune Echo", "spotify:artist:dune")
CINDER = _artist("Cinder", "spotify:artist:cinder")
BASIL = _artist("Basil Quartet", "spotify:artist:basil")
FJORD = _artist("Fjord Lights", "spotify:artist:fjord")
NOVA_1 = _artist("Nova", "spotify:artist:nova1")
NOVA_2 = _artist("Nova", "spotify:artist:nova2")
VARIOUS = _artist("Various Artists", "spotify:artist:various")
HOME = _artist("Home Tapes", None)


def _track(key: str, name: str, artists: list, album: tuple, ms: int) -> dict:
    album_name, album_uri, album_artists = album
    local = key.startswith("spotify:local:")
    return {
        "id": None if local else key.rsplit(":", 1)[1],
        "name": name,
        "uri": key,
        "duration_ms": ms,
        "explicit": False,
        "is_local": local,
        "artists": artists,
        "album": {
            "id": album_uri and album_uri.rsplit(":", 1)[1],
            "name": album_name,
            "uri": album_uri,
            "images": [],
            "artists": album_artists,
        },
    }


FIRST_LIGHT = ("First Light", "spotify:album:firstlight", [AURORA])
CATALOG = [
    _track("spotify:track:morning", "Morning", [AURORA], FIRST_LIGHT, 200_000),
    _track("spotify:track:evening", "Evening", [AURORA, DUNE], FIRST_LIGHT, 240_000),
    _track(
        "spotify:track:morning2",
        "Morning",
        [CINDER],
        ("Ash", "spotify:album:ash", [CINDER]),
        120_000,
    ),
    _track(
        "spotify:track:strings",
        "Strings",
        [BASIL],
        ("Quartet", "spotify:album:q", [BASIL]),
        600_000,
    ),
    _track(
        "spotify:track:tide", "Tide", [NOVA_1], ("Tides", "spotify:album:tides", [NOVA_1]), 180_000
    ),
    _track(
        "spotify:track:drift",
        "Drift",
        [NOVA_2],
        ("Drift", "spotify:album:drift", [NOVA_2]),
        150_000,
    ),
    _track(
        "spotify:track:evening-best",
        "Evening",
        [AURORA],
        ("Best of", "spotify:album:best", [VARIOUS]),
        240_000,
    ),
    _track(
        "spotify:local:Home+Tapes:Garage+Demos:Demo+1:120",
        "Demo 1",
        [HOME],
        ("Garage Demos", None, [HOME]),
        120_000,
    ),
    _track("spotify:track:short", "Short", [DUNE], ("Ash", "spotify:album:ash", [CINDER]), 35_000),
    # Only in the export until a step plays it live.
    _track("spotify:track:opening", "Opening", [FJORD], ("Northern", None, [FJORD]), 180_000),
]
EXPORT_ONLY = "spotify:track:opening"


@dataclass
class Play:
    """A play as it happened: when it ended, what, and for how long."""

    ended: dt.datetime
    track: dict
    ms_played: int


def true_plays(rng: random.Random, count: int) -> list[Play]:
    """`count` plays from START, a few minutes apart, some replayed within a minute."""
    plays, moment, track = [], START, CATALOG[0]
    for _ in range(count):
        if rng.random() > 0.2:  # else the same track again
            track = rng.choice(CATALOG)
        moment += dt.timedelta(seconds=rng.choice([40, 55, 65, 90, 150, 240, 400, 3600]))
        ms = track["duration_ms"] if rng.random() < 0.8 else rng.randint(30_000, 40_000)
        plays.append(Play(moment, track, ms))
    return plays


def _instant(moment: dt.datetime, precision: str) -> str:
    return moment.astimezone(UTC).isoformat(timespec=precision).replace("+00:00", "Z")


@dataclass
class Listener:
    """What the live feed and the exports of one listener hold, step by step."""

    rng: random.Random
    plays: list[Play]
    sent: dict[int, dict] = field(default_factory=dict)
    """Plays the live feed delivered: index -> PlayHistoryObject."""
    missed: list[int] = field(default_factory=list)
    cursor: int = 0
    renamed: bool = False

    def live_record(self, index: int) -> dict:
        play = self.plays[index]
        track = json.loads(json.dumps(play.track))
        if self.renamed and track["uri"] == "spotify:track:morning":
            track["name"] = "Morning (Remaster)"
            track["artists"] = [AURORA, CINDER]
        played_at = play.ended + dt.timedelta(milliseconds=self.rng.randint(1, 999))
        return {"played_at": _instant(played_at, "milliseconds"), "track": track, "context": None}

    def sync(self, count: int) -> list[dict]:
        """The next `count` plays; the feed misses one in ten (a late play later)."""
        records = []
        for index in range(self.cursor, min(self.cursor + count, len(self.plays))):
            if self.plays[index].track["uri"] == EXPORT_ONLY and not self.renamed:
                continue
            if self.rng.random() < 0.1:
                self.missed.append(index)
                continue
            self.sent[index] = self.live_record(index)
            records.append(self.sent[index])
        self.cursor += count
        return records

    def late(self) -> list[dict]:
        """Plays the feed missed, delivered now (behind the bookmark)."""
        records = []
        for index in self.missed:
            self.sent[index] = self.live_record(index)
            records.append(self.sent[index])
        self.missed = []
        return records

    def extended(self, until: int, *, keep: float = 1.0) -> list[dict]:
        """The Extended streaming history of the plays before `until` (an index)."""
        entries = []
        for play in self.plays[:until]:
            if self.rng.random() > keep:
                continue
            ended = play.ended - dt.timedelta(seconds=self.rng.randint(0, 3))
            if self.rng.random() < 0.1:
                entries.append(play_entry(play.track, ended - dt.timedelta(seconds=50), 4_000))
            if self.rng.random() < 0.05:
                entries.append(play_entry(None, ended - dt.timedelta(seconds=30), 600_000))
            entry = play_entry(play.track, ended, play.ms_played)
            entries.append(entry)
            roll = self.rng.random()
            if roll < 0.05:
                entries.append(entry)  # exported twice
            elif roll < 0.1:
                entries.append(
                    play_entry(play.track, ended + dt.timedelta(seconds=12), play.ms_played)
                )
        return entries

    def account_data(self, until: int) -> list[dict]:
        """Account data (to the minute, names only) of some plays before `until`, and a play
        only it has."""
        entries = [
            {
                "endTime": (play.ended - dt.timedelta(seconds=self.rng.randint(0, 3))).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                "artistName": play.track["artists"][0]["name"],
                "trackName": play.track["name"],
                "msPlayed": play.ms_played,
            }
            for play in self.plays[:until]
            if self.rng.random() < 0.6
        ]
        last = self.plays[until - 1].ended + dt.timedelta(minutes=7)
        entries.append(
            {"endTime": last.strftime("%Y-%m-%d %H:%M"), "artistName": "Nova",
             "trackName": "Tide", "msPlayed": 170_000}
        )  # fmt: skip
        return entries

    def impossible(self) -> tuple[list[dict], list[dict]]:
        """Live records and export rows no play can be, beside plays that are.

        Live: plays dated 9999 and 0001 (the 9999 one crediting other artists under
        another name, so it would change the credits of the track's exported plays if it
        counted as its latest play), and a play heard of a track said to last 2^63 - 1 ms
        (it counts 0 minutes). Export (as the target stores it: the tap refuses such
        rows): a track and an episode ending in 9999, Account data ending in 0001, and a
        track said to last 2^63 - 1 ms where a true play ended (it would pair with it).
        """
        heard = self.rng.choice(sorted(self.sent))
        damaged = json.loads(json.dumps(self.sent[heard]))
        damaged["track"]["duration_ms"] = 2**63 - 1
        future = json.loads(json.dumps(self.live_record(self.rng.randrange(len(self.plays)))))
        future["played_at"] = f"9999-12-31T23:59:59.{self.rng.randint(0, 999):03d}Z"
        future["track"]["name"] += " (from the future)"
        future["track"]["artists"] = [NOVA_2]
        past = self.live_record(self.rng.randrange(len(self.plays)))
        past["played_at"] = "0001-01-01T00:00:00.000Z"
        self.sent[heard] = damaged
        play = self.plays[self.rng.randrange(min(self.cursor, len(self.plays)) or 1)]
        rows = [
            _export_row("future", "9999-12-31T23:59:59Z", "extended", play.track, 200_000),
            _export_row("episode", "9999-12-31T23:59:59Z", "extended", None, 600_000),
            _export_row("past", "0001-01-01T00:00:00Z", "account_data", play.track, 200_000),
            _export_row("long", _instant(play.ended, "seconds"), "extended", play.track, 2**63 - 1),
        ]
        return [damaged, future, past], rows


def _export_row(
    name: str, ended_at: str, source_format: str, track: dict | None, ms_played: int
) -> dict:
    """A row of `streaming_history` as the target stores it."""
    album = (track or {}).get("album") or {}
    return {
        "play_id": f"impossible-{name}",
        "ended_at": ended_at,
        "ms_played": ms_played,
        "kind": "track" if track else "episode",
        "track_name": track and track["name"],
        "artist_name": track and album["artists"][0]["name"],
        "album_name": track and album["name"] if source_format == "extended" else None,
        "spotify_track_uri": track and track["uri"] if source_format == "extended" else None,
        "episode_name": None if track else "Episode",
        "episode_show_name": None if track else "The Show",
        "source_format": source_format,
        "source_file": "Spotify Extended Streaming History/Streaming_History_Audio_2024_0.json",
    }


def write_live(path: Path, records: list[dict], gaps: list[dict] = ()) -> Path:
    """A Singer stream of `records` (recently_played) and `gaps` (listening_gaps)."""
    schemas = [
        line
        for line in (DATA_FILES / "known_history.singer").read_text().splitlines()
        if json.loads(line)["type"] == "SCHEMA"
    ]
    lines = [schemas[0]]
    lines += [
        json.dumps({"type": "RECORD", "stream": "recently_played", "record": r}) for r in records
    ]
    lines.append(schemas[1])
    lines += [json.dumps({"type": "RECORD", "stream": "listening_gaps", "record": g}) for g in gaps]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_export_rows(path: Path, rows: list[dict]) -> Path:
    """A Singer stream of `rows` (streaming_history), for what the tap would not import."""
    schema = next(
        line
        for line in (DATA_FILES / "impossible_values.singer").read_text().splitlines()
        if json.loads(line).get("stream") == "streaming_history"
    )
    lines = [schema]
    lines += [
        json.dumps({"type": "RECORD", "stream": "streaming_history", "record": r}) for r in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_export(folder: Path, extended: list[dict], account: list[dict] = ()) -> Path:
    """A Spotify data export folder, as the tap's `history_path` reads it."""
    if extended:
        files = folder / FOLDER
        files.mkdir(parents=True)
        (files / "Streaming_History_Audio_2024_0.json").write_text(json.dumps(extended))
    if account:
        files = folder / "Spotify Account Data"
        files.mkdir(parents=True)
        (files / "StreamingHistory_music_0.json").write_text(json.dumps(account))
    return folder
