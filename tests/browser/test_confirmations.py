"""Asking before irreversible actions (a dialog, by keyboard) and subscribing to a calendar feed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import icalendar
import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from makerlab.auth.services import issue_token
from makerlab.bookings import services as bookings
from makerlab.bookings.models import Booking
from makerlab.equipment import services as equipment
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.workshops import services as workshops
from tests.browser.conftest import SCREENSHOTS, local, next_open_day, no_sideways_scroll
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.served]

NINE, TEN = dt.time(9, 0), dt.time(10, 0)
WIDTHS = (390, 1366)


def _booked(make_user: Callable[..., Any], names: tuple[str, ...]) -> tuple[Any, list[Any]]:
    coordinator = make_user("coordinator")
    worker = make_user("youth_worker")
    day = next_open_day(NINE, TEN)
    made = []
    for name in names:
        unit = equipment.create_equipment(coordinator, name=name, category="3d_printer")
        made += bookings.create_booking(
            worker,
            equipment_id=unit.id,
            starts_at=local(day, NINE),
            ends_at=local(day, TEN),
            purpose="Ersatzteile",
        ).bookings
    return worker, made


def _screenshot(page: Any, request: pytest.FixtureRequest, name: str) -> None:
    """Keep a picture for people to look at (test-results/ is not committed)."""
    folder = Path(request.config.rootpath) / SCREENSHOTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def _status(booking_id: int) -> str:
    """The booking's status as the server left it (a fresh transaction sees its writes)."""
    db.session.commit()
    db.session.expire_all()
    return str(db.session.scalar(sa.select(Booking.status).where(Booking.id == booking_id)))


