"""One history from every source of plays: the live plays and the Spotify data export.

The export (`streaming_history`) overlaps the live plays (`recently_played`) wherever both
were recording, and may hold a play twice itself (its duplicate rows; an Extended streaming
history and an Account data import of the same year). `merged_select` counts each play once:

1. **What counts.** An export row is a play when it is a track (episodes and audiobooks are
   left out of the music figures) that lasted MIN_MS_PLAYED (30 s, as Spotify counts a
   stream) or more. Every live play counts: Spotify lists a play once it passed 30 s.
2. **The export's duplicates.** Identical rows share their key (`play_id`): one row. Extended
   rows of the same URI and `ms_played` ending less than DUPLICATE_S apart are one play
   (Maloja's rule: two plays that long cannot end that close).
3. **Account data vs Extended.** An Account data row is the Extended play of the same track
   title and the same artist or `ms_played` whose end is within TOLERANCE_S of its minute;
   the Extended row is kept (it has the URI and the album).
4. **Export vs live.** An export play and a live play are one play when they have the same
   track key and ended within TOLERANCE_S of each other. The pair keeps the live record
   (all credits, ids) with the export's exact `ms_played`, as `source` = `both`.

Times are compared to the second; an Account data time (`endTime`, to the minute) stands for
any second of its minute. Pairs are one to one: a play pairs with its nearest candidate when
that candidate's nearest is the play itself, so a track played twice in a row stays two
plays when only one of them was seen live.

**Keys of export plays.** A track's key is its URI. A row without one (Account data) takes
the URI most played under the same title and artist (names compared trimmed and in ASCII
lower case) among the live plays' credits and the Extended rows, else a key of both names.
A track heard live lends its live credits and album to all its plays, so they credit the
same artists whatever their source. Otherwise the export only names the album artist: it
takes the URI of the live artist of that name most played (else the name is its key), and
the album the URI of the live album of that name and first artist (else a key of both).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_MS_PLAYED = 30_000
TOLERANCE_S = 60
DUPLICATE_S = 30
MINUTE_S = 59
"""How many seconds after a minute-precision time the play may have ended."""
BUCKET_S = 2 * TOLERANCE_S
"""Time buckets for the pairing join: any two plays that may pair lie in adjacent buckets."""

ACCOUNT_DATA = "account_data"
"""The export format whose times are to the minute and whose rows have no URI."""
FIRST_ALBUM_ARTIST = "json_extract(album_artists, '$[0].name')"


def normalized_name(expression: str) -> str:
    """Return SQL for the form in which names are compared: trimmed, lower case.

    SQLite's lower() folds ASCII letters only: "Björk" and "BJÖRK" stay apart.
    """
    return f"lower(trim({expression}))"


def credits(live: str, column: str) -> str:
    """SQL for one row per artist credited in the JSON `column` of each live play of `live`.

    Columns: the play's `track_key` and normalised `title`, `plays` (1), and the artist's
    normalised `name` and `uri`. Every play credits its own artists.
    """
    name = normalized_name("json_extract(a.value, '$.name')")
    return (
        f"SELECT l.track_key, {normalized_name('l.track_name')} AS title, 1 AS plays, "
        f"{name} AS name, json_extract(a.value, '$.uri') AS uri "
        f"FROM {live} AS l, json_each(l.{column}) AS a"
    )


def artist_uri_rows(live: str) -> str:
    """SQL for the (`name`, `uri`, `plays`) rows from which an artist name takes its URI."""
    return f"{credits(live, 'artists')}\n      UNION ALL\n      {credits(live, 'album_artists')}"


def album_key_rows(live: str) -> str:
    """SQL for the (`album`, `artist`, `album_key`, `plays`) rows naming albums of `live`."""
    return (
        f"SELECT {normalized_name('album_name')} AS album,\n"
        f"        {normalized_name(FIRST_ALBUM_ARTIST)} AS artist, album_key, 1 AS plays\n"
        f"      FROM {live}\n"
        "      WHERE album_key LIKE 'spotify:album:%'"
    )


def live_track_uri_rows(live: str) -> str:
    """SQL for the (`title`, `artist`, `uri`, `plays`) rows of the tracks heard live."""
    rows = credits(live, "artists")
    return f"SELECT title, name AS artist, track_key AS uri, plays FROM ({rows})"


def export_track_uri_rows(export: str, where: str = "") -> str:
    """SQL for the (`title`, `artist`, `uri`, `plays`) rows of the export's rows with a URI."""
    return (
        f"SELECT title, artist, uri, 1 AS plays FROM {export}\n"
        f"      WHERE uri IS NOT NULL{f' AND {where}' if where else ''}"
    )


