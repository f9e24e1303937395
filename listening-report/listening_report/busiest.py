"""How long 50 plays last at your busiest: the shortest span holding 50 consecutive plays.

Spotify's recently-played feed serves only the last 50 plays, so runs of the sync further
apart than that span can lose plays on a day like your busiest: it is the longest safe
interval between runs (see `health`). The plays are the report's: every play once, live and
exported, merged (`plays`).

The view `busiest_spans` holds, for each UTC day, the shortest span of WINDOW_PLAYS
consecutive plays that starts that day (the first of equal ones); the busiest of all is its
row of the least `span_s`. The report keeps it in `report_busiest_spans`: a changed play
changes only the spans that start on its day or among the WINDOW_PLAYS - 1 plays before it,
so a refresh recomputes those days alone, reading each one's plays and the next
WINDOW_PLAYS - 1 through the index of play times.
"""

from __future__ import annotations

WINDOW_PLAYS = 50
"""Spotify serves the last 50 plays: more than that between two runs can be lost."""
SPAN_S = "round((julianday(last_played_at) - julianday(first_played_at)) * 86400, 3)"
"""Seconds from a span's first play to its last, to the millisecond."""


def _shortest_per_day(windows: str, where: str) -> str:
    """SQL for each day's shortest span among `windows` (day, first and last play)."""
    return f"""SELECT day, span_s, first_played_at, last_played_at
FROM (
  SELECT day, {SPAN_S} AS span_s, first_played_at, last_played_at,
    row_number() OVER (PARTITION BY day ORDER BY {SPAN_S}, first_played_at) AS n
  FROM {windows}
  WHERE last_played_at IS NOT NULL{where}
)
WHERE n = 1"""


REFERENCE = (
    _shortest_per_day(
        f"""(
    SELECT date(played_at) AS day, played_at AS first_played_at,
      lead(played_at, {WINDOW_PLAYS - 1}) OVER (ORDER BY played_at) AS last_played_at
    FROM {{plays}}
  )""",
        "",
    )
    + "\nORDER BY day"
)
"""The view's reference SQL over every play (`{plays}`)."""

STORED = """SELECT day, span_s, first_played_at, last_played_at
FROM {report_busiest_spans}
ORDER BY day"""
"""The view read from the report's table."""

BUSIEST = "SELECT * FROM {spans} ORDER BY span_s, first_played_at LIMIT 1"
"""SQL for the busiest span of all among per-day `{spans}` (through the table's index)."""

TABLES = {
    "report_busiest_spans": (
        "(day TEXT PRIMARY KEY, span_s REAL NOT NULL, first_played_at TEXT NOT NULL,"
        " last_played_at TEXT NOT NULL) WITHOUT ROWID"
    ),
}
INDEXES = {"report_busiest_spans_span": ("report_busiest_spans", "(span_s, first_played_at)")}

_DAYS = f"""WITH m_touched AS MATERIALIZED (
  SELECT DISTINCT date(played_at) AS day FROM {{delta}}
),
m_reach AS MATERIALIZED (
  SELECT day, COALESCE((
    SELECT date(played_at) FROM {{report_plays}} WHERE played_at < t.day
    ORDER BY played_at DESC LIMIT 1 OFFSET {WINDOW_PLAYS - 2}
  ), '') AS since
  FROM m_touched AS t
),
m_days AS MATERIALIZED (
  SELECT day FROM m_touched
  UNION
  SELECT d.day FROM m_reach AS r
  JOIN {{report_days}} AS d ON d.day >= r.since AND d.day < r.day
)"""
"""The days whose spans the changed plays reach: each one's own, and those of the
WINDOW_PLAYS - 1 plays before it (`report_days`: the days with plays)."""

# "A" sorts after every instant (they start with a digit): to the last play.
STATEMENTS = (
    f"{_DAYS}\nDELETE FROM {{report_busiest_spans}} WHERE day IN (SELECT day FROM m_days)",
    f"""{_DAYS},
m_ranges AS MATERIALIZED (
  SELECT day, date(day, '+1 day') AS next_day, COALESCE((
    SELECT played_at FROM {{report_plays}} WHERE played_at >= date(m.day, '+1 day')
    ORDER BY played_at LIMIT 1 OFFSET {WINDOW_PLAYS - 2}
  ), 'A') AS until
  FROM m_days AS m
),
m_windows AS MATERIALIZED (
  SELECT r.day, r.next_day, p.played_at AS first_played_at,
    lead(p.played_at, {WINDOW_PLAYS - 1}) OVER (PARTITION BY r.day ORDER BY p.played_at)
      AS last_played_at
  FROM m_ranges AS r
  JOIN {{report_plays}} AS p ON p.played_at >= r.day AND p.played_at <= r.until
)
INSERT INTO {{report_busiest_spans}} (day, span_s, first_played_at, last_played_at)
{_shortest_per_day("m_windows", " AND first_played_at < next_day")}""",
)
"""A refresh's statements: the spans of the days the delta reaches, again (after
`report_plays` and `report_days` took the delta)."""
