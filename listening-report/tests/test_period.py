"""Time zones and date bounds: the offsets the SQL applies, what --since and --until mean."""

from __future__ import annotations

import datetime as dt

import pytest
from listening_report.period import (
    UTC,
    local_time_sql,
    offset_changes,
    parse_bound,
    parse_timezone,
)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_offset_changes_finds_half_hour_daylight_saving_changes():
    # Lord Howe Island: +11 in summer, +10:30 in winter; DST ends on the first Sunday
    # of April at 02:00 local (15:00 UTC on Saturday) and starts on the first Sunday of
    # October at 02:00 local standard time (15:30 UTC on Saturday).
    changes = offset_changes(
        parse_timezone("Australia/Lord_Howe"), utc(2024, 1, 1), utc(2025, 1, 1)
    )

    assert changes == [
        (utc(2024, 1, 1), 660),
        (utc(2024, 4, 6, 15, 0), 630),
        (utc(2024, 10, 5, 15, 30), 660),
    ]


def test_local_time_sql_switches_offset_at_each_change():
    changes = [(utc(2024, 1, 1), 60), (utc(2024, 3, 31, 1), 120)]

    sql, params = local_time_sql("played_at", changes)

    assert sql == (
        "strftime('%Y-%m-%dT%H:%M:%f', played_at, CASE WHEN played_at < ? THEN ? ELSE ? END)"
    )
    assert params == ("2024-03-31T01:00:00.000Z", "+60 minutes", "+120 minutes")


def test_a_date_bound_covers_whole_local_days():
    berlin = parse_timezone("Europe/Berlin")

    since = parse_bound("2024-02-01", berlin)
    until = parse_bound("2024-02-04", berlin, end=True)

    assert since.astimezone(UTC) == utc(2024, 1, 31, 23)
    assert until.astimezone(UTC) == utc(2024, 2, 4, 23)


def test_a_date_time_bound_is_read_in_the_zone_unless_it_has_an_offset():
    berlin = parse_timezone("Europe/Berlin")

    assert parse_bound("2024-07-01T12:00", berlin).astimezone(UTC) == utc(2024, 7, 1, 10)
    assert parse_bound("2024-07-01T12:00Z", berlin).astimezone(UTC) == utc(2024, 7, 1, 12)


@pytest.mark.parametrize("text", ["yesterday", "2024-02-30", "2024/02/01"])
def test_a_bound_that_is_no_iso_date_is_refused(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_bound(text, parse_timezone("UTC"))
