"""Date-times: one instant is one stored text, text order is time order, old rows migrate.

Every database test runs against a local file and against sqld.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re

import libsql_experimental
import pytest
from target_turso.datetimes import InvalidDateTimeError, canonical_date_time

UTC = dt.timezone.utc
MOMENTS = {
    "type": "SCHEMA",
    "stream": "moments",
    "key_properties": ["at"],
    "schema": {
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "v": {"type": ["string", "null"]},
        }
    },
}


def moment(at: str, v: str) -> dict:
    return {"type": "RECORD", "stream": "moments", "record": {"at": at, "v": v}}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2016-12-13T20:44:04.589Z", "2016-12-13T20:44:04.589+00:00"),
        ("2024-01-01T05:30:00+05:30", "2024-01-01T00:00:00+00:00"),
        ("2024-03-01T12:30:00+0200", "2024-03-01T10:30:00+00:00"),
        ("2024-01-01T00:00:00.500000Z", "2024-01-01T00:00:00.5+00:00"),
        ("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00+00:00"),
        ("2024-01-01 10:00:00", "2024-01-01T10:00:00+00:00"),
        ("2024-01-01T10:00Z", "2024-01-01T10:00:00+00:00"),
        ("2024-01-01T10:00:00-00:00", "2024-01-01T10:00:00+00:00"),
        ("1850-01-01T00:00:00+05:21:10", "1849-12-31T18:38:50+00:00"),
        ("2023-12-31T23:00:00.123456789-01:00", "2024-01-01T00:00:00.123456789+00:00"),
        ("20240101T100000Z", "2024-01-01T10:00:00+00:00"),
        ("2024-01-01", "2024-01-01T00:00:00+00:00"),
        ("9999-12-31T23:59:59.999", "9999-12-31T23:59:59.999+00:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
    ],
)
def test_date_times_are_stored_as_canonical_utc_text(sent, stored):
    assert canonical_date_time(sent) == stored


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("2024-13-45T99:99:99Z", "month must be in 1..12"),
        ("2024-02-30T00:00:00Z", "day is out of range for month"),
        ("2024-01-01T23:59:60Z", "second must be in 0..59"),
        ("9999-12-31T23:59:59.999999", "past the year 9999"),
        ("9999-12-31T23:00:00-01:00", "outside the years 0001-9999"),
        ("0001-01-01T00:00:00+01:00", "outside the years 0001-9999"),
        ("2024-01-01T00:00:00+24:00", "the offset +24:00 is out of range"),
    ],
)
def test_date_times_no_instant_or_sqlite_can_read_are_refused_with_the_reason(sent, reason):
    with pytest.raises(InvalidDateTimeError, match=re.escape(reason)):
        canonical_date_time(sent)


def test_one_instant_under_two_offsets_is_one_row_and_text_order_is_time_order(database, load_file):
    load_file("one_instant_two_offsets")
    rows = database.query(
        f'SELECT "at", "v", julianday("at") IS NOT NULL FROM {database.table("moments")} '
        'ORDER BY "at"'
    )
    assert rows == [
        ("1849-12-31T18:38:50+00:00", "local mean time", 1),
        ("2024-01-01T00:00:00+00:00", "same instant in India", 1),
        ("2024-01-01T00:00:00.123456789+00:00", "nanoseconds", 1),
        ("2024-01-01T00:00:00.5+00:00", "half a second later", 1),
        ("2024-01-01T00:00:01+00:00", "no offset is UTC", 1),
    ]


def random_spellings(rng: random.Random, n: int) -> list[tuple[dt.datetime, str]]:
    """n spellings of n/2 random instants, each with a random offset and precision."""
    base = dt.datetime(1900, 1, 1, tzinfo=UTC)
    instants = [
        base
        + dt.timedelta(
            seconds=rng.randrange(4 * 10**9),
            microseconds=rng.choice([0, 500_000, 123_000, rng.randrange(10**6)]),
        )
        for _ in range(n // 2)
    ]
    spelled = []
    for _ in range(n):
        instant = rng.choice(instants)
        local = instant.astimezone(dt.timezone(dt.timedelta(minutes=rng.choice(OFFSETS))))
        precisions = ["microseconds"]
        precisions += ["milliseconds"] if local.microsecond % 1000 == 0 else []
        precisions += ["seconds"] if local.microsecond == 0 else []
        text = local.isoformat(timespec=rng.choice(precisions))
        if text.endswith("+00:00") and rng.random() < 0.5:
            text = text.removesuffix("+00:00") + "Z"
        spelled.append((instant, text))
    return spelled


OFFSETS = [0, 0, 60, -300, 330, 345, -720, 840]


def test_random_spellings_of_random_instants_sort_and_merge_by_instant(database, load_text, singer):
    rng = random.Random(20261129)
    spelled = random_spellings(rng, 2000)
    load_text(
        database.config,
        singer(MOMENTS, *(moment(text, str(instant.timestamp())) for instant, text in spelled)),
    )
    rows = database.query(f'SELECT "at", "v" FROM {database.table("moments")} ORDER BY "at"')
    instants = sorted({instant for instant, _ in spelled})
    assert [dt.datetime.fromisoformat(at) for at, _ in rows] == instants
    assert [v for _, v in rows] == [str(instant.timestamp()) for instant in instants]


def write_as_an_earlier_version(database, rows: list[tuple[str, str]]) -> None:
    """The table as target-turso 0.1.0 left it: date-times kept verbatim, key on the text."""
    db = libsql_experimental.connect(database.url)
    table = database.table("moments")
    db.execute(f'CREATE TABLE {table} ("at" TEXT, "v" TEXT, PRIMARY KEY ("at"))')
    for row in rows:
        db.execute(f'INSERT INTO {table} ("at", "v") VALUES (?, ?)', row)
    db.commit()
    db.close()


def test_rows_an_earlier_version_stored_are_rewritten_and_merge_with_new_ones(
    database, load_text, singer, caplog
):
    caplog.set_level(logging.INFO)
    write_as_an_earlier_version(
        database,
        [
            ("2024-01-01T05:30:00+05:30", "old, India"),
            ("2024-01-01T00:00:00Z", "old, UTC, inserted last"),
            ("2024-01-02T10:00:00.123Z", "old Spotify play"),
            ("2024-01-03T00:00:00", "old, no offset"),
            ("not a date", "kept as it is"),
        ],
    )
    load_text(database.config, singer(MOMENTS, moment("2024-01-02T10:00:00.123Z", "new")))
    rows = database.query(f'SELECT "at", "v" FROM {database.table("moments")} ORDER BY "at"')
    assert rows == [
        ("2024-01-01T00:00:00+00:00", "old, UTC, inserted last"),
        ("2024-01-02T10:00:00.123+00:00", "new"),
        ("2024-01-03T00:00:00+00:00", "old, no offset"),
        ("not a date", "kept as it is"),
    ]
    assert (
        f"Table '{database.prefix}moments': 4 stored date-time texts not in the canonical form "
        "(earlier versions kept them as sent) rewritten to UTC (+00:00); 1 rows that held an "
        "instant under another spelling merged"
    ) in caplog.text
    assert "1 stored texts are no date-time SQLite can read; left as they are" in caplog.text


def test_a_table_already_in_canonical_form_is_left_unchanged(database, load_file, caplog):
    load_file("one_instant_two_offsets")
    load_file("one_instant_two_offsets")
    assert "rewritten to UTC" not in caplog.text
    assert database.query(f"SELECT count(*) FROM {database.table('moments')}") == [(5,)]


def test_a_tables_stored_date_times_are_checked_once_not_every_run(database, load_text, singer):
    write_as_an_earlier_version(database, [("2024-01-01T05:30:00+05:30", "old, India")])
    load_text(database.config, singer(MOMENTS, moment("2024-01-02T00:00:00Z", "first run")))
    # Written behind the target's back after the check: a second run does not scan again
    # (a scheduled run must not read a whole table per date-time column).
    db = libsql_experimental.connect(database.url)
    db.execute(
        f'INSERT INTO {database.table("moments")} ("at", "v") VALUES (?, ?)',
        ("2024-01-03T00:00:00Z", "written by another program"),
    )
    db.commit()
    db.close()
    load_text(database.config, singer(MOMENTS, moment("2024-01-04T00:00:00Z", "second run")))

    rows = database.query(f'SELECT "at", "v" FROM {database.table("moments")} ORDER BY "at"')
    assert rows == [
        ("2024-01-01T00:00:00+00:00", "old, India"),
        ("2024-01-02T00:00:00+00:00", "first run"),
        ("2024-01-03T00:00:00Z", "written by another program"),
        ("2024-01-04T00:00:00+00:00", "second run"),
    ]
    marks = database.query(
        f"SELECT table_name, column_name, migration FROM "
        f"{database.table('_target_turso_migrations')}"
    )
    assert marks == [(f"{database.prefix}moments", "at", "canonical-date-times")]
