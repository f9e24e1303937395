"""The HTML file itself: one self-contained page that needs nothing from the network."""

from __future__ import annotations

import base64
import hashlib
import re

from listening_report.html import embed_json, read_data

from .reportkit import DATA_FILES, Database, load_singer


def csp_hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


def test_page_loads_nothing_and_allows_only_its_own_script_and_style(known_history, run_report):
    result = run_report(known_history)
    page = result.output.read_text(encoding="utf-8")

    for reference in ("src=", "href=", "url(", "@import", "fetch(", "XMLHttpRequest", "<link"):
        assert reference not in page
    [script] = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    [style] = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    [policy] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy == (
        f"default-src 'none'; style-src '{csp_hash(style)}'; script-src '{csp_hash(script)}'"
    )


def test_page_is_small(known_history, run_report):
    result = run_report(known_history)

    # The script and style are most of it (46 KiB with the genre and sync health panels).
    assert result.output.stat().st_size < 52_000


def test_names_that_close_the_script_element_are_escaped_and_read_back(tmp_path, run_report):
    database = Database(str(tmp_path / "hostile.db"))
    load_singer(database, DATA_FILES / "hostile_names.singer", tmp_path)

    result = run_report(database)

    page = result.output.read_text(encoding="utf-8")
    assert page.count("</script>") == 2  # the data element and the script element
    [track] = result.data()["top"]["tracks"]["by_plays"]
    assert (
        track["track_name"] == "</script><script>document.documentElement.dataset.pwned=1</script>"
    )
    assert track["album_name"] == "<!-- \u2028 & \"quotes\" 'single' ${x} {{y}}"


def test_embedded_json_has_no_markup_characters():
    text = embed_json({"name": "<b>&</b>"})

    assert text == '{"name":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}'
    assert read_data(f'<script type="application/json" id="report-data">{text}</script>') == {
        "name": "<b>&</b>"
    }
