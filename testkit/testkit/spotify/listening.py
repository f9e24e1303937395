"""A seeded listener: when plays happen and which tracks, over years of listening.

Artists are popular by a Zipf law and are discovered over time; days follow a weekly rhythm
with days off and now and then a week without music; hours peak at the commute and in the
evening; a few plays are local files. Plays are PlayHistoryObjects of a
``testkit.spotify.catalogue.Catalogue``, oldest first, each ``played_at`` unique (it is the
tap's key). Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import typing as t

from testkit.spotify.catalogue import Catalogue, context, format_played_at

Play = dict[str, t.Any]
"""A PlayHistoryObject: ``track``, ``played_at``, ``context``."""

# By UTC hour, for a listener in Central Europe: quiet nights, commute, evenings.
HOUR_WEIGHTS = (0, 0, 0, 0, 0.1, 0.5, 3, 5, 4, 3, 3, 4, 4, 4, 4, 5, 6, 6, 6, 7, 6, 3, 0, 0)


def plays(
    catalogue: Catalogue,
    rng: random.Random,
    *,
    start: dt.date,
    per_day: float = 90,
    count: int | None = None,
    days: int | None = None,
) -> t.Iterator[Play]:
    """Plays from ``start`` on, about ``per_day`` a listening day, one day at a time.

    They go on until ``count`` plays or ``days`` days, whichever comes first (at least one
    must be given).
    """
    if count is None and days is None:
        msg = "give count or days"
        raise ValueError(msg)
    span = days if days is not None else int(t.cast(int, count) // per_day) + 1
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(catalogue.artists))]
    cumulative = list(itertools.accumulate(weights))  # what choices() would compute each time
    # Artist i is first heard on day `debut[i]`: most early on, a trickle later.
    debut = [int(span * (i / len(weights)) ** 1.6) for i in range(len(weights))]
    emitted = 0
    previous: dt.datetime | None = None
    day = idle_until = start
    while (count is None or emitted < count) and (days is None or (day - start).days < days):
        if rng.random() < 0.01:  # now and then a week without music
            idle_until = day + dt.timedelta(days=rng.randint(3, 10))
        idle = day < idle_until or rng.random() < 0.1
        weekend = day.weekday() >= 5
        mean = per_day * (1.25 if weekend else 0.95)
        n = 0 if idle else max(1, int(rng.gauss(mean, per_day / 4)))
        if count is not None:
            n = min(n, count - emitted)
        index = (day - start).days
        moments = []
        for hour in sorted(rng.choices(range(24), weights=HOUR_WEIGHTS, k=n)):
            if catalogue.local_tracks and rng.random() < 0.01:
                track = rng.choice(catalogue.local_tracks)
            else:
                artist = rng.choices(range(len(weights)), cum_weights=cumulative)[0]
                while debut[artist] > index:
                    artist = rng.randrange(artist + 1)
                track = rng.choice(catalogue.tracks_by_artist[artist])
            moment = dt.datetime.combine(day, dt.time(hour), dt.timezone.utc) + dt.timedelta(
                seconds=rng.randrange(3600), milliseconds=rng.randrange(1000)
            )
            moments.append((moment, track))
        moments.sort(key=lambda pair: pair[0])
        for moment, track in moments:
            if previous is not None and moment <= previous:  # played_at is the key: unique
                moment = previous + dt.timedelta(milliseconds=1)
            previous = moment
            emitted += 1
            yield {"played_at": format_played_at(moment), "track": track, "context": context(rng)}
        day += dt.timedelta(days=1)


def history(count: int, seed: int = 7, start: dt.date = dt.date(2023, 1, 2)) -> list[Play]:
    """``count`` plays of a listener of their own catalogue (an artist per 60 plays)."""
    rng = random.Random(seed)
    catalogue = Catalogue.generate(rng, artists=max(20, count // 60))
    return list(plays(catalogue, rng, start=start, count=count))
