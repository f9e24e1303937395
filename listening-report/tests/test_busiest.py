"""The busiest 50 plays, kept per day in `report_busiest_spans`: after each change (new days,
late plays behind the bookmark, plays deleted), the same rows as the reference SQL over every
play, and the same table as a rebuild.

The plays fall about 20 a day over two weeks, so that each span of 50 plays reaches over two
or three days: a changed play changes the spans of the days before it.
"""

from __future__ import annotations

import datetime as dt
import random

from .histories import CATALOG, write_live
from .reportkit import Database, load_singer
from .test_refresh import assert_tables_equal_a_rebuild, refresh, views

START = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)


def _records(rng: random.Random, count: int) -> list[dict]:
    moments = sorted(START + dt.timedelta(seconds=rng.randrange(14 * 86400)) for _ in range(count))
    return [
        {
            "played_at": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z",
            "track": rng.choice(CATALOG),
            "context": None,
        }
        for moment in moments
    ]


def assert_busiest_spans_equal_the_reference(database: Database) -> list[tuple]:
    plain = views(database)
    stored = database.query("SELECT * FROM busiest_spans")
    assert stored == database.query(plain.report_with_clause() + "SELECT * FROM busiest_spans")
    return stored


def test_busiest_spans_follow_new_days_late_plays_and_deletions(tmp_path):
    database = Database(str(tmp_path / "plays.db"))
    records = _records(random.Random(11), 280)
    early, late = records[::2], records[1::2]

    def load(batch: list[dict], name: str) -> None:
        load_singer(database, write_live(tmp_path / f"{name}.singer", batch), tmp_path)
        refresh(database)

    load(early[:100], "first-days")
    first = assert_busiest_spans_equal_the_reference(database)
    load(early[100:], "new-days")
    load(late[40:90], "late-plays")  # behind the bookmark, in the middle of the history
    assert_busiest_spans_equal_the_reference(database)
    database.query(
        "DELETE FROM recently_played WHERE played_at IN (SELECT played_at FROM recently_played "
        "WHERE played_at > '2025-03-05' ORDER BY played_at LIMIT 25)"
    )
    refresh(database)
    assert_busiest_spans_equal_the_reference(database)
    load(late[:40] + late[90:], "the-rest")
    spans = assert_busiest_spans_equal_the_reference(database)

    assert len(first) >= 3  # the first 100 plays: spans starting on several days
    # A span of 50 plays starts on each day of a play with 49 after it.
    times = [t for (t,) in database.query("SELECT played_at FROM recently_played ORDER BY 1")]
    assert len(times) == 280 - 25
    assert [day for day, *_ in spans] == sorted({t[:10] for t in times[: len(times) - 49]})
    assert len(spans) == 11
    assert_tables_equal_a_rebuild(database)
