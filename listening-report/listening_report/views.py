"""The SQL views: what each means (BODIES) and how the database serves it (stored views).

BODIES define every view over `plays` (one row per play, whatever its source): the
reference, which the report runs itself when the report's tables are not current and
which the tests hold the tables to. The stored views (MATERIALIZED_BODIES) give the same
rows from the report's tables (see `refresh`). Views bucket time in UTC, since a view
cannot take a time zone; the HTML report buckets days, weeks and hours in the time zone
it is asked for. Tops break ties on minutes, then name, then key, so every order is
stable.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from libsql_access.schema import quote_identifier

from listening_report import busiest
from listening_report.source_tables import (
    PLAYS_COLUMNS,
    LayoutError,
    Sources,
    listening_gaps_select,
)
from listening_report.tables import TableNames

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection


def names_sql(json_array: str) -> str:
    """SQL joining the `name` of each object in a JSON array, in credit order."""
    return (
        f"(SELECT group_concat(json_extract(value, '$.name'), ', ') FROM json_each({json_array}))"
    )


ARTIST_KEY = "COALESCE(json_extract(a.value, '$.uri'), json_extract(a.value, '$.name'))"
"""An artist credit's key (`a` is the credit): its URI, or its name when it has none."""


def _totals(count: str = "count(*)") -> str:
    """SQL for the plays and listening time of a group.

    Minutes are rounded half up to 0.1 in tenths: round(x, 1) works on the binary double,
    where 31.45 is 31.4499..., and would give 31.4.
    """
    return (
        f"{count} AS plays,\n  sum(ms_played) AS ms_played,\n"
        "  round(sum(ms_played) / 6000.0) / 10 AS minutes"
    )


def _top(key: str, label: str, source: str, columns: str, *, tracks: bool = True) -> str:
    """SQL for a top list: one row per `key`, ranked by plays then listening time.

    Bare columns take their values from the latest play (SQLite's rule for a lone
    max()), so a renamed track shows its current name.
    """
    distinct_tracks = "\n  count(DISTINCT track_key) AS tracks," if tracks else ""
    return f"""SELECT
  rank() OVER (ORDER BY count(*) DESC, sum(ms_played) DESC) AS rank,
  {columns},
  {_totals()},{distinct_tracks}
  max(played_at) AS last_played_at
FROM {{{source}}}
WHERE {key} IS NOT NULL
GROUP BY {key}
ORDER BY plays DESC, ms_played DESC, {label}, {key}"""


def _per_period(bucket: str, period: str) -> str:
    """SQL for plays and listening time per UTC day, week or month."""
    return f"""SELECT
  {bucket} AS {period},
  {_totals()},
  count(DISTINCT track_key) AS tracks
FROM {{plays}}
GROUP BY {period}
ORDER BY {period}"""


def streaks_sql(days: str) -> str:
    """SQL for the runs of consecutive `days` (a SELECT of distinct `day` dates).

    Consecutive days share `julianday(day) - row number` (gaps and islands).
    """
    return f"""SELECT
  min(day) AS first_day,
  max(day) AS last_day,
  count(*) AS days
FROM (
  SELECT day, julianday(day) - row_number() OVER (ORDER BY day) AS island
  FROM ({days})
)
GROUP BY island
ORDER BY days DESC, last_day DESC"""


