"""The figures kept in tables: each follows the plays that changed, never all plays.

A refresh ends with the plays that changed in `report_plays` as a delta (`{delta}`: the
columns of `report_plays` and `sign`, +1 for a play added, -1 for a play removed; a
changed play is both). Each `Aggregate` then updates its tables from that delta alone:
counts and sums add the signed rows; what cannot be subtracted (the latest play, the
number of distinct tracks, a day's figures) is read again for the keys the delta
touched, through an index, one row or one day at a time. The first refresh (or a rebuild)
runs the same statements with every play in the delta.

To add a figure: declare its tables, indexes and statements as an `Aggregate`, append it to
AGGREGATES, and add the view that reads it in `views.MATERIALIZED_BODIES`. A rebuild
creates an aggregate's indexes after its statements filled its tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from listening_report.views import ARTIST_KEY, floor_div_sql, names_sql, weekday_sql


@dataclass(frozen=True)
class Aggregate:
    """Tables kept current from the delta of the plays, and the statements that do it."""

    tables: dict[str, str]
    """Name -> column definitions."""
    statements: tuple[str, ...]
    """SQL run in order, with `{delta}` and the report's tables (`{report_...}`) in braces."""
    indexes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Index name -> (table, columns)."""


def add_sql(table: str, keys: str, sums: dict[str, str], rows: str) -> str:
    """SQL adding the signed sums of `rows`, grouped by `keys`, to `table`."""
    not_null = " AND ".join(f"{key} IS NOT NULL" for key in keys.split(", "))
    columns = ", ".join(sums)
    totals = ", ".join(f"sum({expression})" for expression in sums.values())
    updates = ", ".join(f"{column} = {column} + excluded.{column}" for column in sums)
    return (
        f"INSERT INTO {table} ({keys}, {columns})\n"
        f"SELECT {keys}, {totals} FROM ({rows})\nWHERE {not_null}\nGROUP BY {keys}\n"
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def _drop_empty(table: str, key: str, touched: str) -> str:
    """SQL deleting the rows of `table` left without plays, among the keys `touched`."""
    return f"DELETE FROM {table} WHERE plays = 0 AND {key} IN ({touched})"


TOTALS = {"plays": "sign", "ms_played": "sign * ms_played"}

CREDITS = (
    "SELECT d.*, a.key AS credit_position, json_extract(a.value, '$.name') AS artist_name,\n"
    f"  {ARTIST_KEY} AS artist_key\n"
    "FROM {delta} AS d, json_each(d.artists) AS a"
)
"""Each credited artist of each play of the delta."""

TRACKS = Aggregate(
    tables={
        "report_tracks": (
            "(track_key PRIMARY KEY, plays INTEGER NOT NULL, ms_played INTEGER NOT NULL,"
            " last_played_at, track_name, artist_names, album_name)"
        ),
    },
    indexes={
        "report_tracks_rank": (
            "report_tracks",
            "(plays DESC, ms_played DESC, track_name, track_key)",
        ),
    },
    statements=(
        add_sql("{report_tracks}", "track_key", TOTALS, "SELECT * FROM {delta}"),
        _drop_empty("{report_tracks}", "track_key", "SELECT track_key FROM {delta}"),
        # The latest play names the track (a renamed track shows its current name).
        f"""UPDATE {{report_tracks}}
