"""JSON schemas of the streams, built from Spotify's object model.

Every nested property is optional and nullable: local files have null ids, and since February
2026 Development Mode apps no longer get ``popularity``, ``available_markets`` or
``linked_from`` (Extended Quota apps still do, so they stay in the schema).
"""

from __future__ import annotations

from singer_sdk import typing as th

_EXTERNAL_URLS = th.ObjectType(th.Property("spotify", th.StringType))


def _reference(*extra: th.Property) -> th.ObjectType:
    """An object with Spotify's identifying fields (all null for local files)."""
    return th.ObjectType(
        th.Property("external_urls", _EXTERNAL_URLS),
        th.Property("href", th.StringType),
        th.Property("id", th.StringType),
        th.Property("type", th.StringType),
        th.Property("uri", th.StringType),
        *extra,
    )


_ARTISTS = th.ArrayType(_reference(th.Property("name", th.StringType)))
_MARKETS = th.ArrayType(th.StringType)
_RESTRICTIONS = th.ObjectType(th.Property("reason", th.StringType))

ALBUM = _reference(
    th.Property("album_type", th.StringType),
    th.Property("artists", _ARTISTS),
    th.Property("available_markets", _MARKETS),
    th.Property(
        "images",
        th.ArrayType(
            th.ObjectType(
                th.Property("url", th.StringType),
                th.Property("height", th.IntegerType),
                th.Property("width", th.IntegerType),
            )
        ),
    ),
    th.Property("is_playable", th.BooleanType),
    th.Property("name", th.StringType),
    # "1981", "1981-12" or "1981-12-15", as release_date_precision says: not a JSON date.
    th.Property("release_date", th.StringType),
    th.Property("release_date_precision", th.StringType),
    th.Property("restrictions", _RESTRICTIONS),
    th.Property("total_tracks", th.IntegerType),
)

TRACK = _reference(
    th.Property("album", ALBUM),
    th.Property("artists", _ARTISTS),
    th.Property("available_markets", _MARKETS),
    th.Property("disc_number", th.IntegerType),
    th.Property("duration_ms", th.IntegerType),
    th.Property("explicit", th.BooleanType),
    th.Property(
        "external_ids",
        th.ObjectType(
            th.Property("isrc", th.StringType),
            th.Property("ean", th.StringType),
            th.Property("upc", th.StringType),
        ),
    ),
    th.Property("is_local", th.BooleanType),
    th.Property("is_playable", th.BooleanType),
    th.Property("linked_from", _reference()),
    th.Property("name", th.StringType),
    th.Property("popularity", th.IntegerType),
    th.Property("preview_url", th.StringType),
    th.Property("restrictions", _RESTRICTIONS),
    th.Property("track_number", th.IntegerType),
)

PLAY_HISTORY = th.PropertiesList(
    th.Property(
        "played_at",
        th.DateTimeType,
        required=True,
        description="When the play was recorded (UTC), exactly as Spotify sent it.",
    ),
    th.Property("track", TRACK, description="Spotify's TrackObject for the play."),
    th.Property(
        "context",
        th.ObjectType(
            th.Property("type", th.StringType),
            th.Property("href", th.StringType),
            th.Property("external_urls", _EXTERNAL_URLS),
            th.Property("uri", th.StringType),
        ),
        description="The playlist, album or artist played from; null when none.",
    ),
).to_dict()

LISTENING_GAP = th.PropertiesList(
    th.Property(
        "detected_at", th.DateTimeType, required=True, description="When the run noticed the gap."
    ),
    th.Property(
        "bookmark",
        th.DateTimeType,
        required=True,
        description="Newest play stored before the run: the gap starts after it.",
    ),
    th.Property(
        "oldest_returned_played_at",
        th.DateTimeType,
        required=True,
        description="Oldest play Spotify still served: the gap ends before it.",
    ),
).to_dict()
