"""The report's tables, refreshed a few rows at a time, equal the plain SQL over every play.

Property tests: a seeded listener (tests/histories.py) syncs, gets late plays, imports an
export, imports it again, imports a newer one overlapping it and Account data, renames a
track, gets rows no play can be (dated 0001 or 9999, lasting 2^63 - 1 ms), and loses rows to
`overwrite` loads, in a random order; everything goes through the real target (and the real
tap for exports; the target alone for the rows the tap refuses). After every step the
refreshed views must equal the reference SQL (the merge of every play,
`Views.report_with_clause`); at the end the report's tables must equal a rebuild from
scratch, and the report's figures those computed by the merge.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time

import pytest
from listening_report.period import Period, parse_bound, parse_timezone
from listening_report.refresh import Outcome, Refresh
from listening_report.report import build_report
from listening_report.source_tables import (
    FUTURE_DAYS,
    PLAYED_AT_FORMAT,
    PLAYS_COLUMNS,
    read_sources,
)
from listening_report.tables import WORK_TABLES
from listening_report.views import VIEW_NAMES, Views

from .histories import (
    EXPORT_ONLY,
    Listener,
    true_plays,
    write_export,
    write_export_rows,
    write_live,
)
from .reportkit import DATA_FILES, LAYOUTS, Database, import_export, load_singer

STEPS = (
    "sync",
    "late",
    "export",
    "reimport",
    "newer_export",
    "account_data",
    "rename",
    "impossible",
    "overwrite_live",
    "overwrite_export",
)
UNORDERED = {"plays", "play_artists", "listening_summary"}
"""Views without an ORDER BY: compared as sets of rows."""


def refresh(database: Database) -> Outcome:
    return database.run(
        lambda connection: Refresh(read_sources(connection, database.prefix), database.prefix).run(
            connection
        )
    )


def views(database: Database) -> Views:
    return database.run(
        lambda connection: Views(read_sources(connection, database.prefix), database.prefix)
    )


def assert_views_equal_the_reference(database: Database) -> None:
    """Each stored view (the report's tables) gives the rows of its reference SQL."""
    plain = views(database)
    for view in VIEW_NAMES:
        columns = ", ".join(PLAYS_COLUMNS) if view == "plays" else "*"
        stored = database.query(f"SELECT {columns} FROM {plain.name(view)}")
        reference = database.query(
            plain.report_with_clause() + f"SELECT {columns} FROM {plain.name(view)}"
        )
        if view in UNORDERED:
            stored, reference = sorted(stored, key=repr), sorted(reference, key=repr)
        assert stored == reference, view


def report_tables(database: Database) -> dict[str, list[tuple]]:
    """Every row of the report's tables but the bookkeeping, sorted."""
    skipped = {"report_state", "report_changes", *WORK_TABLES}
    tables = [table for table in Refresh.tables() if table not in skipped]
    return {
        table: sorted(database.query(f'SELECT * FROM "{database.prefix}{table}"'), key=repr)
        for table in tables
    }


def assert_tables_equal_a_rebuild(database: Database) -> None:
    refreshed = report_tables(database)
    for table in WORK_TABLES:
        assert database.query(f'SELECT count(*) FROM "{database.prefix}{table}"') == [(0,)]
    database.query(f"DELETE FROM \"{database.prefix}report_state\" WHERE name = 'fingerprint'")

    assert refresh(database).rebuilt
    assert report_tables(database) == refreshed


def assert_report_equals_the_reference(database: Database) -> dict:
    """The report's figures from the tables equal those of one merge of every play.

    Returns the figures of the whole history.
    """
    first, last = database.query(
        f'SELECT min(played_at), max(played_at) FROM "{database.prefix}plays"'
    )[0]
    berlin = parse_timezone("Europe/Berlin")
    periods = [
        Period(parse_timezone("UTC")),
        Period(parse_timezone("Asia/Kathmandu")),  # +5:45: quarters of an hour
        Period(berlin, parse_bound(first[:10], berlin), parse_bound(last[:10], berlin)),
    ]
    plain = views(database)
    now = dt.datetime.now(dt.timezone.utc)  # one notice of what is left out for both
    figures = []
    for period in periods:
        from_tables, merged = (
            database.run(
                lambda c, p=period, tables=tables: build_report(
                    c, plain, p, 3, tables=tables, now=now
                )
            )
            for tables in (True, False)
        )
        assert from_tables == merged, period
        figures.append(from_tables)
    return figures[0]


class Scenario:
    """One listener's steps, through the real target and tap, into `database`."""

    def __init__(self, database: Database, seed: int, layout: str, tmp_path) -> None:
        self.database = database
        self.rng = random.Random(seed)
        self.listener = Listener(self.rng, true_plays(self.rng, 240))
        self.settings = LAYOUTS[layout]
        self.tmp_path = tmp_path
        self.exports: list = []
        self.runs = 0
        self.impossible_rows = 0
        """The most rows of the target's tables dated where no play can be, after a step."""

    def folder(self, name: str):
        self.runs += 1
        folder = self.tmp_path / f"{self.runs}-{name}"
        folder.mkdir()
        return folder

    def load(self, records: list[dict], gaps: list[dict] = (), **settings: object) -> None:
        folder = self.folder("live")
        singer = write_live(folder / "plays.singer", records, gaps)
        load_singer(self.database, singer, folder, **self.settings, **settings)

    def import_export(self, extended: list[dict], account: list[dict] = (), **settings) -> None:
        folder = self.folder("export")
        export = write_export(folder / "export", extended, account)
        self.exports.append(export)
        import_export(self.database, export, folder, **self.settings, **settings)

    def step(self, kind: str) -> None:
        listener = self.listener
        if kind in ("sync", "catch_up"):  # catch_up: every play left, past the exports
            count = len(listener.plays) if kind == "catch_up" else self.rng.randint(15, 40)
            records = listener.sync(count)
            gaps = []
            if records and listener.cursor > 40:
                gaps = [
                    {
                        "detected_at": records[0]["played_at"],
                        "bookmark": min(r["played_at"] for r in records),
                        "oldest_returned_played_at": max(r["played_at"] for r in records),
                    }
                ]
            self.load(records, gaps)
        elif kind == "late":
            self.load(listener.late() or listener.sync(5))
        elif kind == "export":
            self.import_export(listener.extended(max(listener.cursor, 30)))
        elif kind == "reimport":
            if not self.exports:
                self.step("export")
            folder = self.folder("reimport")
            import_export(self.database, self.exports[-1], folder, **self.settings)
        elif kind == "newer_export":
            self.import_export(listener.extended(min(listener.cursor + 60, len(listener.plays))))
        elif kind == "account_data":
            self.import_export([], listener.account_data(max(listener.cursor, 30)))
        elif kind == "impossible":
            records, rows = listener.impossible()
            self.load(records)
            folder = self.folder("impossible-export")
            singer = write_export_rows(folder / "rows.singer", rows)
            load_singer(self.database, singer, folder, **self.settings)
        elif kind == "rename":
            listener.renamed = True  # and the export-only track is now heard live
            self.load(listener.sync(25))
        elif kind == "overwrite_live":
            kept = [r for r in listener.sent.values() if self.rng.random() < 0.7]
            self.load(kept, load_method="overwrite")
        elif kind == "overwrite_export":
            self.import_export(
                listener.extended(max(listener.cursor, 30), keep=0.6), load_method="overwrite"
            )

    def run(self) -> list[str]:
        """Run every kind of step once, in a random order, refreshing after each; then sync
        the plays after the exports."""
        kinds = list(STEPS)
        self.rng.shuffle(kinds)
        done = []
        for kind in ["sync", *kinds, "catch_up"]:
            had_export = self.has_export()
            self.step(kind)
            self.impossible_rows = max(self.impossible_rows, self.count_impossible_rows())
            outcome = refresh(self.database)
            # Only the first refresh, and the first import (a new table: no triggers yet),
            # rebuild; every other step is refreshed from its changes.
            assert outcome.rebuilt == (not done or had_export != self.has_export()), kind
            done.append(kind)
            assert_views_equal_the_reference(self.database)
        return done

    def count_impossible_rows(self) -> int:
        """Rows of the target's tables dated 0001 or 9999, or lasting past 24 hours."""
        prefix = self.database.prefix
        count = self.database.query(
            f'SELECT count(*) FROM "{prefix}recently_played" '
            "WHERE played_at < '2006' OR played_at >= '9999'"
        )[0][0]
        if self.has_export():
            count += self.database.query(
                f'SELECT count(*) FROM "{prefix}streaming_history" '
                "WHERE ended_at < '2006' OR ended_at >= '9999' OR ms_played > 86400000"
            )[0][0]
        return count

    def has_export(self) -> bool:
        name = f"{self.database.prefix}streaming_history"
        return self.database.query(
            "SELECT count(*) FROM sqlite_master WHERE name = ?", (name,)
        ) == [(1,)]


@pytest.mark.parametrize(
    ("seed", "layout", "prefix"),
    [(1, "nested", ""), (2, "flattened", "spotify_")],
)
def test_refreshed_tables_equal_the_plain_sql_after_random_syncs_imports_and_deletions(
    seed, layout, prefix, tmp_path
):
    database = Database(str(tmp_path / "plays.db"), prefix=prefix)
    scenario = Scenario(database, seed, layout, tmp_path)

    steps = scenario.run()

    assert sorted(steps) == sorted(["sync", "catch_up", *STEPS])
    assert_tables_equal_a_rebuild(database)
    assert_report_equals_the_reference(database)
    # The scenario did reach every case: plays of all three sources, deletions, Account data,
    # rows no play can be (2 live, 4 exported).
    assert scenario.impossible_rows == 6
    sources = dict(database.query(f'SELECT source, count(*) FROM "{prefix}plays" GROUP BY 1'))
    assert set(sources) == {"both", "recently_played", "streaming_history"}
    assert database.query(
        f"SELECT count(*) FROM \"{prefix}plays\" WHERE track_key = '{EXPORT_ONLY}'"
    )[0][0]


def test_refreshed_tables_on_sqld_equal_the_plain_sql(sqld, unique_prefix, tmp_path):
    database = Database(sqld.url, prefix=unique_prefix)
    scenario = Scenario(database, 3, "nested", tmp_path)

    scenario.run()

    assert_tables_equal_a_rebuild(database)
    assert_report_equals_the_reference(database)


def known_database(tmp_path, prefix: str = "") -> Database:
    database = Database(str(tmp_path / "plays.db"), prefix=prefix)
    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)
    import_export(database, DATA_FILES / "export", tmp_path)
    return database