# The reference definitions, over every play (`{plays}`): what each view means. Each body
# may use the views listed before it, named in braces.
BODIES: dict[str, str] = {
    # Every credited artist of a play gets the play, and its full minutes.
    "play_artists": f"""SELECT
  p.played_at,
  p.source,
  p.track_key,
  p.track_name,
  p.ms_played,
  {ARTIST_KEY} AS artist_key,
  json_extract(a.value, '$.name') AS artist_name,
  a.key AS credit_position
FROM {{plays}} AS p, json_each(p.artists) AS a""",
    "top_tracks": _top(
        "track_key",
        "track_name",
        "plays",
        "track_key AS track_uri,\n  track_name,\n"
        f"  {names_sql('artists')} AS artist_names,\n  album_name",
        tracks=False,
    ),
    "top_artists": _top("artist_key", "artist_name", "play_artists", "artist_key, artist_name"),
    "top_albums": _top(
        "album_key",
        "album_name",
        "plays",
        f"album_key,\n  album_name,\n  {names_sql('album_artists')} AS artist_names",
    ),
    "artist_discoveries": """SELECT
  artist_key,
  artist_name,
  min(played_at) AS first_played_at,
  track_name AS first_track_name
FROM {play_artists}
WHERE artist_key IS NOT NULL
GROUP BY artist_key
ORDER BY first_played_at, artist_key""",
    "new_artists_per_month": """SELECT
  substr(first_played_at, 1, 7) AS month,
  count(*) AS new_artists
FROM {artist_discoveries}
GROUP BY month
ORDER BY month""",
    "listening_per_day": _per_period("date(played_at)", "day"),
    # Weeks start on Monday: step back 6 days, then forward to the next Monday.
    "listening_per_week": _per_period("date(played_at, '-6 days', 'weekday 1')", "week_start"),
    "listening_per_month": _per_period("substr(played_at, 1, 7)", "month"),
    # Weekday 0 is Monday (strftime's %w counts from Sunday).
    "listening_by_weekday_hour": f"""SELECT
  weekday,
  substr('MonTueWedThuFriSatSun', weekday * 3 + 1, 3) AS weekday_name,
  hour,
  {_totals()}
FROM (
  SELECT
    (CAST(strftime('%w', played_at) AS INTEGER) + 6) % 7 AS weekday,
    CAST(strftime('%H', played_at) AS INTEGER) AS hour,
    ms_played
  FROM {{plays}}
)
GROUP BY weekday, hour
ORDER BY weekday, hour""",
    "listening_streaks": streaks_sql("SELECT DISTINCT date(played_at) AS day FROM {plays}"),
    "busiest_spans": busiest.REFERENCE,
    "listening_summary": f"""SELECT
  {_totals()},
  count(DISTINCT track_key) AS tracks,
  (SELECT count(DISTINCT artist_key) FROM {{play_artists}}) AS artists,
  count(DISTINCT album_key) AS albums,
  count(DISTINCT date(played_at)) AS days,
  min(played_at) AS first_played_at,
  max(played_at) AS last_played_at
FROM {{plays}}""",
    # Each gap the tap reported and what the export did for it: `export_spans` (see
    # source_tables.listening_gaps_select) means it holds every play of the gap; plays only the
    # export knows between the bookmark and the oldest returned play were filled in.
    "listening_gap_coverage": """SELECT
  g.detected_at,
  g.bookmark,
  g.oldest_returned_played_at,
  CASE
    WHEN g.export_spans THEN 'covered'
    WHEN count(p.played_at) > 0 THEN 'partly covered'
    ELSE 'open'
  END AS status,
  count(p.played_at) AS plays_filled_in
FROM {gaps} AS g
LEFT JOIN {plays} AS p
  ON p.source = 'streaming_history'
  AND (g.bookmark IS NULL OR p.played_at > g.bookmark)
  AND (g.oldest_returned_played_at IS NULL OR p.played_at < g.oldest_returned_played_at)
GROUP BY g.bookmark, g.oldest_returned_played_at, g.detected_at
ORDER BY g.bookmark, g.detected_at""",
}


def _ranked(key: str, label: str, columns: str, table: str, *, tracks: bool = True) -> str:
    """SQL for a top list read from its aggregate `table` (see `_top`).

    The table's rank index orders it by plays, listening time, then `label` and `key`:
    ordering by the window's terms alone lets SQLite stream the rows from that index (a
    top 10 reads 10 rows), exact ties coming in the index's order.
    """
    distinct_tracks = "\n  tracks," if tracks else ""
    return f"""SELECT
  rank() OVER (ORDER BY plays DESC, ms_played DESC) AS rank,
  {columns},
  plays,
  ms_played,
  round(ms_played / 6000.0) / 10 AS minutes,{distinct_tracks}
  last_played_at
FROM {table}
ORDER BY plays DESC, ms_played DESC"""


def _period_table(period: str, table: str) -> str:
    return f"""SELECT
  {period},
  plays,
  ms_played,
  round(ms_played / 6000.0) / 10 AS minutes,
  tracks
FROM {table}
ORDER BY {period}"""


def floor_div_sql(value: str, divisor: int) -> str:
    """SQL dividing the integer `value` by `divisor`, rounded down (also when negative)."""
    return f"(({value}) - ((({value}) % {divisor}) + {divisor}) % {divisor}) / {divisor}"


def weekday_sql(day: str) -> str:
    """SQL for the weekday (0 = Monday) of `day`, days since 1970-01-01 (a Thursday)."""
    return f"((({day}) + 3) % 7 + 7) % 7"


QUARTER_SUMS = tuple(
    f"{' + '.join(f'q{q}_{measure}' for q in range(4))}" for measure in ("plays", "ms_played")
)
"""SQL for the plays and listening time of a row of `report_hours` (its four quarters)."""

