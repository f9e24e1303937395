"""Genre views: the artists' MusicBrainz genres (the tap's ``artist_genres`` table) over the plays.

They build on the report's ``play_artists`` view (every credited artist of every play, live
and exported, merged) and bucket time in UTC like the other views.

**The counting rule.** A play's genres are the union of the genres of all its credited artists,
each genre once: a play of a track by A (dream pop, indie pop) featuring B (dream pop, ambient)
counts once, with its full minutes, for dream pop, indie pop and ambient. So the genre totals
add up to more than the plays. A play none of whose artists has a genre counts once for
``(no genre)`` when all of them were looked up (no MusicBrainz match, or no genres voted), or
for ``(not looked up yet)`` when one of them is still waiting for its lookup (the tap spreads
lookups over runs). A play is identified by its ``played_at`` and ``track_key``.

**Matching artists.** A genre record keyed by a Spotify URI gives its genres to the plays
crediting that URI; a record keyed by name (artists of the data export never heard live,
local files) to the plays crediting an artist without URI of that name, compared as the
report compares names (trimmed, ASCII letters in lower case).
"""

from __future__ import annotations

import contextlib
import typing as t
from dataclasses import dataclass

from libsql_access.schema import changed_views, quote_identifier, table_columns

from listening_report.merge import normalized_name
from listening_report.source_tables import LayoutError
from listening_report.views import ARTIST_KEY, _totals

if t.TYPE_CHECKING:
    from libsql_access.dbapi import Connection

ARTIST_GENRES = "artist_genres"
"""The tap's table: one row per artist looked up, its genres a JSON array."""
NO_GENRE = "(no genre)"
NOT_LOOKED_UP = "(not looked up yet)"
GENRE_VIEW_NAMES = ("genres_by_artist", "play_genres", "top_genres", "genres_per_month")


def _join_key(key: str, by_name: str) -> str:
    """SQL of the key plays and genre records meet on: the URI, or ``name:<normalized>``."""
    return f"CASE WHEN {by_name} THEN 'name:' || {normalized_name(key)} ELSE {key} END"


CREDIT_JOIN_KEY = _join_key(ARTIST_KEY, f"{ARTIST_KEY} NOT LIKE 'spotify:artist:%'")
"""SQL of the key a credit (`a`, an element of a play's `artists`) meets genre records on."""
LOOKUPS = f"""SELECT {_join_key("artist_key", "spotify_artist_id IS NULL")} AS join_key, genres
  FROM {{artist_genres}}"""
"""The genre records (`{artist_genres}`), each with the key the credits meet it on."""


def artist_set_sql(artists: str) -> str:
    """SQL for the artists a play takes its genres from: a JSON array of their join keys.

    The distinct keys of the credits in the JSON array `artists`, sorted, so that plays of
    the same artists share one set. A play without a keyed credit has the set `[]` (no
    genre row at all, as in `play_genres`).
    """
    return f"""(SELECT json_group_array(k) FROM (
    SELECT DISTINCT {CREDIT_JOIN_KEY} AS k FROM json_each({artists}) AS a
    WHERE {ARTIST_KEY} IS NOT NULL ORDER BY k
  ))"""