def summary(database: Database) -> list[tuple]:
    return database.query(f'SELECT plays, ms_played FROM "{database.prefix}listening_summary"')


def test_a_refresh_that_fails_half_way_changes_nothing_and_the_next_one_catches_up(tmp_path):
    database = known_database(tmp_path)
    assert refresh(database).rebuilt
    before = summary(database)
    load_singer(database, DATA_FILES / "one_more_play.singer", tmp_path)
    # The refresh fails after it changed the plays, while it updates the top tracks.
    database.query(
        'CREATE TRIGGER "sabotage" BEFORE INSERT ON "report_tracks" '
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )

    with pytest.raises(ValueError, match="disk I/O error"):
        refresh(database)

    assert summary(database) == before  # rolled back: the tables still agree with each other
    assert database.query('SELECT source, count(*) FROM "report_changes" GROUP BY 1') == [
        ("live", 1)
    ]
    database.query('DROP TRIGGER "sabotage"')
    outcome = refresh(database)
    assert (outcome.rebuilt, outcome.changes) == (False, 1)
    assert summary(database) == [(before[0][0] + 1, before[0][1] + 240_000)]
    assert_views_equal_the_reference(database)


def test_plays_written_again_unchanged_log_no_change(tmp_path):
    # The tap sends the last 50 plays again on every run; an export is imported again.
    database = known_database(tmp_path)
    refresh(database)

    load_singer(database, DATA_FILES / "known_history.singer", tmp_path)
    import_export(database, DATA_FILES / "export", tmp_path)

    assert database.query('SELECT count(*) FROM "report_changes"') == [(0,)]
    assert refresh(database).changes == 0


