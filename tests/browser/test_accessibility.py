"""WCAG 2.1 AA in Chromium: axe-core on the main pages of every role, and visible keyboard focus.

axe-core is vendored from the npm package (``vendor/axe-core``, see its README);
the page's Content-Security-Policy forbids inline scripts, so the context
bypasses it to inject axe. Rendering does not depend on the database, so these
run on SQLite only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from makerlab.bookings.models import Booking
from makerlab.extensions import db
from makerlab.workshops import services as workshops
from makerlab.workshops.models import WorkshopSession
from tests.browser.conftest import local, next_open_day

pytestmark = [
    pytest.mark.browser,
    pytest.mark.served,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}

# The main pages of each role; "{x}" are filled from the scene.
PAGES: dict[str, list[str]] = {
    "admin": [
        "/",
        "/today",
        "/calendar",
        "/equipment/{unit}",
        "/bookings/{booking}",
        "/participants/{participant}",
        "/sessions/{session}",
        "/reports/weekly",
        "/audit",
        "/users",
        "/sites/1",
        "/schools",
        "/outbox",
        "/account/tokens",
    ],
    "coordinator": [
        "/",
        "/today",
        "/bookings/free",
        "/bookings/loans",
        "/equipment/",
        "/workshops",
        "/workshops/new",
        "/attention",
        "/sessions/{session}",
        "/sessions/{session}/sign-in",
        "/participants/new",
    ],
    "youth_worker": [
        "/",
        "/today",
        "/calendar",
        "/bookings/mine",
        "/bookings/new?equipment_id={unit}",
        "/participants",
        "/sessions/{session}",
    ],
    "teacher": ["/", "/workshops", "/sessions/{session}", "/account/password"],
    "anonymous": ["/login", "/programme", "/password/forgot"],
}
# At phone width too: the pages used standing at the counter or on the go.
PHONE_PAGES: dict[str, list[str]] = {
    "youth_worker": ["/", "/today", "/calendar", "/sessions/{session}", "/bookings/{booking}"],
    "teacher": ["/", "/sessions/{session}"],
    "anonymous": ["/login"],
}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def scene(
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
) -> dict[str, Any]:
    """A unit with a booking, a participant and a session with a class, in the days ahead."""
    coordinator = make_user("coordinator")
    unit = make_unit(name="Lasercutter Nord", category="laser_cutter", requires_induction=True)
    day = next_open_day(dt.time(10, 0), dt.time(12, 0), min_days=1)
    booking = Booking(
        equipment_id=unit.id,
        starts_at=local(day, dt.time(10, 0)),
        ends_at=local(day, dt.time(12, 0)),
        blocked_until=local(day, dt.time(12, 0)),
        purpose="Schilder schneiden",
        booked_by_id=coordinator.id,
        # Staff dashboards show it under "Needs attention", with suggestions and actions.
        attention=[{"reason": "maintenance", "detail": "Lasercutter Nord: Linse wird getauscht"}],
    )
    db.session.add(booking)
    workshop = workshops.create_workshop(coordinator, title="Löten lernen", min_age=10, max_age=16)
    session = workshops.create_session(
        coordinator,
        workshop,
        starts_at=dt.datetime.combine(day, dt.time(10, 0)),
        ends_at=dt.datetime.combine(day, dt.time(12, 0)),
        capacity=30,
        location="Werkstatt",
    )
    participant = make_participant()
    commit()
    return {
        "coordinator": coordinator,
        "unit": unit.id,
        "booking": booking.id,
        "session": session.id,
        "participant": participant.id,
    }


def violations(page: Any) -> list[str]:
    """Serious and critical axe-core findings on the current page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['impact']} {v['id']}: {node['target']} ({v['help']})"
        for v in result["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def audit_pages(page: Any, urls: list[str], scene: dict[str, Any]) -> list[str]:
    found = []
    for template in urls:
        url = template.format(**scene)
        response = page.goto(url)
        assert response is not None and response.ok, url
        found += [f"{url}: {line}" for line in violations(page)]
    return found


def enter_as(
    role: str,
    scene: dict[str, Any],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
    log_in: Callable[[Any], None],
) -> None:
    """Log in as a new user of ``role`` (a teacher's school enrolled in the scene's session)."""
    if role == "anonymous":
        return
    user = make_user(role)
    if role == "teacher":
        workshops.enrol(
            user,
            db.session.get(WorkshopSession, scene["session"]),
            class_name="7a",
            headcount=20,
            accompanying_adults=2,
        )
    commit()
    log_in(user)


@pytest.mark.parametrize("role", list(PAGES))
def test_no_serious_violation_on_the_main_pages(
    role: str,
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_school: Callable[..., Any],
    scene: dict[str, Any],
    commit: Callable[[], None],
) -> None:
    enter_as(role, scene, make_user, commit, log_in)
    found = audit_pages(page, PAGES[role], scene)
    if role in PHONE_PAGES:
        page.set_viewport_size(PHONE)
        found += audit_pages(page, PHONE_PAGES[role], scene)
    assert not found, "\n".join(found)


def test_keyboard_focus_is_visible_in_the_top_bar_and_the_page(
    page: Any, log_in: Callable[[Any], None], scene: dict[str, Any]
) -> None:
    log_in(scene["coordinator"])
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()

    def ring(locator: Any) -> dict[str, str]:
        locator.focus()
        page.keyboard.press("Shift+Tab")  # focus by keyboard, so :focus-visible applies
        page.keyboard.press("Tab")
        expect(locator).to_be_focused()
        return dict(
            locator.evaluate(
                "e => { const s = getComputedStyle(e);"
                " return {style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor}; }"
            )
        )

    nav = page.get_by_role("navigation", name="Hauptnavigation")
    signal = {"style": "solid", "width": "3px", "color": "rgb(255, 200, 61)"}
    assert ring(nav.get_by_role("link", name="Kalender")) == signal
    assert ring(page.get_by_role("button", name="English")) == signal
    brand = {"style": "solid", "width": "3px", "color": "rgb(11, 79, 108)"}
    shortcuts = page.get_by_role("navigation", name="Schnellzugriff")
    assert ring(shortcuts.get_by_role("link").first) == brand


def test_long_german_labels_are_not_cut_mid_word(
    page: Any, log_in: Callable[[Any], None], scene: dict[str, Any]
) -> None:
    log_in(scene["coordinator"])
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/equipment/{scene['unit']}")
        label = page.locator(".ml-rules dt", has_text="Einweisung")
        lines = label.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e);"
            " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
        )
        assert lines == 1, f"the label wraps at {width} px"