# Each body may use the views listed before it, named in braces, and {artist_genres}.
BODIES: dict[str, str] = {
    # One row per genre of each artist looked up, most votes first; none: NO_GENRE.
    "genres_by_artist": f"""SELECT
  g.artist_key,
  g.artist_name,
  COALESCE(json_extract(x.value, '$.name'), '{NO_GENRE}') AS genre,
  json_extract(x.value, '$.count') AS votes,
  g.musicbrainz_id,
  g.matched_by,
  g.looked_up_at
FROM {{artist_genres}} AS g
LEFT JOIN json_each(g.genres) AS x
ORDER BY g.artist_name, g.artist_key, x.key""",
    # One row per genre of each play (the counting rule in the module docstring).
    "play_genres": f"""WITH credits AS (
  SELECT DISTINCT
    played_at,
    track_key,
    ms_played,
    {_join_key("artist_key", "artist_key NOT LIKE 'spotify:artist:%'")} AS join_key
  FROM {{play_artists}}
  WHERE artist_key IS NOT NULL
),
lookups AS (
  {LOOKUPS}
),
credited_genres AS (
  SELECT
    c.played_at,
    c.track_key,
    c.ms_played,
    l.join_key IS NOT NULL AS looked_up,
    json_extract(x.value, '$.name') AS genre
  FROM credits AS c
  LEFT JOIN lookups AS l ON l.join_key = c.join_key
  LEFT JOIN json_each(l.genres) AS x
)
SELECT played_at, track_key, max(ms_played) AS ms_played, genre
FROM credited_genres
WHERE genre IS NOT NULL
GROUP BY played_at, track_key, genre
UNION ALL
SELECT
  played_at,
  track_key,
  max(ms_played),
  CASE WHEN min(looked_up) THEN '{NO_GENRE}' ELSE '{NOT_LOOKED_UP}' END
FROM credited_genres
GROUP BY played_at, track_key
HAVING count(genre) = 0""",
    "top_genres": f"""SELECT
  rank() OVER (ORDER BY count(*) DESC, sum(ms_played) DESC) AS rank,
  rank() OVER (ORDER BY sum(ms_played) DESC, count(*) DESC) AS minutes_rank,
  genre,
  {_totals()},
  max(played_at) AS last_played_at
FROM {{play_genres}}
GROUP BY genre
ORDER BY plays DESC, ms_played DESC, genre""",
    "genres_per_month": f"""SELECT
  substr(played_at, 1, 7) AS month,
  genre,
  {_totals()}
FROM {{play_genres}}
GROUP BY month, genre
ORDER BY month, plays DESC, ms_played DESC, genre""",
}


@dataclass(frozen=True)
class GenreViews:
    """The genre views over ``<prefix>artist_genres`` and the report's ``<prefix>play_artists``."""

    prefix: str = ""

    def definitions(self) -> list[tuple[str, str]]:
        """Return (quoted name, SELECT) of each genre view, in dependency order."""
        names = {
            name: quote_identifier(self.prefix + name)
            for name in (*GENRE_VIEW_NAMES, "play_artists", ARTIST_GENRES)
        }
        return [(names[view], BODIES[view].format(**names)) for view in GENRE_VIEW_NAMES]

    def ensure(self, connection: Connection) -> list[str]:
        """Create the genre views when the genre table exists and they are missing or differ.

        Returns the names of the views created: none without the table (genres are off) or
        when they are current, so a refresh with nothing to do writes nothing.
        """
        if not table_columns(connection, self.prefix + ARTIST_GENRES):
            return []
        wanted = {
            self.prefix + view: f"CREATE VIEW {name} AS\n{body}"
            for view, (name, body) in zip(GENRE_VIEW_NAMES, self.definitions(), strict=True)
        }
        if not changed_views(connection, wanted):
            return []
        return self.create(connection)

    def create(self, connection: Connection) -> list[str]:
        """Replace the genre views in the database, all at once; return their names.

        The report's views must exist (``listening-report`` creates them).

        Raises:
            LayoutError: the genre table or the report's ``play_artists`` view is missing.
        """
        table = self.prefix + ARTIST_GENRES
        if not table_columns(connection, table):
            msg = (
                f"The database has no table {table!r}: set musicbrainz_contact for "
                "tap-spotify-recent so that it looks genres up (its artist_genres stream)."
            )
            raise LayoutError(msg)
        if not table_columns(connection, self.prefix + "play_artists"):
            msg = "The report's views are missing: run listening-report first."
            raise LayoutError(msg)
        connection.execute("BEGIN IMMEDIATE")  # as Views.create: a sync may commit meanwhile
        try:
            for name, body in self.definitions():
                connection.execute(f"DROP VIEW IF EXISTS {name}")
                connection.execute(f"CREATE VIEW {name} AS\n{body}")
            connection.execute("COMMIT")
        except Exception:
            with contextlib.suppress(Exception):
                connection.rollback()
            raise
        return [self.prefix + view for view in GENRE_VIEW_NAMES]


SET_PLAYS_COLUMNS = ("month", "artists", "plays", "ms_played")
"""What the report's genre figures read: plays and listening time per local month and set of
artists (`artist_set_sql`)."""


def period_set_plays(plays: str) -> str:
    """SQL for SET_PLAYS_COLUMNS over the plays `plays` (`played_at` in local time)."""
    return (
        f"SELECT substr(played_at, 1, 7) AS month, {artist_set_sql('artists')} AS artists,"
        f" 1 AS plays, ms_played FROM {plays}"
    )