# The stored views: the same columns and figures as BODIES, read from the report's tables
# (`{report_...}`, kept current by `refresh`) instead of merging every play each time.
MATERIALIZED_BODIES: dict[str, str] = {
    "plays": "SELECT " + ", ".join(PLAYS_COLUMNS) + "\nFROM {report_plays}",
    "play_artists": """SELECT
  played_at,
  source,
  track_key,
  track_name,
  ms_played,
  artist_key,
  artist_name,
  credit_position
FROM {report_play_artists}""",
    "top_tracks": _ranked(
        "track_key",
        "track_name",
        "track_key AS track_uri,\n  track_name,\n  artist_names,\n  album_name",
        "{report_tracks}",
        tracks=False,
    ),
    "top_artists": _ranked(
        "artist_key", "artist_name", "artist_key,\n  artist_name", "{report_artists}"
    ),
    "top_albums": _ranked(
        "album_key",
        "album_name",
        "album_key,\n  album_name,\n  artist_names",
        "{report_albums}",
    ),
    "artist_discoveries": """SELECT
  artist_key,
  first_artist_name AS artist_name,
  first_played_at,
  first_track_name
FROM {report_artists}
ORDER BY first_played_at, artist_key""",
    "new_artists_per_month": BODIES["new_artists_per_month"],
    "listening_per_day": _period_table("day", "{report_days}"),
    "listening_per_week": _period_table("week_start", "{report_weeks}"),
    "listening_per_month": _period_table("month", "{report_months}"),
    "listening_by_weekday_hour": """SELECT
  weekday,
  substr('MonTueWedThuFriSatSun', weekday * 3 + 1, 3) AS weekday_name,
  hour,
  plays,
  ms_played,
  round(ms_played / 6000.0) / 10 AS minutes
FROM {report_weekday_hours}
ORDER BY weekday, hour""",
    "listening_streaks": streaks_sql("SELECT day FROM {report_days}"),
    "busiest_spans": busiest.STORED,
    "listening_summary": """SELECT
  plays,
  ms_played,
  round(ms_played / 6000.0) / 10 AS minutes,
  (SELECT count(*) FROM {report_tracks}) AS tracks,
  (SELECT count(*) FROM {report_artists}) AS artists,
  (SELECT count(*) FROM {report_albums}) AS albums,
  (SELECT count(*) FROM {report_days}) AS days,
  (SELECT min(played_at) FROM {report_plays}) AS first_played_at,
  (SELECT max(played_at) FROM {report_plays}) AS last_played_at
FROM (
  SELECT COALESCE(sum(plays), 0) AS plays, sum(ms_played) AS ms_played FROM {report_sources}
)""",
    # The plays only the export has in a gap, counted through the index of play times;
    # "A" sorts after every instant (they start with a digit): no upper bound.
    "listening_gap_coverage": """SELECT
  detected_at,
  bookmark,
  oldest_returned_played_at,
  CASE
    WHEN export_spans THEN 'covered'
    WHEN sum(filled) > 0 THEN 'partly covered'
    ELSE 'open'
  END AS status,
  sum(filled) AS plays_filled_in
FROM (
  SELECT g.*, (
    SELECT count(*) FROM {report_plays} AS p
    WHERE p.played_at > COALESCE(g.bookmark, '')
      AND p.played_at < COALESCE(g.oldest_returned_played_at, 'A')
      AND p.source = 'streaming_history'
  ) AS filled
  FROM {gaps} AS g
)
GROUP BY bookmark, oldest_returned_played_at, detected_at
ORDER BY bookmark, detected_at""",
}

VIEW_NAMES: tuple[str, ...] = ("plays", *BODIES)
WHOLE_HISTORY_VIEWS: tuple[str, ...] = (
    "plays",
    "play_artists",
    "artist_discoveries",
    "listening_gap_coverage",
)
"""The views the report also needs over every play, whatever its period (`all_<view>`)."""


