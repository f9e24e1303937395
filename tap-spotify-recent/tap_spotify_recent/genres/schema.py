"""The ``artist_genres`` record: one per artist, with its genres and how it was matched."""

from __future__ import annotations

from singer_sdk import typing as th

ARTIST_GENRE = th.PropertiesList(
    th.Property(
        "artist_key",
        th.StringType,
        required=True,
        description=(
            "The artist as the listening report keys it: its Spotify URI "
            "(spotify:artist:<id>), or its name for artists known by name only (the data "
            "export, local files)."
        ),
    ),
    th.Property("spotify_artist_id", th.StringType, description="Spotify artist id, if known."),
    th.Property(
        "artist_name", th.StringType, required=True, description="Name as Spotify gives it."
    ),
    th.Property(
        "musicbrainz_id",
        th.StringType,
        description="MBID of the matched MusicBrainz artist; null when there is no match.",
    ),
    th.Property("musicbrainz_name", th.StringType, description="Its name on MusicBrainz."),
    th.Property(
        "matched_by",
        th.StringType,
        description=(
            "spotify_url (MusicBrainz links the artist's Spotify page), isrc (credited on the "
            "recording of a track's ISRC) or name_search (the only artist of that name); null "
            "when there is no match."
        ),
    ),
    th.Property(
        "unmatched_reason",
        th.StringType,
        description=(
            "Why there is no match: no_link, isrc_unknown, not_credited_on_isrc, "
            "name_not_found, name_ambiguous, artist_gone or refused; null when matched."
        ),
    ),
    th.Property(
        "genres",
        th.ArrayType(
            th.ObjectType(
                th.Property("name", th.StringType),
                th.Property("count", th.IntegerType),
                th.Property("id", th.StringType),
            )
        ),
        required=True,
        description=(
            "MusicBrainz genres of the artist, most votes (count) first; empty when it has "
            "none or there is no match."
        ),
    ),
    th.Property(
        "tags",
        th.ArrayType(
            th.ObjectType(th.Property("name", th.StringType), th.Property("count", th.IntegerType))
        ),
        required=True,
        description="Free-form MusicBrainz tags (genres among them), most votes first.",
    ),
    th.Property(
        "looked_up_at",
        th.DateTimeType,
        required=True,
        description="When MusicBrainz was asked (UTC).",
    ),
).to_dict()