def report_section(set_plays: str, *, stored: bool) -> str:
    """SQL for the report's genre figures, one JSON object, from `set_plays` (SET_PLAYS_COLUMNS).

    `stored`: `set_plays` reads `report_artist_sets` (read twice, through its index by set);
    else the period's plays, grouped once.

    Genres are joined to the sets of artists here, at read time: a genre record that arrives
    after the plays changes the figures at once. Parameters: the N of the genres shown per
    month (the top N by listening time), then N for the top lists by plays and by minutes.
    `top`: each genre ranking within N by plays or minutes; `without`: the plays counting
    for NO_GENRE or NOT_LOOKED_UP; `per_month`: for each local month, the plays of each
    genre shown, of `null` (plays with genres, none of them shown) and of the two without.
    """
    plays = (
        f"NOT MATERIALIZED (\n  {set_plays}\n)"
        if stored
        else "MATERIALIZED (\n  SELECT month, artists, sum(plays) AS plays, sum(ms_played) AS"
        f" ms_played\n  FROM ({set_plays})\n  GROUP BY month, artists\n)"
    )
    # CROSS JOIN keeps the rows of the sets outside: each finds its set's genres through an
    # automatic index (the other order reads every row once per genre row: minutes).
    return f"""WITH m_set_plays AS {plays},
m_sets AS MATERIALIZED (
  SELECT artists, sum(plays) AS plays, sum(ms_played) AS ms_played
  FROM m_set_plays GROUP BY artists
),
m_lookups AS MATERIALIZED (
  {LOOKUPS}
),
m_credited AS (
  SELECT s.artists, l.join_key IS NOT NULL AS looked_up, json_extract(x.value, '$.name') AS genre
  FROM m_sets AS s
  JOIN json_each(s.artists) AS k
  LEFT JOIN m_lookups AS l ON l.join_key = k.value
  LEFT JOIN json_each(l.genres) AS x
),
m_set_genres AS MATERIALIZED (
  SELECT artists, genre, 0 AS special FROM m_credited WHERE genre IS NOT NULL
  GROUP BY artists, genre
  UNION ALL
  SELECT artists, CASE WHEN min(looked_up) THEN '{NO_GENRE}' ELSE '{NOT_LOOKED_UP}' END, 1
  FROM m_credited GROUP BY artists HAVING count(genre) = 0
),
m_totals AS MATERIALIZED (
  SELECT g.genre, g.special, sum(s.plays) AS plays, sum(s.ms_played) AS ms_played
  FROM m_sets AS s JOIN m_set_genres AS g ON g.artists = s.artists
  GROUP BY g.genre, g.special
),
m_shown AS MATERIALIZED (
  SELECT genre FROM m_totals WHERE NOT special
  ORDER BY ms_played DESC, plays DESC, genre LIMIT ?
),
m_set_rows AS MATERIALIZED (
  SELECT artists, genre FROM m_set_genres
  WHERE special OR genre IN (SELECT genre FROM m_shown)
  UNION ALL
  SELECT artists, NULL FROM m_set_genres GROUP BY artists
  HAVING NOT max(special) AND NOT max(genre IN (SELECT genre FROM m_shown))
)
SELECT json_object(
  'top', json((
    SELECT json_group_array(json_object(
      'genre', genre, 'plays', plays, 'ms_played', ms_played,
      'by_plays', by_plays, 'by_minutes', by_minutes
    ))
    FROM (
      SELECT genre, plays, ms_played,
        row_number() OVER (ORDER BY plays DESC, ms_played DESC, genre) AS by_plays,
        row_number() OVER (ORDER BY ms_played DESC, plays DESC, genre) AS by_minutes
      FROM m_totals WHERE NOT special
    )
    WHERE by_plays <= ? OR by_minutes <= ?
  )),
  'without', json((
    SELECT json_group_array(json_object('genre', genre, 'plays', plays, 'ms_played', ms_played))
    FROM (SELECT * FROM m_totals WHERE special ORDER BY genre)
  )),
  'genres', (SELECT count(*) FROM m_totals WHERE NOT special),
  'per_month', json((
    SELECT json_group_array(json_array(month, genre, plays, ms_played))
    FROM (
      SELECT p.month, r.genre, sum(p.plays) AS plays, sum(p.ms_played) AS ms_played
      FROM m_set_plays AS p CROSS JOIN m_set_rows AS r ON r.artists = p.artists
      GROUP BY p.month, r.genre
      ORDER BY p.month, r.genre
    )
  ))
)"""
