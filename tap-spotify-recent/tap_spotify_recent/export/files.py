"""The export's streaming-history files: finding them (zip, folder, file) and reading entries.

The export arrives as a zip (``my_spotify_data.zip``) that nests its files under a folder
(``Spotify Extended Streaming History/``, ``Spotify Account Data/``, ``MyData/``); people also
unzip it, keep both downloads in one folder, or pick a single file. History files are known by
name; everything else in an export (playlists, library, user data, the read-me PDF) is listed
as ignored. Entries are parsed one at a time with ijson, so a file of any size costs the
memory of one entry.
"""

from __future__ import annotations

import hashlib
import io
import re
import typing as t
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tap_spotify_recent.errors import TapError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXTENDED_FILE = re.compile(r"(Streaming_History_(Audio|Video)_.*|endsong(_\d+)?)\.json", re.I)
ACCOUNT_DATA_FILE = re.compile(
    r"StreamingHistory(_(?P<family>music|podcast|audiobook))?_?\d*\.json", re.I
)
HISTORY_FILE_PATTERNS = (
    "Streaming_History_Audio_*.json, Streaming_History_Video_*.json, endsong_*.json, "
    "StreamingHistory*.json"
)
_FAMILY_KIND = {"music": "track", "podcast": "episode", "audiobook": "audiobook"}
_CHUNK = 1 << 20
_UTF8_BOM = b"\xef\xbb\xbf"
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


class ExportError(TapError):
    """The export cannot be read as it is; the message names the file and what is wrong."""


@dataclass(frozen=True)
class HistoryFile:
    """One streaming-history file of the export."""

    #: Where the file is in the export (``Spotify Extended Streaming History/…json``).
    name: str
    #: Opens the file's bytes (a file on disk or a zip member, decompressed).
    open: Callable[[], io.BufferedIOBase] = field(repr=False, compare=False)

    @property
    def kind_hint(self) -> str | None:
        """What an Account data file holds by its name: tracks, episodes or audiobooks."""
        match = ACCOUNT_DATA_FILE.fullmatch(Path(self.name).name)
        return _FAMILY_KIND.get((match["family"] or "").lower()) if match else None

    def sha256(self) -> str:
        """Hex SHA-256 of the content: the same for the zip member and the unzipped file."""
        digest = hashlib.sha256()
        with self._reading() as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def entries(self) -> Iterator[tuple[int, t.Any]]:
        """The entries of the file's JSON array with their index, parsed one at a time."""
        import ijson  # only an import pays for the parser

        count = 0
        with self._reading() as stream:
            _skip_to_array(stream, self.name)
            try:
                for count, entry in enumerate(ijson.items(stream, "item"), start=1):
                    yield count - 1, entry
            except ijson.JSONError as exc:
                where = f"after entry {count - 1}" if count else "before its first entry"
                raise _invalid_json(self.name, where, exc) from None

    @contextmanager
    def _reading(self) -> Iterator[io.BufferedIOBase]:
        """The open file; a failed read (disk, corrupt zip) becomes an ExportError."""
        try:
            with self.open() as stream:
                yield stream
        except _READ_ERRORS as exc:
            raise _unreadable(self.name, exc) from None


def _invalid_json(name: str, where: str, exc: Exception) -> ExportError:
    """Name the file and the parser's reason, without the text it quotes.

    The parser's message goes on to quote the file around the error (as text, or as bytes when
    they are not UTF-8), which may hold personal fields: only its first line is kept, and
    anything quoted in it is left out.
    """
    reason = exc.args[0] if exc.args else ""
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", errors="replace")
    lines = str(reason).strip().splitlines()
    reason = _QUOTED.sub("…", lines[0]).strip() if lines else type(exc).__name__
    if "UTF8" in reason:
        advice = (
            "Spotify's exports are UTF-8: download the export again (a copy re-saved by another "
            "program may have changed its encoding), or remove this file."
        )
        return ExportError(f"{name} is not UTF-8 text {where} ({reason}). {advice}")
    return ExportError(
        f"{name} is not valid JSON {where} ({reason}): the download may be incomplete. "
        "Download the export again, or remove this file."
    )