LONG_PURPOSE = "Ersatzteile für den Roboterwettbewerb drucken (Sicherheitseinweisung Lasercutter)"
# For each word of a block's purpose and name: on how many lines it lies (1 = not cut mid-word).
LINES_PER_WORD = """blocks => blocks.flatMap(block => [...block.querySelectorAll('.ml-who')]
  .flatMap(who => {
  const text = who.firstChild, words = [], range = document.createRange();
  for (const m of text.data.matchAll(/\\S+/g)) {
    range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
    words.push([m[0], new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]);
  }
  return words;
}))"""


def test_a_long_purpose_wraps_between_words_in_the_desktop_week(
    page: Any, log_in: Callable[[Any], None], scene: dict[str, Any], commit: Callable[[], None]
) -> None:
    booking = db.session.get(Booking, scene["booking"])
    assert booking is not None
    booking.purpose = LONG_PURPOSE
    year, week, _day = booking.starts_at.astimezone(ZoneInfo("Europe/Berlin")).isocalendar()
    commit()
    log_in(scene["coordinator"])
    for width in (1366, 1200, 992):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/calendar?week={year}-W{week:02d}")
        block = page.locator("table.ml-week a.ml-block", has_text="10:00")
        expect(block).to_be_visible()
        # The whole purpose is one hover away, whatever the column shows.
        assert LONG_PURPOSE in (block.get_attribute("title") or "")
        words = block.evaluate_all(LINES_PER_WORD)
        assert "Roboterwettbewerb" in {word for word, _lines in words}
        cut = [word for word, lines in words if lines > 1]
        assert not cut, f"cut mid-word at {width} px: {cut}"


def test_sign_in_sheet_prints_without_navigation(
    page: Any, log_in: Callable[[Any], None], scene: dict[str, Any]
) -> None:
    log_in(scene["coordinator"])
    page.goto(f"/sessions/{scene['session']}/sign-in")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Drucken").click()
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Hauptnavigation")).to_be_hidden()
    expect(page.get_by_role("button", name="Drucken")).to_be_hidden()
    expect(page.locator(".ml-print-header")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Löten lernen")
