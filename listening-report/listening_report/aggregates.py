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

from listening_report import busiest
from listening_report.genres import artist_set_sql
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


def _drop_empty(table: str, key: str, rows: str) -> str:
    """SQL deleting the rows of `table` left without plays: keys that `rows` took plays from."""
    return (
        f"DELETE FROM {table} WHERE plays = 0 AND {key} IN (\n"
        f"  SELECT {key} FROM ({rows}) GROUP BY {key} HAVING min(sign) < 0\n)"
    )


def distinct_tracks(parent: str, key: str, pairs: str, rows: str) -> tuple[str, ...]:
    """SQL keeping `parent.tracks`, the distinct tracks per `key`, from the signed `rows`.

    `pairs` counts the plays of each (`key`, `track_key`): a pair going from no plays to
    some adds a track, one going to none removes it. Runs after `parent` got its new keys
    (their `tracks` start at 0) and before `pairs` changes; then updates `pairs`.
    """
    changed = (
        f"SELECT {key}, track_key, sum(sign) AS plays FROM ({rows})\n"
        f"WHERE {key} IS NOT NULL AND track_key IS NOT NULL GROUP BY {key}, track_key"
    )
    return (
        f"""WITH m_pairs AS MATERIALIZED (
{changed}
),
m_moves AS MATERIALIZED (
  SELECT d.{key}, sum(
    (COALESCE(p.plays, 0) + d.plays > 0) - (COALESCE(p.plays, 0) > 0)
  ) AS tracks
  FROM m_pairs AS d
  LEFT JOIN {pairs} AS p ON p.{key} = d.{key} AND p.track_key = d.track_key
  GROUP BY d.{key}
)
UPDATE {parent}
SET tracks = {parent}.tracks + m.tracks
FROM m_moves AS m
WHERE m.{key} = {parent}.{key}""",
        add_sql(pairs, f"{key}, track_key", {"plays": "sign"}, rows),
        f"DELETE FROM {pairs}\nWHERE plays = 0 AND ({key}, track_key) IN (\n"
        f"  SELECT {key}, track_key FROM ({rows})\n"
        f"  GROUP BY {key}, track_key HAVING min(sign) < 0\n)",
    )


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
        "report_tracks_minutes": (
            "report_tracks",
            "(ms_played DESC, plays DESC, track_name, track_key)",
        ),
    },
    statements=(
        add_sql("{report_tracks}", "track_key", TOTALS, "SELECT * FROM {delta}"),
        _drop_empty("{report_tracks}", "track_key", "SELECT * FROM {delta}"),
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
            " tracks INTEGER NOT NULL DEFAULT 0, last_played_at, artist_name, first_played_at,"
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
        "report_artists_minutes": (
            "report_artists",
            "(ms_played DESC, plays DESC, artist_name, artist_key)",
        ),
        "report_artists_first": ("report_artists", "(first_played_at, artist_key)"),
    },
    statements=(
        add_sql("{report_artists}", "artist_key", TOTALS, CREDITS),
        *distinct_tracks("{report_artists}", "artist_key", "{report_artist_tracks}", CREDITS),
        _drop_empty("{report_artists}", "artist_key", CREDITS),
        # Latest credit: the name shown; first credit: when the artist was discovered.
        f"""UPDATE {{report_artists}}
SET (last_played_at, artist_name) = (
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
            " tracks INTEGER NOT NULL DEFAULT 0, last_played_at, album_name, artist_names)"
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
        "report_albums_minutes": (
            "report_albums",
            "(ms_played DESC, plays DESC, album_name, album_key)",
        ),
    },
    statements=(
        add_sql("{report_albums}", "album_key", TOTALS, "SELECT * FROM {delta}"),
        *distinct_tracks(
            "{report_albums}", "album_key", "{report_album_tracks}", "SELECT * FROM {delta}"
        ),
        _drop_empty("{report_albums}", "album_key", "SELECT * FROM {delta}"),
        f"""UPDATE {{report_albums}}
SET (last_played_at, album_name, artist_names) = (
    SELECT played_at, album_name, {names_sql("album_artists")} FROM {{report_plays}} AS p
    WHERE p.album_key = {{report_albums}}.album_key
    ORDER BY played_at DESC, play_key DESC
    LIMIT 1
  )
WHERE album_key IN (SELECT album_key FROM {{delta}})""",
    ),
)


DAY_COLUMNS = "plays INTEGER NOT NULL, ms_played INTEGER NOT NULL, tracks INTEGER NOT NULL"
PERIOD_COLUMNS = (
    "plays INTEGER NOT NULL, ms_played INTEGER NOT NULL, tracks INTEGER NOT NULL DEFAULT 0"
)
WEEK_START = "date(played_at, '-6 days', 'weekday 1')"
"""The Monday that starts a play's week (UTC): step back 6 days, then on to a Monday."""
MONTH = "substr(played_at, 1, 7)"


def _period(table: str, period: str, start: str) -> tuple[str, ...]:
    """SQL keeping `table` (plays, listening time, distinct tracks per UTC `period`).

    `start` is the period a play falls in; the distinct tracks come from its pair counts.
    """
    rows = f"SELECT *, {start} AS {period} FROM {{delta}}"
    pairs = table.replace("}", "_tracks}")
    return (
        add_sql(table, period, TOTALS, rows),
        *distinct_tracks(table, period, pairs, rows),
        _drop_empty(table, period, rows),
    )


PERIODS = Aggregate(
    tables={
        "report_days": f"(day TEXT PRIMARY KEY, {DAY_COLUMNS}) WITHOUT ROWID",
        "report_weeks": f"(week_start TEXT PRIMARY KEY, {PERIOD_COLUMNS}) WITHOUT ROWID",
        "report_months": f"(month TEXT PRIMARY KEY, {PERIOD_COLUMNS}) WITHOUT ROWID",
        **{
            f"report_{period}_tracks": (
                f"({key} TEXT NOT NULL, track_key NOT NULL, plays INTEGER NOT NULL,"
                f" PRIMARY KEY ({key}, track_key)) WITHOUT ROWID"
            )
            for period, key in (("weeks", "week_start"), ("months", "month"))
        },
    },
    statements=(
        # A day's plays are few: read again for each day the delta touched.
        "DELETE FROM {report_days} WHERE day IN (SELECT date(played_at) FROM {delta})",
        """INSERT INTO {report_days} (day, plays, ms_played, tracks)
SELECT t.day, count(*), sum(p.ms_played), count(DISTINCT p.track_key)
FROM (SELECT DISTINCT date(played_at) AS day FROM {delta}) AS t
JOIN {report_plays} AS p ON p.played_at >= t.day AND p.played_at < date(t.day, '+1 day')
GROUP BY t.day""",
        *_period("{report_weeks}", "week_start", WEEK_START),
        *_period("{report_months}", "month", MONTH),
    ),
)

BUSIEST_SPANS = Aggregate(
    tables=busiest.TABLES, statements=busiest.STATEMENTS, indexes=busiest.INDEXES
)
"""The shortest span of 50 plays starting each day (reads `report_days`)."""

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
        _drop_empty("{report_sources}", "source", "SELECT * FROM {delta}"),
    ),
)