def test_cancelling_a_booking_asks_in_a_dialog_by_keyboard(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
    request: pytest.FixtureRequest,
) -> None:
    worker, (first, second) = _booked(make_user, ("Prusa Links", "Prusa Rechts"))
    commit()
    log_in(worker)
    page.goto("/bookings/mine")
    links = page.get_by_role("link", name=re.compile("^Stornieren…"))
    expect(links).to_have_count(2)  # one quiet link per row, no red buttons
    named = page.get_by_role("link", name=re.compile(r"^Stornieren… \(Prusa Links, "))
    expect(named).to_be_visible()  # which booking is read out after the label
    link = page.locator(f'a[href^="/bookings/{first.id}/cancel"]')

    # Open by keyboard: focus moves into the dialog, which says what happens.
    link.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Diese Buchung stornieren?")).to_be_visible()
    expect(dialog).to_contain_text("Die Buchung von Prusa Links am")
    keep = dialog.get_by_role("link", name="Buchung behalten")
    expect(keep).to_be_focused()
    # Esc closes it; focus is back on the link; nothing happened.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()
    assert _status(first.id) == "reserved"

    # Open again and confirm by keyboard.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(keep).to_be_focused()
    page.keyboard.press("Shift+Tab")
    confirm = dialog.get_by_role("button", name="Buchung stornieren")
    expect(confirm).to_be_focused()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        _screenshot(page, request, f"booking-dialog-{width}")
        assert no_sideways_scroll(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 Buchung storniert.")).to_be_visible()
    assert page.url.endswith("/bookings/mine")
    assert _status(first.id) == "cancelled" and _status(second.id) == "reserved"
    expect(page.get_by_role("link", name=re.compile("^Stornieren…"))).to_have_count(1)


def test_without_javascript_the_same_question_is_a_page(
    browser: Any,
    base_url: str,
    make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    worker, (booking,) = _booked(make_user, ("Bambu P1S",))
    commit()
    context = browser.new_context(base_url=base_url, locale="de-DE", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-Mail").fill(worker.email)
        page.get_by_label("Passwort").fill(TEST_PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Anmelden").click()
        page.goto("/bookings/mine")
        page.get_by_role("link", name=re.compile("^Stornieren…")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Diese Buchung stornieren?")
        assert "/cancel" in page.url
        page.get_by_role("button", name="Buchung stornieren").click()
        expect(page.get_by_text("1 Buchung storniert.")).to_be_visible()
        assert _status(booking.id) == "cancelled"
    finally:
        context.close()


def test_subscribing_to_a_feed_copying_its_address_and_revoking_it(
    page: Any,
    context: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
    request: pytest.FixtureRequest,
) -> None:
    worker, (booking,) = _booked(make_user, ("Formlabs Form 4",))
    commit()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(worker)
    page.goto("/calendar")
    page.get_by_role("link", name="In einer Kalender-App abonnieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kalender-Abos")
    page.get_by_role("button", name="Meine Buchungen abonnieren").click()
    address = page.get_by_label("Abo-Adresse")
    expect(address).to_be_visible()
    url = address.input_value()
    assert url.startswith("http://127.0.0.1:") and "/feeds/" in url
    page.get_by_role("button", name="Kopieren (Abo-Adresse)", exact=True).click()
    expect(page.get_by_text("Kopiert.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.get_by_role("button", name="Als webcal://-Adresse kopieren (Abo-Adresse)").click()
    assert page.evaluate("navigator.clipboard.readText()") == "webcal://" + url.split("://")[1]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        _screenshot(page, request, f"feeds-page-{width}")
        assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A calendar app fetches it without any cookie: a valid calendar with the booking.
    fetched = requests.get(url, timeout=30)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(fetched.content)
    uids = {str(event["UID"]) for event in calendar.walk("VEVENT")}
    assert uids == {f"booking-{booking.id}@makerlab"}

    # Revoked through the dialog: the address is gone at once.
    page.goto("/account/feeds")
    page.get_by_role("link", name=re.compile(r"^Widerrufen… \(Meine Buchungen, ")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("funktioniert ab sofort nicht mehr")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        _screenshot(page, request, f"feed-revoke-dialog-{width}")
    dialog.get_by_role("button", name="Abo widerrufen").click()
    expect(page.get_by_text("Kalender-Abo widerrufen.")).to_be_visible()
    assert requests.get(url, timeout=30).status_code == 404


def test_cancelling_a_session_needs_a_reason_in_the_dialog(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_school: Callable[..., Any],
    commit: Callable[[], None],
    request: pytest.FixtureRequest,
) -> None:
    coordinator = make_user("coordinator")
    workshop = workshops.create_workshop(coordinator, title="Podcast-Labor", min_age=10, max_age=16)
    day = next_open_day(NINE, TEN, min_days=7)
    session = workshops.create_session(
        coordinator, workshop, starts_at=local(day, NINE), ends_at=local(day, TEN), capacity=30
    )
    for name, headcount in (("7b", 20), ("8a", 4)):
        workshops.enrol(coordinator, session, school_id=make_school().id, class_name=name,
                        headcount=headcount, contact_email=f"{name}@schule.example")
    commit()
    log_in(coordinator)
    page.goto(f"/sessions/{session.id}")
    page.get_by_role("link", name="Termin absagen…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("2 Klassen, 24 Plätze werden storniert")
    expect(dialog).to_contain_text("2 Kontakte erfahren es per E-Mail")
    reason = dialog.get_by_label("Grund (steht in der E-Mail an die Kontakte)")
    expect(reason).to_be_focused()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        _screenshot(page, request, f"session-dialog-{width}")
        assert no_sideways_scroll(page)
    # Without a reason the browser does not send it.
    dialog.get_by_role("button", name="Termin absagen").click()
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.name") == "reason"
    reason.fill("Die Heizung ist ausgefallen.")
    dialog.get_by_role("button", name="Termin absagen").click()
    expect(page.get_by_text("Termin abgesagt")).to_be_visible()
    db.session.commit()
    mails = db.session.scalars(
        sa.select(Notification).where(Notification.dedupe_key.like("session-cancelled-%"))
    ).all()
    assert len(mails) == 2 and all("Heizung ist ausgefallen" in m.body_text for m in mails)


def test_every_question_fits_a_phone(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
    request: pytest.FixtureRequest,
) -> None:
    admin = make_user("admin")
    worker = make_user("youth_worker", name="Wanda Werkstatt")
    child = make_participant(first_name="Jördis", last_name="Quirlwasser")
    issue_token(admin, "Stundenplan-Skript")
    commit()
    log_in(admin)
    questions = {
        "erase": (f"/participants/{child.id}", re.compile("^Löschen")),
        "deactivate": (f"/users/{worker.id}", re.compile("^Konto deaktivieren")),
        "token": ("/account/tokens", re.compile(r"^Widerrufen… \(Stundenplan-Skript")),
    }
    for name, (url, link) in questions.items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
            page.goto(url)
            page.get_by_role("link", name=link).click()
            dialog = page.get_by_role("dialog")
            expect(dialog).to_be_visible()
            _screenshot(page, request, f"{name}-dialog-{width}")
            assert no_sideways_scroll(page), (name, width)
            box = dialog.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
