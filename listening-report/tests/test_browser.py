"""The report as a person sees it: opened offline in headless Chromium (Debian's package)."""

from __future__ import annotations

import struct
from collections import Counter
from html.parser import HTMLParser

from .reportkit import chromium


class Elements(HTMLParser):
    """Counts elements per CSS class and collects the visible text of a DOM dump."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.classes: Counter[str] = Counter()
        self.root: dict[str, str | None] = {}
        self.text: list[str] = []
        self.feed(dom)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.root = attributes
        for name in (attributes.get("class") or "").split():
            self.classes[name] += 1

    def handle_data(self, data):
        self.text.append(data)


def rendered(report, tmp_path) -> Elements:
    """The DOM of `report`'s page once its script ran, which it must do silently."""
    assert report.returncode == 0, report.stderr
    browser = chromium(report.output, tmp_path / "profile", "--dump-dom")
    assert browser.console == []
    dom = Elements(browser.stdout)
    assert dom.root.get("data-rendered") == "done"
    return dom


def test_report_renders_every_chart_offline_without_console_errors(
    known_history, run_report, tmp_path
):
    report = run_report(known_history, "--timezone", "Europe/Berlin")

    dom = rendered(report, tmp_path)

    # 7 Berlin days with plays (the default view for 64 days) + 2 months of new artists.
    assert dom.classes["bar"] == 7 + 2
    assert dom.classes["gap-band"] == 2
    assert dom.classes["cell"] == 7 * 24
    assert dom.classes["top"] == 3
    text = "".join(dom.text)
    for shown in (
        "Morning (2024 Remaster)",
        "Aurora Lane, Dune Echo · First Light",
        "Garage Demos",
        "2024-02-03 19:00",
        "times in Europe/Berlin",
        "Still open: request your Spotify data export to fill it",
    ):
        assert shown in text


def test_the_merged_report_says_which_gaps_the_export_covered(merged_history, run_report, tmp_path):
    report = run_report(merged_history)

    dom = rendered(report, tmp_path)

    # Only the gap the export does not span is shaded on the timeline.
    assert dom.classes["gap-band"] == 1
    assert (dom.classes["gap-covered"], dom.classes["gap-partly-covered"]) == (1, 1)
    text = "".join(dom.text)
    for shown in (
        "Covered by the export: 2 plays filled in",
        "Partly covered: the export fills in 4 plays but does not span the gap",
        "11 from the export alone, 7 in both, 4 live only",
        "Minutes are exact for plays in your Spotify data export",
        "Podcast episodes and audiobooks are left out, except those in Account data's older "
        "combined StreamingHistoryN.json (no music/podcast split), which lists them like songs: "
        "from it they count as music.",
    ):
        assert shown in text


def test_screenshot_of_the_report_is_saved(known_history, run_report, tmp_path):
    report = run_report(known_history, "--timezone", "Europe/Berlin")
    screenshot = tmp_path / "report.png"

    browser = chromium(
        report.output,
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        "--window-size=1280,2420",
        "--hide-scrollbars",
    )

    assert browser.console == []
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1280, 2420)
    print(f"screenshot: {screenshot}")


def test_hostile_names_are_shown_as_text_and_run_no_script(tmp_path, run_report):
    from .reportkit import DATA_FILES, Database, load_singer

    database = Database(str(tmp_path / "hostile.db"))
    load_singer(database, DATA_FILES / "hostile_names.singer", tmp_path)
    report = run_report(database)

    dom = rendered(report, tmp_path)

    assert dom.root.get("data-pwned") is None
    assert "</script><script>document.documentElement.dataset.pwned=1</script>" in "".join(dom.text)


def test_toggles_redraw_the_charts_and_lists_without_errors(known_history, run_report):
    from playwright.sync_api import sync_playwright

    from .reportkit import CHROMIUM_FLAGS, chromium_executable

    report = run_report(known_history, "--timezone", "Europe/Berlin")
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_FLAGS[1:]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(report.output.as_uri())
        page.wait_for_selector("html[data-rendered=done]")
        over_time = page.locator("section.panel").filter(has_text="Listening over time")
        tracks = page.locator("section.panel").filter(has_text="Top tracks")
        heat = page.locator("section.panel").filter(has_text="When you listen")
        first_cell = heat.locator("rect.cell").first  # Monday 00:00: 1 play of 240 000 ms

        days = over_time.locator("rect.bar").count()
        over_time.get_by_role("button", name="Week").click()
        weeks = over_time.locator("rect.bar").count()
        by_plays = tracks.locator(".name").first.text_content()
        tracks.get_by_role("button", name="Minutes").click()
        by_minutes = tracks.locator(".name").first.text_content()
        minutes_fill = first_cell.get_attribute("fill")
        heat.get_by_role("button", name="Plays").click()
        plays_fill = heat.locator("rect.cell").first.get_attribute("fill")
        browser.close()

    assert errors == []
    assert (days, weeks) == (7, 3)
    assert (by_plays, by_minutes) == ("Morning (2024 Remaster)", "Strings")
    # Monday 00:00 holds 1 play of the busiest hour's 2 (sqrt scale: 0.12 + 0.88 * 0.707),
    # and 240 000 of the busiest hour's 660 000 ms (0.12 + 0.88 * 0.603).
    assert (minutes_fill, plays_fill) == ("rgba(30, 215, 96, 0.651)", "rgba(30, 215, 96, 0.742)")
