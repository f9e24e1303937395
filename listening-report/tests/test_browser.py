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
        # No sync_runs table: the Sync health section says so in one line.
        "No run of the sync is recorded in this database: tap-spotify-recent records each run "
        "in sync_runs when that stream is selected.",
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


def _open_pages(paths, read):
    """Open each page in headless Chromium (Playwright driving Debian's), call `read(page)`
    once it is drawn; return what each read gave and every console message or error."""
    from playwright.sync_api import sync_playwright

    from .reportkit import CHROMIUM_FLAGS, chromium_executable

    errors: list[str] = []
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_FLAGS[1:]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        for path in paths:
            page.goto(path.as_uri())
            page.wait_for_selector("html[data-rendered=done]")
            results.append(read(page))
        browser.close()
    return results, errors


def test_toggles_redraw_the_charts_and_lists_without_errors(known_history, run_report):
    report = run_report(known_history, "--timezone", "Europe/Berlin")

    def click_through(page):
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
        return days, weeks, by_plays, by_minutes, minutes_fill, plays_fill

    [(days, weeks, by_plays, by_minutes, minutes_fill, plays_fill)], errors = _open_pages(
        [report.output], click_through
    )

    assert errors == []
    assert (days, weeks) == (7, 3)
    assert (by_plays, by_minutes) == ("Morning (2024 Remaster)", "Strings")
    # Monday 00:00 holds 1 play of the busiest hour's 2 (sqrt scale: 0.12 + 0.88 * 0.707),
    # and 240 000 of the busiest hour's 660 000 ms (0.12 + 0.88 * 0.603).
    assert (minutes_fill, plays_fill) == ("rgba(30, 215, 96, 0.651)", "rgba(30, 215, 96, 0.742)")


def test_the_sync_health_section_shows_runs_pauses_and_the_longest_safe_interval(
    tmp_path, run_report
):
    from .reportkit import Database
    from .test_health import load

    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=True)
    report = run_report(database, "--timezone", "America/Los_Angeles")
    assert report.returncode == 0, report.stderr

    def read(page):
        section = page.locator("#sync-health")
        return {
            "stats": section.locator(".health-stat").all_inner_texts(),
            "verdict": section.locator(".health-verdict").inner_text(),
            "bars": section.locator("rect.bar").count(),
            "bands": section.locator("rect.gap-band").count(),
        }

    [shown], errors = _open_pages([report.output], read)

    assert errors == []
    # The runs per local day of the last 30 days (up to today: how many fall in it depends on
    # the day the test runs), the days when a run found a gap shaded.
    runs = report.data()["health"]["runs"]
    assert shown["bars"] == sum(1 for _, n, _ in runs["per_day"] if n)
    assert shown["bands"] == sum(1 for _, _, gaps in runs["per_day"] if gaps)
    days = runs["token_days_left"]  # counted from the day the test runs
    assert shown["stats"] == [
        "2026-11-01 16:20\nlast successful run\nit found no gap",
        "5\nruns recorded\n2.5 a day since 2026-11-01 01:00",
        "12 h\nlongest pause between runs\n2026-11-01 04:10 → 16:10",
        "2 h 2 min\nlongest safe interval\nyour busiest 50 plays",
        "1\nrun found a gap\nnone listed in this report's period",
        f"{days} days\nuntil the refresh token expires\n"
        "expires 2027-01-15: authorize again before (tap-spotify-recent auth)",
    ]
    assert shown["verdict"] == (
        "Your busiest 50 plays lasted 2 h 2 min (2026-10-03 13:00 → 15:02); the longest pause "
        "between runs was 12 h, 2026-11-01 04:10 → 16:10: on a day like your busiest, plays "
        "may have been lost (2 pauses that long). Run the sync more often, or start it from an "
        "external trigger."
    )


def test_the_refresh_token_warns_30_days_ahead_and_once_expired(tmp_path, run_report):
    from listening_report.html import read_data, render

    from .reportkit import Database
    from .test_health import load

    database = load(Database(str(tmp_path / "plays.db")), tmp_path, with_export=False)
    report = run_report(database)
    assert report.returncode == 0, report.stderr
    data = read_data(report.output.read_text(encoding="utf-8"))
    pages = []
    for days in (31, 30, 0, -3):
        page = tmp_path / f"token-{days}.html"
        runs = {**data["health"]["runs"], "token_days_left": days}
        page.write_text(render({**data, "health": {**data["health"], "runs": runs}}))
        pages.append(page)

    def read(page):
        token = page.locator("#sync-health .health-stat").last
        return token.get_attribute("class"), token.locator(".value").inner_text()

    shown, errors = _open_pages(pages, read)

    assert errors == []
    assert shown == [
        ("health-stat", "31 days"),
        ("health-stat warn", "30 days"),
        ("health-stat bad", "today"),
        ("health-stat bad", "expired"),
    ]
