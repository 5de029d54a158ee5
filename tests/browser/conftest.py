"""Browser journeys: Debian's Chromium driven by Playwright against the app under gunicorn.

The served app runs in its own processes with the real clock, so journeys
use dates relative to today (:func:`next_open_day`). Data is made with the
factories and services inside the test's app context and committed before
the browser acts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from makerlab import clock
from makerlab.extensions import db
from makerlab.sites import services as sites
from makerlab.sites.services import default_site
from tests.conftest import CHROMIUM, TEST_PASSWORD

SCREENSHOTS = "test-results"
# Generous waits: the machines running the suite are often busy; passing steps never wait.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without Debian's Chromium the journeys cannot run: skip them and say why."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture
def base_url(served: str) -> str:
    """The app under gunicorn on loopback (replaces pytest-playwright's fallback)."""
    return served


@pytest.fixture
def browser_context_args(base_url: str) -> dict[str, Any]:
    """A German desktop browser in the site's time zone."""
    return {
        "base_url": base_url,
        "locale": "de-DE",
        "timezone_id": "Europe/Berlin",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the item, so fixtures know whether the test failed."""
    report = yield
    setattr(item, f"browser_rep_{report.when}", report)
    return report


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page that saves a full-page screenshot under ``test-results/`` if the test failed."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    report = getattr(request.node, "browser_rep_call", None)
    if report is not None and report.failed:
        folder = Path(request.config.rootpath) / SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.nodeid).strip("-")
        path = folder / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as error:  # noqa: BLE001 - the test's own failure matters more
            print(f"could not save the failure screenshot: {error}")
        else:
            print(f"failure screenshot: {path}")


@pytest.fixture
def log_in(page: Any) -> Callable[[Any], None]:
    """Log a user in through the German login form."""

    def log_in(user: Any) -> None:
        page.goto("/login")
        page.get_by_label("E-Mail").fill(user.email)
        page.get_by_label("Passwort").fill(TEST_PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/login" not in url)

    return log_in


@pytest.fixture
def commit(app: Flask) -> Callable[[], None]:
    """End the test's transaction so the server sees its data and the test sees the server's."""

    def commit() -> None:
        db.session.commit()
        db.session.expire_all()

    return commit


def next_open_day(
    start: dt.time,
    end: dt.time,
    *,
    weekday: int | None = None,
    min_days: int = 1,
) -> dt.date:
    """The first site-local day at least ``min_days`` ahead whose opening hours cover the slot."""
    site = default_site()
    day = clock.today(site.timezone) + dt.timedelta(days=min_days)
    for _ in range(60):
        if weekday is None or day.weekday() == weekday:
            starts = clock.combine(day, start, site.timezone)
            ends = clock.combine(day, end, site.timezone)
            if sites.within_opening_hours(site, starts, ends):
                return day
        day += dt.timedelta(days=1)
    raise AssertionError("no open day in the next 60 days")


def local(day: dt.date, time: dt.time) -> dt.datetime:
    """A wall-clock time at the default site as a UTC instant."""
    return clock.combine(day, time, default_site().timezone)


def no_sideways_scroll(page: Any) -> bool:
    """True when the page body does not scroll horizontally."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))