@dataclass(frozen=True)
class Views:
    """The views over the plays and gaps that `sources` read, named with a prefix."""

    sources: Sources
    prefix: str = ""

    def name(self, view: str) -> str:
        """Return the quoted, prefixed name of `view`."""
        return quote_identifier(self.prefix + view)

    def names(self) -> dict[str, str]:
        """Return the quoted name of each view, and of each whole-history view as `all_<view>`."""
        return {
            **{view: self.name(view) for view in VIEW_NAMES},
            **{f"all_{view}": self.name(f"all_{view}") for view in WHOLE_HISTORY_VIEWS},
        }

    def _bodies(self, names: dict[str, str], views: tuple[str, ...]) -> list[tuple[str, str]]:
        """Return (name, SELECT) of each view but `plays`, with the views they use named."""
        gaps = f"(\n{self.sources.gaps}\n)"
        return [(names[view], BODIES[view].format(**names, gaps=gaps)) for view in views[1:]]

    def definitions(self) -> list[tuple[str, str]]:
        """Return (quoted name, SELECT) of each stored view, over the report's tables.

        Stored views read `report_*` tables (see `refresh`); they need no SQLite newer than
        3.25 (window functions).
        """
        tables = TableNames(self.prefix)
        gaps = f"(\n{listening_gaps_select(self.sources.gaps_table, self._spans())}\n)"
        names = self.names()
        return [
            (names[view], tables.fill(MATERIALIZED_BODIES[view], **names, gaps=gaps))
            for view in VIEW_NAMES
        ]

    def reference_definitions(self) -> list[tuple[str, str]]:
        """Return (quoted name, SELECT) of each view by its reference SQL.

        Over the target's tables: every query merges every play (the views as they were
        before the report kept tables; the benchmark's baseline).
        """
        names = self.names()
        return [(names["plays"], self.sources.plays), *self._bodies(names, VIEW_NAMES)]

    def report_with_clause(
        self, plays_where: str = "", played_at: str = "", *, stored: bool = False
    ) -> str:
        """Return a WITH clause defining the views for one statement over a period's plays.

        Each view of its own name sees only the plays matching `plays_where` (e.g.
        `played_at >= ?`), with `played_at` replaced by the expression `played_at` (e.g.
        local time, so that days, weeks and hours fall in a time zone) and the UTC time kept
        as `utc_played_at`. The views of WHOLE_HISTORY_VIEWS are also defined over every
        play, as `all_<view>`.

        `stored`: the plays come from the report's tables (`report_plays`, and the
        whole-history views from theirs); else every play is merged once (`all_plays`,
        the reference SQL), which needs neither stored views nor the report's tables.
        """
        names = self.names()
        others = ", ".join(PLAYS_COLUMNS[1:])
        if stored:
            tables = TableNames(self.prefix)
            source = tables.name("report_plays")
            gaps = f"(\n{listening_gaps_select(self.sources.gaps_table, self._spans())}\n)"
            bodies = {
                view: tables.fill(MATERIALIZED_BODIES[view], gaps=gaps)
                for view in ("artist_discoveries", "listening_gap_coverage")
            }
            ctes = [f"{names[f'all_{view}']} AS (\n{body}\n)" for view, body in bodies.items()]
        else:
            whole = {view: names[f"all_{view}"] for view in WHOLE_HISTORY_VIEWS}
            source = whole["plays"]
            ctes = [
                f"{whole['plays']} AS MATERIALIZED (\n{self.sources.plays_materialized}\n)",
                *(
                    f"{name} AS (\n{body}\n)"
                    for name, body in self._bodies({**names, **whole}, WHOLE_HISTORY_VIEWS)
                ),
            ]
        period = (
            f"SELECT {played_at or 'played_at'} AS played_at, {others}, played_at AS utc_played_at"
            f"\nFROM {source}" + (f"\nWHERE {plays_where}" if plays_where else "")
        )
        ctes += [
            f"{names['plays']} AS MATERIALIZED (\n{period}\n)",
            *(
                # Summary and top artists both read the credits: unnest them once.
                f"{name} AS{' MATERIALIZED' if name == names['play_artists'] else ''} (\n{body}\n)"
                for name, body in self._bodies(names, VIEW_NAMES)
            ),
        ]
        return "WITH " + ",\n".join(ctes) + "\n"

    def _spans(self) -> str:
        """The SELECT of the export's spans from the report's table."""
        return f"SELECT first, last FROM {TableNames(self.prefix).name('report_export_spans')}"

    def check(self, connection: Connection) -> None:
        """Make sure the views can be created.

        Raises:
            LayoutError: a table has the name of a view.
        """
        wanted = [self.prefix + view for view in VIEW_NAMES]
        marks = ", ".join("?" for _ in wanted)
        clashes = connection.execute(
            f"SELECT name FROM sqlite_master WHERE type != 'view' AND name IN ({marks})",
            tuple(wanted),
        ).fetchall()
        if clashes:
            msg = (
                f"The database has a table named {clashes[0][0]!r} where the report "
                "wants a view. Rename it or set another table prefix."
            )
            raise LayoutError(msg)

    def create(self, connection: Connection) -> list[str]:
        """Replace the views in the database (in the caller's transaction); return their names.

        Raises:
            LayoutError: a table has the name of a view.
        """
        self.check(connection)
        for name, body in self.definitions():
            connection.execute(f"DROP VIEW IF EXISTS {name}")
            connection.execute(f"CREATE VIEW {name} AS\n{body}")
        return [self.prefix + view for view in VIEW_NAMES]
