"""Importing an export: which files to read, duplicates, malformed entries and the state.

Correctness comes from the key (``play_id``): importing the same plays again only rewrites the
same rows. The stream state only saves work: it keeps the SHA-256 of every file imported in
full, so a later run with the same ``history_path`` skips unchanged files after hashing them
(a changed file, or other settings for personal fields, is read again).

A malformed entry stops the import by default, naming the file, the entry's index and what is
wrong: the user decides, and no play is lost unseen. With ``history_skip_malformed`` the import
goes on; each skipped entry is logged as an error and counted in the file's state entry.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from tap_spotify_recent.export.entries import (
    PERSONAL_FIELDS,
    MalformedEntryError,
    to_record,
    unknown_fields,
)
from tap_spotify_recent.export.files import ExportError, find_history_files

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterator

    from tap_spotify_recent.export.files import HistoryFile

STATE_KEY = "imported_files"
#: Bumped when the records made from the same file change, so earlier imports are read again.
RECORD_VERSION = 2  # 2: audiobooks of Account data
IGNORED_LISTED = 20


@dataclass
class FileOutcome:
    """What reading one file gave."""

    plays: int = 0
    duplicates: int = 0
    malformed: int = 0
    complete: bool = True  # in totals: whether every file could be read to the end
    unknown: set[str] = field(default_factory=set)


class HistoryImporter:
    """Reads ``history_path`` into records, once per play, and remembers the files read."""

    def __init__(
        self,
        history_path: str,
        *,
        keep_personal_fields: bool,
        skip_malformed: bool,
        state: dict[str, t.Any],
        logger: logging.Logger,
    ) -> None:
        self.history_path = history_path
        self.keep_personal_fields = keep_personal_fields
        self.skip_malformed = skip_malformed
        self.imported: dict[str, dict[str, t.Any]] = state.setdefault(STATE_KEY, {})
        self.logger = logger
        self._seen_plays: set[str] = set()

    def records(self) -> Iterator[dict[str, t.Any]]:
        """Every play of the export not read before, each key once."""
        export = find_history_files(self.history_path)
        ignored = ", ".join(export.ignored[:IGNORED_LISTED])
        if len(export.ignored) > IGNORED_LISTED:
            ignored += ", …"
        self.logger.info(
            "Reading the Spotify export at %s: %d streaming-history files; ignored %d other "
            "files%s",
            self.history_path,
            len(export.files),
            len(export.ignored),
            f" ({ignored})" if ignored else "",
        )
        read_now: dict[str, str] = {}
        totals = FileOutcome()
        for file in export.files:
            try:
                yield from self._import(file, read_now, totals)
            except ExportError as exc:
                if not self.skip_malformed:
                    raise
                totals.complete = False
                self.logger.error("Skipped the rest of a file that cannot be read: %s", exc)
        if totals.malformed:
            self.logger.error(
                "%d malformed entries of the export were skipped (history_skip_malformed is "
                "on); each one is logged above with its file and index.",
                totals.malformed,
            )
        if not totals.complete:
            self.logger.error(
                "Files that cannot be read to the end were skipped from there (logged above); "
                "they are read again whenever the tap runs with history_path."
            )
        self.logger.info("Imported %d plays from the Spotify export.", totals.plays)

    def _import(
        self, file: HistoryFile, read_now: dict[str, str], totals: FileOutcome
    ) -> Iterator[dict[str, t.Any]]:
        """The plays of one file, unless it was read before; then remember it as imported."""
        digest = file.sha256()
        if digest in read_now:
            self.logger.info("Skipped %s: the same content as %s", file.name, read_now[digest])
            return
        read_now[digest] = file.name
        if self._already_imported(digest):
            self.logger.info("Skipped %s: imported before, unchanged", file.name)
            return
        outcome = FileOutcome()
        try:
            yield from self._read(file, outcome)
        finally:
            totals.plays += outcome.plays
            totals.malformed += outcome.malformed
        self._report(file, outcome)
        self.imported[digest] = {
            "file": file.name,
            "plays": outcome.plays,
            "malformed_entries_skipped": outcome.malformed,
            "personal_fields": self.keep_personal_fields,
            "version": RECORD_VERSION,
        }

    def _already_imported(self, digest: str) -> bool:
        earlier = self.imported.get(digest)
        return (
            earlier is not None
            and earlier.get("personal_fields") == self.keep_personal_fields
            and earlier.get("version") == RECORD_VERSION
        )

    def _read(self, file: HistoryFile, outcome: FileOutcome) -> Iterator[dict[str, t.Any]]:
        kind_hint = file.kind_hint
        for index, entry in file.entries():
            try:
                record = to_record(entry, source_file=file.name, kind_hint=kind_hint)
            except MalformedEntryError as exc:
                self._malformed(f"{file.name}, entry {index} (jq '.[{index}]'): {exc}")
                outcome.malformed += 1
                continue
            outcome.unknown |= unknown_fields(entry)
            if record["play_id"] in self._seen_plays:
                outcome.duplicates += 1
                continue
            self._seen_plays.add(record["play_id"])
            if not self.keep_personal_fields:
                for name in PERSONAL_FIELDS:
                    del record[name]
            outcome.plays += 1
            yield record

    def _malformed(self, problem: str) -> None:
        if not self.skip_malformed:
            msg = (
                f"Malformed entry in the Spotify export: {problem}. The import stopped there; "
                "plays read before it were emitted, and importing again never duplicates "
                "them. Fix or remove that entry, or set history_skip_malformed to import the "
                "rest (each skipped entry is logged)."
            )
            raise ExportError(msg)
        self.logger.error("Skipped a malformed entry: %s", problem)

    def _report(self, file: HistoryFile, outcome: FileOutcome) -> None:
        details = [f"{outcome.plays} plays"]
        if outcome.duplicates:
            plural = "play" if outcome.duplicates == 1 else "plays"
            details.append(
                f"{outcome.duplicates} repeated {plural} left out (the same item, end time and "
                "ms_played as a play read before: the first row is kept, even where reasons, "
                "flags or offline_timestamp differ)"
            )
        if outcome.malformed:
            details.append(f"{outcome.malformed} malformed entries skipped")
        self.logger.info("Read %s: %s", file.name, ", ".join(details))
        if outcome.unknown:
            self.logger.info(
                "%s has fields this tap does not know, left out: %s",
                file.name,
                ", ".join(sorted(outcome.unknown)),
            )