SET (last_played_at, track_name, artist_names, album_name) = (
  SELECT played_at, track_name, {names_sql("artists")}, album_name
  FROM {{report_plays}} AS p
  WHERE p.track_key = {{report_tracks}}.track_key
  ORDER BY played_at DESC, play_key DESC
  LIMIT 1
)
WHERE track_key IN (SELECT track_key FROM {{delta}})""",
    ),
)

PLAY_ARTISTS = Aggregate(
    # Each credit of each play: the `play_artists` view, and what artists' figures read.
    tables={
        "report_play_artists": (
            "(play_key TEXT NOT NULL, credit_position INTEGER NOT NULL, played_at, source,"
            " track_key, track_name, ms_played, artist_key, artist_name,"
            " PRIMARY KEY (play_key, credit_position)) WITHOUT ROWID"
        ),
    },
    indexes={
        "report_play_artists_artist": (
            "report_play_artists",
            "(artist_key, played_at, play_key, credit_position)",
        ),
    },
    statements=(
        "DELETE FROM {report_play_artists}\n"
        "WHERE play_key IN (SELECT play_key FROM {delta} WHERE sign < 0)",
        "INSERT INTO {report_play_artists} (play_key, credit_position, played_at, source,"
        " track_key, track_name, ms_played, artist_key, artist_name)\n"
        "SELECT play_key, credit_position, played_at, source, track_key, track_name,"
        f" ms_played, artist_key, artist_name\nFROM ({CREDITS})\nWHERE sign > 0\n"
        "ORDER BY play_key, credit_position",
    ),
)

ARTISTS = Aggregate(
    tables={
        "report_artists": (
            "(artist_key PRIMARY KEY, plays INTEGER NOT NULL, ms_played INTEGER NOT NULL,"
            " tracks INTEGER, last_played_at, artist_name, first_played_at,"
            " first_artist_name, first_track_name)"
        ),
        "report_artist_tracks": (
            "(artist_key NOT NULL, track_key NOT NULL, plays INTEGER NOT NULL,"
            " PRIMARY KEY (artist_key, track_key)) WITHOUT ROWID"
        ),
    },
    indexes={
        "report_artists_rank": (
            "report_artists",
            "(plays DESC, ms_played DESC, artist_name, artist_key)",
        ),
        "report_artists_first": ("report_artists", "(first_played_at, artist_key)"),
    },
    statements=(
        add_sql("{report_artists}", "artist_key", TOTALS, CREDITS),
        add_sql("{report_artist_tracks}", "artist_key, track_key", {"plays": "sign"}, CREDITS),
        _drop_empty("{report_artist_tracks}", "artist_key", f"SELECT artist_key FROM ({CREDITS})"),
        _drop_empty("{report_artists}", "artist_key", f"SELECT artist_key FROM ({CREDITS})"),
        # Latest credit: the name shown; first credit: when the artist was discovered.
        f"""UPDATE {{report_artists}}
SET tracks = (
    SELECT count(*) FROM {{report_artist_tracks}} AS t
    WHERE t.artist_key = {{report_artists}}.artist_key
  ),
  (last_played_at, artist_name) = (
    SELECT played_at, artist_name FROM {{report_play_artists}} AS a
    WHERE a.artist_key = {{report_artists}}.artist_key
    ORDER BY played_at DESC, play_key DESC, credit_position DESC
    LIMIT 1
  ),
  (first_played_at, first_artist_name, first_track_name) = (
    SELECT played_at, artist_name, track_name FROM {{report_play_artists}} AS a
    WHERE a.artist_key = {{report_artists}}.artist_key
    ORDER BY played_at, play_key, credit_position
    LIMIT 1
  )
WHERE artist_key IN (SELECT artist_key FROM ({CREDITS}))""",
    ),
)

ALBUMS = Aggregate(
    tables={
        "report_albums": (
            "(album_key PRIMARY KEY, plays INTEGER NOT NULL, ms_played INTEGER NOT NULL,"
            " tracks INTEGER, last_played_at, album_name, artist_names)"
        ),
        "report_album_tracks": (
            "(album_key NOT NULL, track_key NOT NULL, plays INTEGER NOT NULL,"
            " PRIMARY KEY (album_key, track_key)) WITHOUT ROWID"
        ),
    },
    indexes={
        "report_albums_rank": (
            "report_albums",
            "(plays DESC, ms_played DESC, album_name, album_key)",
        ),
    },
    statements=(
        add_sql("{report_albums}", "album_key", TOTALS, "SELECT * FROM {delta}"),
        add_sql(
            "{report_album_tracks}",
            "album_key, track_key",
            {"plays": "sign"},
            "SELECT * FROM {delta}",
        ),
        _drop_empty("{report_album_tracks}", "album_key", "SELECT album_key FROM {delta}"),
        _drop_empty("{report_albums}", "album_key", "SELECT album_key FROM {delta}"),
        f"""UPDATE {{report_albums}}
SET tracks = (
    SELECT count(*) FROM {{report_album_tracks}} AS t
    WHERE t.album_key = {{report_albums}}.album_key
  ),
  (last_played_at, album_name, artist_names) = (
    SELECT played_at, album_name, {names_sql("album_artists")} FROM {{report_plays}} AS p
    WHERE p.album_key = {{report_albums}}.album_key
    ORDER BY played_at DESC, play_key DESC
    LIMIT 1
  )
WHERE album_key IN (SELECT album_key FROM {{delta}})""",
    ),
)


def _periods(table: str, period: str, start: str, end: str) -> tuple[str, str]:
    """SQL recomputing `table` for the periods the delta touched, from their plays.

    A period's row holds its plays, listening time and distinct tracks (UTC periods).
    `start` is SQL for the period a `played_at` falls in (its first day, as text); `end`
    for the day after it, from `{period}`. Instants are text, so text order is time order.
    """
    touched = f"SELECT DISTINCT {start} AS {period} FROM {{delta}}"
    return (
        f"DELETE FROM {table} WHERE {period} IN ({touched})",
        f"""INSERT INTO {table} ({period}, plays, ms_played, tracks)