def most_played(key: str, value: str, rows: str) -> str:
    """SQL mapping each `key` (columns) to its `value` with the most `plays` in `rows`.

    Ties go to the smallest value.
    """
    not_null = " AND ".join(f"{column} IS NOT NULL" for column in (*key.split(", "), value))
    return f"""  SELECT {key}, {value} FROM (
    SELECT {key}, {value},
      row_number() OVER (PARTITION BY {key} ORDER BY sum(plays) DESC, {value}) AS n
    FROM (
{rows}
    )
    WHERE {not_null}
    GROUP BY {key}, {value}
  )
  WHERE n = 1"""


def pairs(left: str, right: str, key: str, condition: str = "") -> str:
    """SQL pairing rows of `left` with rows of `right` of the same `key`.

    A pair's end times (each side's `lo` to `hi` seconds) lie within TOLERANCE_S; each row
    goes with its nearest candidate, and the pair holds only when the choice is mutual.
    Candidates lie in adjacent buckets (the CTE `m_near` holds the steps -1, 0 and 1), so a
    pair's decision depends only on the rows within two buckets of either side.
    """
    also = f" AND ({condition})" if condition else ""
    gap = "max(0, l.lo - r.hi, r.lo - l.hi)"
    return f"""  SELECT left_id, right_id, left_ms_played FROM (
    SELECT left_id, right_id, left_ms_played,
      row_number() OVER (PARTITION BY left_id ORDER BY gap, skew, right_id) AS left_rank,
      row_number() OVER (PARTITION BY right_id ORDER BY gap, skew, left_id) AS right_rank
    FROM (
      SELECT l.id AS left_id, r.id AS right_id, l.ms_played AS left_ms_played,
        {gap} AS gap, abs(l.lo + l.hi - r.lo - r.hi) AS skew
      FROM {left} AS l
      CROSS JOIN m_near AS near
      CROSS JOIN {right} AS r ON r.{key} = l.{key} AND r.bucket = l.bucket + near.step
      WHERE {gap} <= {TOLERANCE_S}{also}
    )
  )
  WHERE left_rank = 1 AND right_rank = 1"""


NEAR = ("m_near (step)", "  VALUES (-1), (0), (1)")
"""The CTE of bucket steps that `pairs` joins on."""
ACCOUNT = f"source_format = '{ACCOUNT_DATA}'"
EXPORT_HI = f"lo + CASE WHEN {ACCOUNT} THEN {MINUTE_S} ELSE 0 END"
"""The latest second an export row may have ended: a minute-precision time spans 59 more."""
MATCHING = "id, title, artist, ms_played, lo, hi, bucket"

Cte = tuple[str, str, bool]
"""A CTE: its name, its body and whether it is computed once for all its uses (see `_cte`)."""


def dropped_ctes(export: str) -> list[Cte]:
    """Return the CTEs (name, body, computed once) of `m_dropped`, the rows not plays.

    `m_dropped` holds the ids of the rows of `export` that are not plays of their own
    (duplicates, Account data twins).
    A row's fate depends only on the rows of `export` within two buckets of it.
    """
    return [
        (
            "m_duplicates",
            f"""  SELECT id FROM (
    SELECT id, lo - lag(lo) OVER (PARTITION BY uri, ms_played ORDER BY lo, id) AS after_previous
    FROM {export}
    WHERE NOT {ACCOUNT} AND uri IS NOT NULL
  )
  WHERE after_previous < {DUPLICATE_S}""",
            False,
        ),
        ("m_account", f"  SELECT {MATCHING} FROM {export} WHERE {ACCOUNT}", True),
        (
            "m_extended_named",
            f"  SELECT {MATCHING} FROM {export}\n"
            f"  WHERE NOT {ACCOUNT} AND title IN (SELECT title FROM m_account)",
            True,
        ),
        (
            "m_account_twins",
            pairs(
                "m_account",
                "m_extended_named",
                "title",
                "l.artist = r.artist OR l.ms_played = r.ms_played",
            ),
            True,
        ),
        (
            "m_dropped",
            "  SELECT id FROM m_duplicates\n  UNION ALL\n  SELECT left_id FROM m_account_twins",
            True,
        ),
    ]


def timed(select: str, hi: str = "lo") -> str:
    """SQL adding `lo`/`hi` (earliest and latest end, Unix seconds) and `bucket` to `select`.

    Rows whose `played_at` SQLite cannot read (NULL) are left out.

    Each LIMIT -1 keeps SQLite from inlining a subquery, which would compute its
    `played_at` (then `lo`) again for each use.
    """
    return f"""  SELECT *, {hi} AS hi, lo / {BUCKET_S} AS bucket FROM (
    SELECT *, CAST(strftime('%s', played_at) AS INTEGER) AS lo FROM (
{select}
    LIMIT -1)
  LIMIT -1)
  WHERE lo IS NOT NULL"""


