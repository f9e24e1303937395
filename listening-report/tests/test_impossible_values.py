"""A database may hold what no play can be; the report leaves it out, says so, and renders.

`data_files/impossible_values.singer` adds, to the known history of test_views.py, live plays
dated 9999-12-31 and 0001-01-01 and export rows ending at those times, plus an export row
of 2^63 - 1 ms (it would overflow SQLite's integer sums): a damaged export or a wrong clock.
"""

from __future__ import annotations

import json
import re

from listening_report.html import render

from .reportkit import DATA_FILES, Run, load_singer
from .test_browser import rendered

LEFT_OUT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def test_impossible_times_and_lengths_are_left_out_of_every_figure_and_named(
    known_history, run_report, tmp_path
):
    expected = run_report(known_history).data()
    load_singer(known_history, DATA_FILES / "impossible_values.singer", tmp_path)

    report = run_report(known_history)

    assert report.returncode == 0, report.stderr
    assert "Traceback" not in report.stderr
    data = report.data()
    impossible = data.pop("impossible_times")
    assert impossible["before"] == "2006-01-01"
    assert LEFT_OUT.fullmatch(impossible["after"])
    assert "impossible_times" not in expected
    assert data == expected


def test_a_live_play_with_an_impossible_track_length_counts_without_minutes(
    known_history, run_report, tmp_path
):
    expected = run_report(known_history).data()["totals"]
    schema, record = (DATA_FILES / "one_more_play.singer").read_text().splitlines()[:2]
    play = json.loads(record)
    play["record"]["track"]["duration_ms"] = 2**63 - 1
    singer = tmp_path / "damaged_length.singer"
    singer.write_text(f"{schema}\n{json.dumps(play)}\n")
    load_singer(known_history, singer, tmp_path)

    report = run_report(known_history)

    assert report.returncode == 0, report.stderr
    totals = report.data()["totals"]
    assert (totals["plays"], totals["ms_played"]) == (expected["plays"] + 1, expected["ms_played"])


def test_the_page_with_impossible_values_renders_every_panel_and_names_what_is_left_out(
    known_history, run_report, tmp_path
):
    load_singer(known_history, DATA_FILES / "impossible_values.singer", tmp_path)
    report = run_report(known_history, "--timezone", "Europe/Berlin")

    dom = rendered(report, tmp_path)

    # The same page as the known history's alone (test_browser.py), with the notice.
    assert dom.classes["bar"] == 7 + 2
    assert dom.classes["cell"] == 7 * 24
    assert dom.classes["top"] == 3
    assert dom.classes["notice"] == 1
    assert dom.classes["empty"] == 0  # no panel without its chart, none that failed
    text = "".join(dom.text)
    assert (
        "Left out: plays dated before 2006-01-01, when Spotify did not exist yet, or after " in text
    )
    assert "in the future (a wrong clock or a damaged export). The database keeps them." in text


def test_a_panel_whose_data_cannot_be_drawn_says_so_and_the_others_still_show(
    known_history, run_report, tmp_path
):
    # No report writes such data; a page must survive it all the same.
    data = run_report(known_history).data()
    data["per_day"] = [[None, 1, 60000]]  # breaks building "Listening over time"
    data["weekday_hour"]["ms_played"] = None  # breaks drawing the heatmap, once laid out
    data["streaks"]["longest"] = None  # breaks the cards and "Streaks"
    page = tmp_path / "damaged" / "index.html"
    page.parent.mkdir()
    page.write_text(render(data), encoding="utf-8")

    dom = rendered(Run(0, "", "", page), tmp_path)

    text = "".join(dom.text)
    assert text.count("This panel could not be drawn: TypeError: ") == 3
    assert text.count("This chart could not be drawn: TypeError: ") == 1
    assert (dom.classes["top"], dom.classes["cell"]) == (3, 0)
    assert "Morning (2024 Remaster)" in text  # the top lists
    assert "Still open: request your Spotify data export to fill it" in text  # the gaps
