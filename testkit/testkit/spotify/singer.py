"""What tap-spotify-recent writes for fake plays: Singer messages with the tap's own streams.

The stream names, schemas and keys are imported from the tap (it must be installed), never
copied, so a benchmark loads exactly what the tap would send::

    python -m testkit.spotify.singer 100000 > plays.singer    # a listener's 100,000 plays
"""

from __future__ import annotations

import json
import sys
import typing as t

from tap_spotify_recent.streams import ListeningGapsStream, RecentlyPlayedStream

from testkit.spotify.listening import history


def _line(message: dict[str, t.Any]) -> str:
    # Compact, as singer-sdk taps write their messages.
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def _schema(stream: type[RecentlyPlayedStream | ListeningGapsStream]) -> str:
    return _line(
        {
            "type": "SCHEMA",
            "stream": stream.name,
            "schema": stream.schema,
            "key_properties": stream.primary_keys,
        }
    )


def tap_output(
    plays: t.Sequence[dict[str, t.Any]], *, state_every: int = 1000, gaps: int = 0
) -> t.Iterator[str]:
    """The lines of a run that emits ``plays`` (oldest first) to ``recently_played``.

    A STATE message follows every ``state_every`` records and the last one; then come
    ``gaps`` evenly spread ``listening_gaps`` records (the run missed plays there).
    """
    stream = RecentlyPlayedStream.name
    yield _schema(RecentlyPlayedStream)
    for number, play in enumerate(plays, start=1):
        yield _line({"type": "RECORD", "stream": stream, "record": play})
        if number % state_every == 0 or number == len(plays):
            bookmark = {"replication_key": "played_at", "replication_key_value": play["played_at"]}
            yield _line({"type": "STATE", "value": {"bookmarks": {stream: bookmark}}})
    if gaps:
        yield _schema(ListeningGapsStream)
    for k in range(1, gaps + 1):
        at = k * len(plays) // (gaps + 1)
        bookmark, oldest = plays[at]["played_at"], plays[at + 1]["played_at"]
        record = {"detected_at": oldest, "bookmark": bookmark, "oldest_returned_played_at": oldest}
        yield _line({"type": "RECORD", "stream": ListeningGapsStream.name, "record": record})


if __name__ == "__main__":
    for line in tap_output(history(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)):
        sys.stdout.write(line + "\n")
