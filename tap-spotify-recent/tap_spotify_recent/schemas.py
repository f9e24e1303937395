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


def _text(name: str, description: str) -> th.Property:
    return th.Property(name, th.StringType, description=description)


def _flag(name: str, description: str) -> th.Property:
    return th.Property(name, th.BooleanType, description=description)


_PLAY_FIELDS = (
    th.Property(
        "play_id",
        th.StringType,
        required=True,
        description=(
            "Stable key: a hash of the source format, end time, ms_played and the item's URI "
            "(or names). The same play imported again gets the same key."
        ),
    ),
    th.Property(
        "ended_at",
        th.DateTimeType,
        required=True,
        description=(
            "When the play ended, RFC 3339 UTC: to the second from Extended streaming history "
            "(ts), to the minute from Account data (endTime)."
        ),
    ),
    th.Property("ms_played", th.IntegerType, required=True, description="Milliseconds played."),
    _text("kind", "track, episode or audiobook; null when the export does not say."),
    _text("track_name", "Track name (master_metadata_track_name, trackName)."),
    _text(
        "artist_name",
        "Album artist in Extended streaming history (featured artists are not listed); the "
        "artist in Account data.",
    ),
    _text("album_name", "Album name; Extended streaming history only."),
    _text("spotify_track_uri", "spotify:track:… URI; Extended streaming history only."),
    _text("episode_name", "Podcast episode name."),
    _text("episode_show_name", "Podcast (show) name."),
    _text("spotify_episode_uri", "spotify:episode:… URI; Extended streaming history only."),
    _text("audiobook_title", "Audiobook title."),
    _text("audiobook_uri", "Audiobook URI."),
    _text("audiobook_chapter_title", "Audiobook chapter title."),
    _text("audiobook_chapter_uri", "Audiobook chapter URI."),
    _text("audiobook_author", "Audiobook author (authorName); Account data only."),
    _text("reason_start", "Why the play started (trackdone, fwdbtn, clickrow, …)."),
    _text("reason_end", "Why the play ended (trackdone, fwdbtn, endplay, …)."),
    _text("platform", "Device or platform, as Spotify worded it at the time."),
    _flag("shuffle", "Whether shuffle was on."),
    _flag("skipped", "Whether the user skipped to the next item; null in older data."),
    _flag("offline", "Whether it was played offline."),
    _flag("incognito_mode", "Whether it was played in a private session."),
    th.Property(
        "offline_timestamp",
        th.IntegerType,
        description=(
            "When offline mode was entered, as exported: seen as Unix milliseconds and as "
            "seconds, 0 or null."
        ),
    ),
)
_PERSONAL_FIELDS = (
    _text("ip_addr", "IP address (ip_addr, ip_addr_decrypted in older exports)."),
    _text("user_agent_decrypted", "User agent; older exports only."),
    _text("conn_country", "Country code of the connection."),
    _text("username", "Spotify username; older exports only."),
)
_SOURCE_FIELDS = (
    th.Property(
        "source_format",
        th.StringType(allowed_values=["extended", "account_data"]),
        required=True,
        description="extended (Extended streaming history) or account_data (Account data).",
    ),
    th.Property(
        "source_file",
        th.StringType,
        required=True,
        description="The file the play was read from, as named in the export.",
    ),
)


def streaming_history_schema(*, personal_fields: bool) -> dict:
    """The streaming_history schema; personal fields only when they are kept."""
    personal = _PERSONAL_FIELDS if personal_fields else ()
    return th.PropertiesList(*_PLAY_FIELDS, *personal, *_SOURCE_FIELDS).to_dict()