def _live_columns(plays_columns: tuple[str, ...]) -> str:
    """The columns of a live play: an export twin gives its exact `ms_played`."""
    special = {
        "source": "CASE WHEN t.left_id IS NULL THEN 'recently_played' ELSE 'both' END",
        "ms_played": "COALESCE(t.left_ms_played, l.ms_played)",
    }
    return ",\n  ".join(
        f"{special[column]} AS {column}" if column in special else f"l.{column}"
        for column in plays_columns
    )


_EXPORT_COLUMNS = f"""  e.played_at,
  'streaming_history' AS source,
  e.track_key,
  CASE WHEN e.track_key LIKE 'spotify:track:%' THEN substr(e.track_key, 15) END AS track_id,
  e.track_name,
  COALESCE(c.artists, json_array(json_object('name', e.artist_name, 'uri', au.uri))) AS artists,
  COALESCE(
    c.album_key,
    al.album_key,
    CASE WHEN e.album_name IS NOT NULL
      THEN json_array(e.artist, {normalized_name("e.album_name")}) END
  ) AS album_key,
  COALESCE(c.album_name, e.album_name) AS album_name,
  COALESCE(
    c.album_artists,
    CASE WHEN e.album_name IS NULL THEN '[]'
    ELSE json_array(json_object('name', e.artist_name, 'uri', au.uri)) END
  ) AS album_artists,
  e.ms_played,
  CASE WHEN e.track_key LIKE 'spotify:local:%' THEN 1
    WHEN e.track_key LIKE 'spotify:%' THEN 0 END AS is_local"""

PLAY_KEY = "play_key"
"""The column naming a play of the report's table: its live or its exported row's key."""


@dataclass(frozen=True)
class PlaySources:
    """The relations the plays are made of (tables, or the reference merge's CTEs).

    `live` and `export` are the live plays and the export's kept plays with their
    `track_key`; `twins` the pairs (`left_id` export, `right_id` live, `left_ms_played`);
    `live_tracks` the credits of each track's latest live play; `artist_uris` and
    `album_uris` the URIs the export's names take.
    """

    live: str
    export: str
    twins: str
    live_tracks: str
    artist_uris: str
    album_uris: str


def plays_select(
    sources: PlaySources,
    plays_columns: tuple[str, ...],
    *,
    live_where: str = "",
    export_where: str = "",
    keyed: bool = False,
) -> str:
    """Return the SELECT of the plays, from live and exported ones.

    Each live play (with its export twin, if any), then each export play without a live
    twin, credited from what was heard live.
    `live_where`/`export_where` restrict the rows of `l`/`e`; `keyed` adds the columns
    PLAY_KEY (`live:<id>` or `export:<id>`), `lo` and `bucket`.
    """
    live_key = f",\n  'live:' || l.id AS {PLAY_KEY}, l.lo, l.bucket" if keyed else ""
    export_key = f",\n  'export:' || e.id AS {PLAY_KEY}, e.lo, e.bucket" if keyed else ""
    live_and = f"\nWHERE {live_where}" if live_where else ""
    export_and = f"\n  AND {export_where}" if export_where else ""
    return f"""SELECT
  {_live_columns(plays_columns)}{live_key}
FROM {sources.live} AS l
LEFT JOIN {sources.twins} AS t ON t.right_id = l.id{live_and}
UNION ALL
SELECT
{_EXPORT_COLUMNS}{export_key}
FROM {sources.export} AS e
LEFT JOIN {sources.live_tracks} AS c ON c.track_key = e.track_key
LEFT JOIN {sources.artist_uris} AS au ON au.name = e.artist
LEFT JOIN {sources.album_uris} AS al
  ON al.album = {normalized_name("e.album_name")} AND al.artist = e.artist
WHERE e.id NOT IN (SELECT left_id FROM {sources.twins}){export_and}"""


def _cte(name: str, body: str, *, once: bool, materialized: bool) -> str:
    """SQL for the CTE `name`; `once`: computed once for all its uses.

    With `materialized` the MATERIALIZED hint (SQLite 3.35) says so; without it LIMIT -1
    keeps SQLite from inlining the CTE into each use, which mostly has the same effect
    (the stored views use that form: a database whose views older SQLite versions cannot
    parse cannot be opened by them at all).
    """
    if not once:
        return f"{name} AS (\n{body}\n)"
    if materialized:
        return f"{name} AS MATERIALIZED (\n{body}\n)"
    return f"{name} AS (\n{body}\nLIMIT -1)"