def test_a_table_the_target_creates_again_is_noticed_and_rebuilt(tmp_path):
    database = known_database(tmp_path, prefix="spotify_")
    refresh(database)

    # Dropped and loaded again (as after a `meltano state clear` and a full resync): the
    # triggers went with the table, so its changes were not logged.
    database.query('DROP TABLE "spotify_recently_played"')
    load_singer(database, DATA_FILES / "one_more_play.singer", tmp_path)
    outcome = refresh(database)

    assert outcome.rebuilt
    assert summary(database) == [(19, 5_092_000 + 240_000)]  # the export and the new play
    assert_views_equal_the_reference(database)


def view_rows(database: Database) -> dict[str, list[tuple]]:
    """Every row of every stored view."""
    plain = views(database)
    return {view: database.query(f"SELECT * FROM {plain.name(view)}") for view in VIEW_NAMES}


def test_rows_no_play_can_be_change_no_view_refreshed_or_rebuilt(tmp_path):
    database = known_database(tmp_path)
    refresh(database)
    before = view_rows(database)

    # Plays dated 0001 and 9999 and an export row of 2^63 - 1 ms (test_impossible_values.py),
    # and live plays dated 9999 and 0001 whose credits would key the export's plays of
    # "Opening" (Fjord Lights, album Northern) and Account data's "Tide" (Dune Echo) if they
    # counted: as the track's latest live play, or in the counts of names and titles.
    for rows in ("impossible_values.singer", "impossible_credits.singer"):
        load_singer(database, DATA_FILES / rows, tmp_path)
    outcome = refresh(database)

    assert (outcome.rebuilt, outcome.changes) == (False, 7)
    assert view_rows(database) == before
    assert_views_equal_the_reference(database)
    assert_tables_equal_a_rebuild(database)
    assert view_rows(database) == before
    # A play of "Opening" heard live now: it lends its credits, never the 9999 play's.
    load_singer(database, DATA_FILES / "opening_heard_live.singer", tmp_path)
    refresh(database)
    assert database.query(
        "SELECT DISTINCT artist_key FROM play_artists WHERE track_key = 'spotify:track:opening'"
    ) == [("spotify:artist:fjord",)]
    assert_views_equal_the_reference(database)


