"""The kit's pytest plugin (entry point ``pytest11``): a fixture for each local stand-in.

Loaded by pytest wherever the kit is installed, so this is the only module that imports pytest.
Servers are started for the test and stopped after it, except ``sqld`` and ``sqld_jwt``,
which a session shares: give each test its own tables (``unique_prefix``), not its own server.
The sqld fixtures need the kit's ``sqld`` extra; they import it only when a test uses them, so
packages that do not need sqld run their tests without it.
"""

from __future__ import annotations

import itertools
import typing as t
import uuid
from pathlib import Path

import pytest

from testkit.github import GitHubServer
from testkit.healthchecks import PingServer
from testkit.musicbrainz import MusicBrainzServer
from testkit.spotify.server import SpotifyServer

if t.TYPE_CHECKING:
    from testkit.sqld import SqldServer

S = t.TypeVar("S", bound="_Server")


class _Server(t.Protocol):
    def start(self: S) -> S: ...
    def stop(self) -> None: ...


@pytest.fixture
def spotify_server() -> t.Iterator[SpotifyServer]:
    """A running Spotify contract server with no plays yet (add them with ``add_plays``)."""
    with SpotifyServer() as server:
        yield server


def _started(server: t.Callable[..., S]) -> t.Iterator[t.Callable[..., S]]:
    """A factory of started servers (options as keywords), stopping them all afterwards."""
    servers: list[S] = []

    def make(**options: t.Any) -> S:
        started = server(**options).start()
        servers.append(started)
        return started

    yield make
    for started in servers:
        started.stop()


@pytest.fixture
def make_spotify_server() -> t.Iterator[t.Callable[..., SpotifyServer]]:
    """Factory for Spotify contract servers with options (rotation, short token TTL, ...)."""
    yield from _started(SpotifyServer)


@pytest.fixture
def make_musicbrainz_server() -> t.Iterator[t.Callable[..., MusicBrainzServer]]:
    """Factory for running MusicBrainz contract servers (``interval=`` sets the spacing)."""
    yield from _started(MusicBrainzServer)


@pytest.fixture
def musicbrainz_server(
    make_musicbrainz_server: t.Callable[..., MusicBrainzServer],
) -> MusicBrainzServer:
    """A running MusicBrainz contract server with its own rule: one request per second."""
    return make_musicbrainz_server()


@pytest.fixture
def github_server() -> t.Iterator[GitHubServer]:
    """A running GitHub contract server for a private repository without issues."""
    with GitHubServer() as server:
        yield server


@pytest.fixture
def ping_server() -> t.Iterator[PingServer]:
    """A running healthchecks.io-style ping server (``add_check()`` gives a ping URL)."""
    with PingServer() as server:
        yield server


@pytest.fixture(scope="session")
def sqld(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[SqldServer]:
    """A session-wide sqld without auth; tests share it and use their own tables."""
    from testkit.sqld import SqldServer

    with SqldServer(tmp_path_factory.mktemp("sqld")) as server:
        yield server


@pytest.fixture(scope="session")
def sqld_jwt(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[SqldServer]:
    """A session-wide sqld that requires a JWT (``sqld_jwt.make_token()`` makes one)."""
    from testkit.sqld import SqldServer

    with SqldServer(tmp_path_factory.mktemp("sqld-jwt"), jwt=True) as server:
        yield server


@pytest.fixture
def sqld_factory(tmp_path: Path) -> t.Iterator[t.Callable[..., SqldServer]]:
    """Start private sqld servers (``sqld_factory(jwt=False)``), stopped after the test.

    The test may kill or restart them.
    """
    from testkit.sqld import SqldServer

    folders = (tmp_path / f"sqld-{n}" for n in itertools.count())

    def new(*, jwt: bool = False) -> SqldServer:
        return SqldServer(next(folders), jwt=jwt)

    yield from _started(new)


@pytest.fixture
def unique_prefix() -> str:
    """A table-name prefix unique to this test, for sharing a session-wide server."""
    return f"t{uuid.uuid4().hex[:8]}_"