SELECT t.{period}, count(*), sum(p.ms_played), count(DISTINCT p.track_key)
FROM ({touched}) AS t
JOIN {{report_plays}} AS p ON p.played_at >= t.{period} AND p.played_at < {end}
GROUP BY t.{period}""",
    )


PERIOD_COLUMNS = "plays INTEGER NOT NULL, ms_played INTEGER NOT NULL, tracks INTEGER NOT NULL"
WEEK_START = "date(played_at, '-6 days', 'weekday 1')"
"""The Monday that starts a play's week (UTC): step back 6 days, then on to a Monday."""

PERIODS = Aggregate(
    tables={
        "report_days": f"(day TEXT PRIMARY KEY, {PERIOD_COLUMNS}) WITHOUT ROWID",
        "report_weeks": f"(week_start TEXT PRIMARY KEY, {PERIOD_COLUMNS}) WITHOUT ROWID",
        "report_months": f"(month TEXT PRIMARY KEY, {PERIOD_COLUMNS}) WITHOUT ROWID",
    },
    statements=(
        *_periods("{report_days}", "day", "date(played_at)", "date(t.day, '+1 day')"),
        *_periods("{report_weeks}", "week_start", WEEK_START, "date(t.week_start, '+7 days')"),
        *_periods(
            "{report_months}",
            "month",
            "substr(played_at, 1, 7)",
            "date(t.month || '-01', '+1 month')",
        ),
    ),
)

QUARTERS = range(4)
QUARTER_S = 900
HOUR = floor_div_sql("lo", 3600)
"""The UTC hour a play ended in (hours since 1970)."""
QUARTER = f"(lo - {HOUR} * 3600) / {QUARTER_S}"
"""The quarter of its hour (0-3) a play ended in."""
DAY = floor_div_sql(HOUR, 24)
"""The UTC day a play ended in (days since 1970-01-01)."""

HOURS = Aggregate(
    tables={
        # Plays and listening time per UTC hour, split in quarters: whichever time zone the
        # report uses (offsets are whole quarters), each quarter falls in one local hour.
        "report_hours": "(hour INTEGER PRIMARY KEY, "
        + ", ".join(
            f"q{q}_plays INTEGER NOT NULL, q{q}_ms_played INTEGER NOT NULL" for q in QUARTERS
        )
        + ")",
        # The same per UTC weekday and hour (the view `listening_by_weekday_hour`).
        "report_weekday_hours": (
            "(weekday INTEGER NOT NULL, hour INTEGER NOT NULL, plays INTEGER NOT NULL,"
            " ms_played INTEGER NOT NULL, PRIMARY KEY (weekday, hour)) WITHOUT ROWID"
        ),
    },
    statements=(
        add_sql(
            "{report_hours}",
            "hour",
            {
                name: f"CASE WHEN quarter = {q} THEN {value} ELSE 0 END"
                for q in QUARTERS
                for name, value in (
                    (f"q{q}_plays", "sign"),
                    (f"q{q}_ms_played", "sign * ms_played"),
                )
            },
            f"SELECT sign, ms_played, {HOUR} AS hour, {QUARTER} AS quarter FROM {{delta}}",
        ),
        f"DELETE FROM {{report_hours}} WHERE hour IN (SELECT {HOUR} FROM {{delta}})\n  AND "
        + " + ".join(f"q{q}_plays" for q in QUARTERS)
        + " = 0",
        add_sql(
            "{report_weekday_hours}",
            "weekday, hour",
            TOTALS,
            f"SELECT sign, ms_played, {weekday_sql(DAY)} AS weekday, {HOUR} - {DAY} * 24 AS hour"
            " FROM {delta}",
        ),
        "DELETE FROM {report_weekday_hours} WHERE plays = 0",
    ),
)

SOURCES = Aggregate(
    tables={
        "report_sources": (
            "(source TEXT PRIMARY KEY, plays INTEGER NOT NULL, ms_played INTEGER NOT NULL)"
            " WITHOUT ROWID"
        ),
    },
    statements=(
        add_sql("{report_sources}", "source", TOTALS, "SELECT * FROM {delta}"),
        _drop_empty("{report_sources}", "source", "SELECT source FROM {delta}"),
    ),
)

AGGREGATES: tuple[Aggregate, ...] = (
    PLAY_ARTISTS,
    TRACKS,
    ARTISTS,
    ALBUMS,
    PERIODS,
    HOURS,
    SOURCES,
)
"""In order: an aggregate may read the tables of those before it."""
