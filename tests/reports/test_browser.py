"""The printable report in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_PASSWORD
from tests.reports.conftest import PARTICIPANT_NAMES, WEEK

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.served,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed"),
]


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    """A German desktop page in pytest-playwright's shared Chromium."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_report_page_renders_and_prints_on_two_pages(
    scenario: dict[str, Any], served: str, make_user: Any, browser_page: Any, tmp_path: Path,
) -> None:
    page = browser_page
    user = make_user("coordinator")
    page.goto(served + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{served}/reports/weekly?week={WEEK}&site_id=1")
    assert page.locator("h1#report-title").inner_text() == "KW 12 / 2027"
    heatmap = page.locator("svg.chart-heatmap")
    bars = page.locator("svg.chart-bars")
    assert heatmap.is_visible() and bars.is_visible()
    assert heatmap.bounding_box()["width"] > 500
    assert bars.locator("rect").count() >= 5  # a bar per unit plus the legend
    text = page.locator("article.report").inner_text()
    assert "Podcast-Koffer 1" in text and "66:00" in text
    for name in PARTICIPANT_NAMES:
        assert name not in page.content()
    shots = Path(os.environ.get("REPORT_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(shots / "report-screen.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (shots / "report-print.pdf").write_bytes(pdf)
    assert 1 <= _pages(pdf) <= 2, "Chromium's print must fit two A4 pages"
    # Picking another week with the week picker and the previous-week link.
    page.click("a[rel=prev]")
    assert "2027-W11" in page.url
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{served}/reports/weekly?week={WEEK}")
    page.screenshot(path=str(shots / "report-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, "the page must not scroll sideways on a phone"


def _pages(pdf: bytes) -> int:
    import subprocess

    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    for line in info.stdout.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def test_period_page_on_a_desktop_and_a_phone(
    spring: dict[str, Any], served: str, make_user: Any, browser_page: Any, tmp_path: Path,
) -> None:
    page = browser_page
    user = make_user("coordinator")
    page.goto(served + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{served}/reports?from=2027-03-01&to=2027-05-01&site_id=1")
    for chart in ("chart-months", "chart-categories", "chart-heatmap"):
        assert page.locator(f"svg.{chart}").is_visible(), chart
    text = page.locator("article.report").inner_text()
    assert "Schulklassen, Alter unbekannt" in text and "Podcast-Werkstatt" in text
    for name in PARTICIPANT_NAMES:
        assert name not in page.content()
    shots = Path(os.environ.get("REPORT_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(shots / "period-screen.png"), full_page=True)
    page.locator("nav.shortcuts a", has_text="Letzte 12 Monate").click()
    page.wait_for_load_state()
    assert page.locator("nav.shortcuts a[aria-current=page]").inner_text() == "Letzte 12 Monate"
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{served}/reports?from=2027-03-01&to=2027-05-01")
    page.screenshot(path=str(shots / "period-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
