"""Artist genres from MusicBrainz: the ``artist_genres`` stream and its lookups.

``sightings`` collects the artists of the plays the other streams emit, ``book`` keeps in the
stream state which artists wait and which were looked up, ``matching`` reads MusicBrainz's
answers and decides what counts as a match, ``stream`` spends the per-run request budget.
"""