def _unreadable(name: str, exc: BaseException) -> ExportError:
    return ExportError(f"Could not read {name} ({type(exc).__name__}: {exc}).")


def _skip_to_array(stream: io.BufferedIOBase, name: str) -> None:
    """Check that the file is a JSON array, and step over a byte-order mark before it."""
    head = stream.peek(64)[:64]  # type: ignore[attr-defined]
    if head.startswith(_UTF8_BOM):
        stream.read(len(_UTF8_BOM))
        head = head[len(_UTF8_BOM) :]
    start = head.lstrip()[:1]
    if start and start != b"[":
        first = start.decode(errors="replace")
        msg = (
            f"{name} is not a JSON array of plays (it starts with {first!r}): is it a "
            "streaming-history file of the Spotify export?"
        )
        raise ExportError(msg)


@dataclass(frozen=True)
class Export:
    """What ``history_path`` holds: the history files to read and the files ignored."""

    files: list[HistoryFile]
    ignored: list[str]


def is_history_file(name: str) -> bool:
    """Whether a file name is one of the export's streaming-history files."""
    base = Path(name).name
    return bool(EXTENDED_FILE.fullmatch(base) or ACCOUNT_DATA_FILE.fullmatch(base))


def find_history_files(history_path: str) -> Export:
    """The history files under ``history_path``: a folder (zips inside too), a zip or a file."""
    root = Path(history_path).expanduser()
    files: list[HistoryFile] = []
    ignored: list[str] = []
    if root.is_dir():
        for path in sorted((p for p in root.rglob("*") if p.is_file()), key=_natural_order):
            name = path.relative_to(root).as_posix()
            if zipfile.is_zipfile(path):
                _add_zip_members(path, f"{name}/", files, ignored)
            elif is_history_file(name):
                files.append(HistoryFile(name, partial(_open_file, path)))
            else:
                ignored.append(name)
    elif root.is_file() and zipfile.is_zipfile(root):
        _add_zip_members(root, "", files, ignored)
    elif root.is_file():
        # A file named on purpose is read whatever its name; its content must be history.
        files.append(HistoryFile(root.name, partial(_open_file, root)))
    else:
        msg = f"history_path {history_path!r} does not exist (or cannot be read)."
        raise ExportError(msg)
    if not files:
        seen = ", ".join(ignored[:10]) + (", …" if len(ignored) > 10 else "")
        msg = (
            f"history_path {history_path!r} holds no Spotify streaming-history file "
            f"({HISTORY_FILE_PATTERNS}); found: {seen or 'nothing'}. Point it at the export's "
            "zip as downloaded, the folder it unzips to, or one of those files."
        )
        raise ExportError(msg)
    return Export(files, ignored)


def _add_zip_members(path: Path, prefix: str, files: list[HistoryFile], ignored: list[str]) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir()]
    except _READ_ERRORS as exc:
        raise _unreadable(str(path), exc) from None
    for member in sorted(members, key=_natural_order):
        if is_history_file(member):
            files.append(HistoryFile(prefix + member, partial(_open_member, path, member)))
        else:
            ignored.append(prefix + member)


def _natural_order(name: str | Path) -> list[t.Any]:
    """Sort key putting ``…_2.json`` before ``…_10.json``, so files are read in export order."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(name))]


def _open_file(path: Path) -> io.BufferedReader:
    return path.open("rb")


def _open_member(path: Path, member: str) -> io.BufferedIOBase:
    """A zip member's decompressed bytes; the member stays readable once the zip is closed."""
    with zipfile.ZipFile(path) as archive:
        # typeshed types a member of any mode as IO[bytes]; read mode gives a ZipExtFile.
        return t.cast("zipfile.ZipExtFile", archive.open(member))