def test_a_play_the_target_writes_again_changed_is_logged_once_and_refreshed(tmp_path):
    # The tap sends the last 50 plays again on every run; Spotify may have renamed a track
    # meanwhile: the target's upsert changes the stored row in place (same key).
    database = known_database(tmp_path)
    refresh(database)
    schema, *records = (DATA_FILES / "known_history.singer").read_text().splitlines()[:12]
    latest = json.loads(records[-1])
    assert latest["record"]["played_at"] == "2024-04-02T09:00:00Z"
    latest["record"]["track"]["name"] = "Morning (Live)"
    renamed = tmp_path / "renamed.singer"
    renamed.write_text(f"{schema}\n{json.dumps(latest)}\n")

    load_singer(database, renamed, tmp_path)

    assert database.query('SELECT source, count(*) FROM "report_changes" GROUP BY 1') == [
        ("live", 1)
    ]
    outcome = refresh(database)
    assert (outcome.rebuilt, outcome.changes) == (False, 1)
    assert database.query("SELECT track_name FROM top_tracks WHERE rank = 1") == [
        ("Morning (Live)",)
    ]
    assert_views_equal_the_reference(database)


def sqlite_time(database: Database, *modifiers: str) -> str:
    """The database's current time, moved by `modifiers`, as the views spell instants."""
    marks = "".join(", ?" for _ in modifiers)
    return database.query(f"SELECT strftime('{PLAYED_AT_FORMAT}', 'now'{marks})", modifiers)[0][0]


def test_a_play_dated_in_the_future_counts_from_the_first_refresh_its_time_is_possible(
    tmp_path,
):
    database = known_database(tmp_path)
    refresh(database)
    schema, record = (DATA_FILES / "one_more_play.singer").read_text().splitlines()[:2]
    play = json.loads(record)
    singer = tmp_path / "from_the_future.singer"
    # A play dated a little more than FUTURE_DAYS ahead: no play for a refresh now. On a
    # machine too slow to refresh and compare before its time comes (the reference SQL then
    # counts it already), again further ahead.
    for margin in (2, 4, 8, 16, 32, 64, 128):
        before = summary(database)
        played_at = sqlite_time(database, f"+{FUTURE_DAYS} day", f"+{margin} seconds")
        play["record"]["played_at"] = played_at
        singer.write_text(f"{schema}\n{json.dumps(play)}\n")
        load_singer(database, singer, tmp_path)
        refresh(database)
        [(possible,)] = database.query(
            'SELECT possible FROM "report_live" WHERE played_at = ?', (played_at,)
        )
        try:
            assert not possible
            assert summary(database) == before
            assert_views_equal_the_reference(database)
        except AssertionError:
            if sqlite_time(database, f"+{FUTURE_DAYS} day") <= played_at:
                raise  # the play's time had not come: a real difference
            refresh(database)  # its time came while checking: it counts now; try further ahead
            continue
        break
    else:
        raise AssertionError("the machine never checked the play before its time came")

    while sqlite_time(database, f"+{FUTURE_DAYS} day") <= played_at:
        time.sleep(0.05)  # until the play's time is possible (at most `margin` seconds)
    # A report with a read-only token merges every play itself until the next refresh.
    assert database.run(lambda c: Refresh(read_sources(c), "").pending(c)) == 1
    outcome = refresh(database)

    assert (outcome.rebuilt, outcome.changes) == (False, 1)
    assert summary(database) == [(before[0][0] + 1, before[0][1] + 240_000)]
    assert_views_equal_the_reference(database)