MONTH_EDGE = (
    "strftime('%d', lo, 'unixepoch') = '01' OR strftime('%d', lo + 86400, 'unixepoch') = '01'"
)
"""Whether a play ended on the first or last UTC day of its month, where a time zone (UTC-12
to UTC+14) can move it into another month."""
SET_TIME = f"""CASE WHEN {MONTH_EDGE}
  THEN {floor_div_sql("lo", QUARTER_S)} * {QUARTER_S}
  ELSE CAST(strftime('%s', lo, 'unixepoch', 'start of month', '+14 days') AS INTEGER)
END"""
"""The time a play counts at for the genres per month: the start of its UTC quarter of an
hour on a month's first and last day (a quarter falls whole in one local month); elsewhere
the 15th of its UTC month at 00:00, which is in that month in every time zone."""
SET_ROWS = f"SELECT sign, ms_played, {SET_TIME} AS t, {artist_set_sql('artists')} AS artists" + (
    " FROM {delta}"
)

ARTIST_SETS = Aggregate(
    # Plays per set of credited artists (genres.artist_set_sql) and time (SET_TIME): what
    # the genre figures read. Genres are joined at read time, so a genre looked up after
    # the plays needs no rebuild; and per set, not per artist, since a play counts once for
    # each genre of its artists together (two artists sharing a genre: once).
    tables={
        "report_artist_sets": (
            "(t INTEGER NOT NULL, artists TEXT NOT NULL, plays INTEGER NOT NULL,"
            " ms_played INTEGER NOT NULL, PRIMARY KEY (t, artists)) WITHOUT ROWID"
        ),
    },
    indexes={
        # The report reads each set's plays together (covering: no sort, no table lookup).
        "report_artist_sets_artists": ("report_artist_sets", "(artists, t, plays, ms_played)"),
    },
    statements=(
        add_sql("{report_artist_sets}", "t, artists", TOTALS, SET_ROWS),
        "DELETE FROM {report_artist_sets} WHERE plays = 0 AND (t, artists) IN (\n"
        f"  SELECT t, artists FROM ({SET_ROWS}) GROUP BY t, artists HAVING min(sign) < 0\n)",
    ),
)

AGGREGATES: tuple[Aggregate, ...] = (
    PLAY_ARTISTS,
    TRACKS,
    ARTISTS,
    ALBUMS,
    PERIODS,
    BUSIEST_SPANS,
    HOURS,
    SOURCES,
    ARTIST_SETS,
)
"""In order: an aggregate may read the tables of those before it."""