LIVE_TRACKS_COLUMNS = "track_key, artists, album_key, album_name, album_artists"


def _live_ctes(live_select: str) -> list[Cte]:
    """The live plays (`m_live`, timed) and the credits of each track's latest (`m_live_tracks`)."""
    return [
        ("m_live", timed(live_select), True),
        (
            "m_live_tracks",
            f"  SELECT {LIVE_TRACKS_COLUMNS}, max(played_at)\n  FROM m_live\n  GROUP BY track_key",
            True,
        ),
    ]


def _export_keyed_ctes(export_select: str) -> list[Cte]:
    """The export's plays (`m_export_keyed`): its rows, less those not plays, keyed to tracks.

    A row without a URI (`m_unnamed`) takes the URI most played under its title and
    artist (`m_track_uris`), else a key of both names (`m_named`).
    """
    return [
        ("m_export", timed(export_select, EXPORT_HI), True),
        *dropped_ctes("m_export"),
        (
            "m_unnamed",
            "  SELECT id, title, artist FROM m_export\n"
            "  WHERE uri IS NULL AND id NOT IN (SELECT id FROM m_dropped)",
            True,
        ),
        (
            "m_track_uris",
            most_played(
                "title, artist",
                "uri",
                f"      {live_track_uri_rows('m_live')}\n      UNION ALL\n      "
                + export_track_uri_rows("m_export", "title IN (SELECT title FROM m_unnamed)"),
            ),
            False,
        ),
        (
            "m_named",
            "  SELECT e.id, COALESCE(u.uri, json_array(e.artist, e.title)) AS track_key\n"
            "  FROM m_unnamed AS e\n"
            "  LEFT JOIN m_track_uris AS u ON u.title = e.title AND u.artist = e.artist",
            True,
        ),
        (
            "m_export_keyed",
            "  SELECT *,\n"
            "    COALESCE(uri, (SELECT track_key FROM m_named WHERE id = e.id)) AS track_key\n"
            "  FROM m_export AS e\n"
            "  WHERE id NOT IN (SELECT id FROM m_dropped)",
            False,
        ),
    ]


def _twins_ctes() -> list[Cte]:
    """The pairs of an export play and a live play that are one play (`m_live_twins`).

    Only the export's plays within the live plays' time span (`m_export_when_live`) can pair.
    """
    return [
        (
            "m_export_when_live",
            "  SELECT id, track_key, ms_played, lo, hi, bucket FROM m_export_keyed\n"
            f"  WHERE hi >= (SELECT min(lo) FROM m_live) - {TOLERANCE_S}\n"
            f"    AND lo <= (SELECT max(hi) FROM m_live) + {TOLERANCE_S}",
            False,
        ),
        ("m_live_twins", pairs("m_export_when_live", "m_live", "track_key"), True),
    ]


def _credit_ctes() -> list[Cte]:
    """The URIs the export's artist and album names take from the live plays."""
    return [
        ("m_artist_uris", most_played("name", "uri", f"      {artist_uri_rows('m_live')}"), False),
        (
            "m_album_uris",
            most_played("album, artist", "album_key", f"      {album_key_rows('m_live')}"),
            False,
        ),
    ]


def merged_select(
    live_select: str,
    export_select: str,
    plays_columns: tuple[str, ...],
    *,
    materialized: bool = False,
) -> str:
    """Return the SELECT of every play, live and exported, each once, from the tables.

    This is the reference definition: the report's own tables (`refresh`) hold the same
    plays, kept current a few rows at a time. `live_select` yields the `plays_columns`
    plus a unique `id`; `export_select` yields the export's music plays: `id`,
    `source_format`, `played_at`, `ms_played`, `track_name`, `artist_name`, `album_name`,
    `uri` and the normalised `title` and `artist`. Sets of rows are kept narrow (ids and
    keys): copying whole rows costs more than the matching. `materialized` uses SQLite's
    MATERIALIZED hint, about twice as fast (see `_cte`).
    """
    ctes = [
        (*NEAR, False),
        *_live_ctes(live_select),
        *_export_keyed_ctes(export_select),
        *_twins_ctes(),
        *_credit_ctes(),
    ]
    definitions = ",\n".join(
        _cte(name, body, once=once, materialized=materialized) for name, body, once in ctes
    )
    sources = PlaySources(
        live="m_live",
        export="m_export_keyed",
        twins="m_live_twins",
        live_tracks="m_live_tracks",
        artist_uris="m_artist_uris",
        album_uris="m_album_uris",
    )
    return f"WITH\n{definitions}\n{plays_select(sources, plays_columns)}"
