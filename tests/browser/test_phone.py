"""A phone-sized screen: the week calendar and the booking form fit and work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from makerlab import clock
from makerlab.bookings import services as bookings
from makerlab.bookings.models import Booking
from makerlab.equipment import services as equipment
from makerlab.extensions import db
from makerlab.notifications.outbox import enqueue
from makerlab.sites import services as sites
from makerlab.workshops import services as workshops
from tests.browser.conftest import local, next_open_day, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.served]


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A 390 x 844 touch screen, as a common phone."""
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    }


def test_calendar_and_booking_form_on_a_phone(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    coordinator = make_user("coordinator")
    worker = make_user("youth_worker")
    printer = equipment.create_equipment(
        coordinator, name="Prusa MK4 mit langem Namen Nummer 1", category="3d_printer"
    )
    day = next_open_day(dt.time(9, 0), dt.time(12, 0), weekday=1)  # a Tuesday
    bookings.create_booking(
        coordinator,
        equipment_id=printer.id,
        starts_at=local(day, dt.time(9, 0)),
        ends_at=local(day, dt.time(10, 30)),
        purpose="Ersatzteile drucken",
    )
    commit()

    log_in(worker)
    assert no_sideways_scroll(page), "the overview scrolls sideways on a phone"
    # The navigation sits behind the menu button.
    menu = page.get_by_role("button", name="Menü")
    expect(menu).to_be_visible()
    menu.click()
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kalender"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kalender")
    assert no_sideways_scroll(page), "the calendar scrolls sideways on a phone"
    # One card per day, the wide table hidden; go forward to the booked week.
    expect(page.locator("section.ml-day")).to_have_count(7)
    expect(page.locator("table.ml-week")).to_be_hidden()
    for name in ("Vorige Woche", "Nächste Woche"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    today = clock.today("Europe/Berlin")
    weeks_ahead = (
        (day - dt.timedelta(days=day.weekday())) - (today - dt.timedelta(days=today.weekday()))
    ).days // 7
    for n in range(1, weeks_ahead + 1):
        page.get_by_role("link", name="Nächste Woche").click()
        year, week, _weekday = (today + dt.timedelta(weeks=n)).isocalendar()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"KW {week} / {year}")
    block = page.locator("section.ml-day a.ml-block").filter(has_text="09:00")
    expect(block).to_have_count(1)
    expect(block).to_be_visible()
    booked_day = page.locator("section.ml-day").filter(
        has=page.locator("a.ml-block", has_text="09:00")
    )
    expect(booked_day).to_contain_text(printer.name)

    # The booking, then the unit's week, then "Buchen".
    block.tap()
    expect(page.get_by_role("main")).to_contain_text("Ersatzteile drucken")
    assert no_sideways_scroll(page), "the booking page scrolls sideways on a phone"
    page.get_by_role("link", name="Wochenkalender").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text(printer.name)
    assert no_sideways_scroll(page), "the unit's calendar scrolls sideways on a phone"
    # "Buchen" opens the form; every control fits the screen and the booking is made.
    page.get_by_role("main").get_by_role("link", name="Buchen", exact=True).first.tap()
    expect(page.get_by_role("heading", name="Neue Buchung")).to_be_visible()
    assert no_sideways_scroll(page), "the booking form scrolls sideways on a phone"
    controls = [
        page.get_by_label("Gerät"),
        page.get_by_label("Datum", exact=True),
        page.get_by_label("Von", exact=True),
        page.get_by_label("Bis", exact=True),
        page.get_by_label("Zweck"),
        page.get_by_role("button", name="Buchen", exact=True),
    ]
    for control in controls:
        control.scroll_into_view_if_needed()
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Von", exact=True).fill("11:00")
    page.get_by_label("Bis", exact=True).fill("12:00")
    page.get_by_label("Zweck").fill("Gehäuse drucken")
    page.get_by_role("button", name="Buchen", exact=True).tap()
    expect(page.get_by_role("status").first).to_contain_text("1 Buchung angelegt.")
    assert no_sideways_scroll(page), "the booking page scrolls sideways on a phone"


def test_the_week_opens_at_today_on_a_phone(
    page: Any, log_in: Callable[[Any], None], make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    equipment.create_equipment(make_user("coordinator"), name="Prusa Eins", category="3d_printer")
    commit()
    log_in(make_user("youth_worker"))
    page.goto("/calendar")
    today = page.locator("section.ml-day#today")
    expect(today).to_be_visible()
    expect(today).to_contain_text("Heute")
    box = today.bounding_box()
    assert box is not None and box["y"] + 40 < 844, "today is not on the first screen"
    # Every day of the week can be booked from its card, today's too.
    expect(today.get_by_role("link", name="+ buchen")).to_be_visible()
    weekday = clock.today("Europe/Berlin").weekday()
    earlier = page.locator("details.ml-earlier")
    if weekday:  # the days before today wait folded below, one tap away
        expect(earlier.locator("section.ml-day")).to_have_count(weekday)
        expect(earlier.locator("section.ml-day").first).to_be_hidden()
        earlier.locator("summary").tap()
        expect(earlier.locator("section.ml-day").first).to_be_visible()
    else:
        expect(earlier).to_have_count(0)
    assert no_sideways_scroll(page)


def test_free_times_before_the_button_and_a_picker_by_touch_and_typing(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    coordinator = make_user("coordinator")
    printer = equipment.create_equipment(coordinator, name="Prusa Eins", category="3d_printer")
    for first, last in (("Zoe", "Quappendorf"), ("Ali", "Şahin"), ("Lena", "Berg")):
        make_participant(first_name=first, last_name=last)
    commit()
    day = next_open_day(dt.time(10, 0), dt.time(11, 0))
    log_in(make_user("youth_worker"))
    page.goto(f"/bookings/new?equipment_id={printer.id}&day={day.isoformat()}")
    free = page.get_by_role("heading", name="Freie Zeiten")
    button = page.get_by_role("button", name="Buchen", exact=True)
    free_box, button_box = free.bounding_box(), button.bounding_box()
    assert free_box and button_box and free_box["y"] < button_box["y"]

    # No Ctrl: a search field over a list to tick; typing narrows it (accents too).
    search = page.get_by_role("searchbox", name="Teilnehmende")
    expect(search).to_have_attribute("type", "search")
    options = page.locator(".ml-picker-option")
    expect(options).to_have_count(3)
    search.fill("sahin")
    expect(options.filter(visible=True)).to_have_count(1)
    options.filter(has_text="Şahin").tap()
    search.fill("")
    expect(options.filter(visible=True)).to_have_count(3)
    assert no_sideways_scroll(page)

    page.get_by_label("Von", exact=True).fill("10:00")
    page.get_by_label("Bis", exact=True).fill("11:00")
    button.tap()
    expect(page.get_by_role("status").first).to_contain_text("1 Buchung angelegt.")
    expect(page.get_by_role("main")).to_contain_text("Şahin")
    expect(page.get_by_role("main")).not_to_contain_text("Quappendorf")


def test_the_roster_fits_a_phone_with_its_attendance_field(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_school: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    coordinator = make_user("coordinator")
    workshop = workshops.create_workshop(coordinator, title="Löten", min_age=10, max_age=16)
    day = next_open_day(dt.time(9, 0), dt.time(12, 0))
    session = workshops.create_session(
        coordinator, workshop, starts_at=dt.datetime.combine(day, dt.time(9, 0)),
        ends_at=dt.datetime.combine(day, dt.time(12, 0)), capacity=30,
    )
    workshops.enrol(coordinator, session, school_id=make_school(name="Gymnasium Süd").id,
                    class_name="7b", headcount=24,
                    contact_email="sehr.lange.adresse@schule.example")
    # The session has begun: attendance may be recorded.
    session.starts_at = clock.now() - dt.timedelta(minutes=30)
    session.ends_at = clock.now() + dt.timedelta(hours=2)
    commit()
    log_in(make_user("youth_worker"))
    page.goto(f"/sessions/{session.id}")
    came = page.get_by_label("Wie viele kamen")
    came.scroll_into_view_if_needed()
    expect(came).to_be_visible()
    box = came.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    expect(page.locator("table.ml-cards td[data-label]").first).to_be_visible()
    assert no_sideways_scroll(page)
    came.fill("22")
    page.get_by_role("button", name="Anwesenheit speichern").tap()
    expect(page.get_by_role("status").first).to_be_visible()


def test_lists_fit_a_phone(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_participant: Callable[..., Any],
) -> None:
    for first, last in (("Zoe", "Quappendorf-Langenberg"), ("Ali", "Şahin")):
        make_participant(first_name=first, last_name=last)
    log_in(make_user("coordinator"))
    page.goto("/participants")
    row = page.locator("table.ml-cards tbody tr").first
    expect(row.locator('td[data-label="Alter"]')).to_be_visible()  # each card names its lines
    badge = row.locator(".badge").last
    box = badge.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert no_sideways_scroll(page)


def fits_a_phone(page: Any) -> bool:
    """True when neither the page nor a table's scroll box scrolls past the 390 px of the screen,
    and no cell of a report is cut off at the sheet's edge or shortened to "…"."""
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= 390 && [...document.querySelectorAll("
        "'.table-responsive, .report-table')].every(box => box.scrollWidth <= box.clientWidth + 1)"
        " && [...document.querySelectorAll('.report-sheet')].every(sheet => [...sheet"
        ".querySelectorAll('tbody > tr > *, tfoot > tr > *')].every(c => "
        "c.getBoundingClientRect().right <= "
        "sheet.getBoundingClientRect().right + 1 && c.scrollWidth <= c.clientWidth + 1))"
    ))


def test_staff_tables_become_cards_on_a_phone(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_school: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    admin = make_user("admin", name="Verwaltung")
    school = make_school(
        name="Gymnasium Süd",
        address="Lange Straße 123, 12345 Stadt",
        contact_email="sekretariat.verwaltung@gymnasium-sued.example",
    )
    make_user(
        "teacher",
        name="Maximiliane Mustermann-Lüdenscheid",
        email="maximiliane.mustermann-luedenscheid@gymnasium-sued.example",
        school_id=school.id,
    )
    equipment.create_equipment(
        admin, name="Lasercutter mit sehr langem Namen", category="3d_printer"
    )
    workshop = workshops.create_workshop(
        admin, title="Platinen entwerfen, ätzen und bestücken", min_age=10, max_age=18
    )
    day = next_open_day(dt.time(9, 0), dt.time(12, 0))
    session = workshops.create_session(
        admin, workshop, starts_at=dt.datetime.combine(day, dt.time(9, 0)),
        ends_at=dt.datetime.combine(day, dt.time(12, 0)), capacity=30,
    )
    workshops.enrol(admin, session, school_id=school.id, class_name="7b", headcount=24,
                    contact_email="klasse.7b@gymnasium-sued.example", accompanying_adults=2)
    child = make_participant(first_name="Maximiliane", last_name="Quappendorf-Langenberg")
    workshops.enrol(admin, session, participant_id=child.id)
    sites.add_term(admin, sites.default_site(), name="Schuljahr 2026/27 (Sachsen-Anhalt)",
                   starts_on=dt.date(2026, 8, 1), ends_on=dt.date(2027, 7, 31))
    enqueue(
        dedupe_key="phone:1",
        kind="test",
        to="eine.sehr.lange.adresse@beispiel-schule.example",
        subject="Erinnerung an die Buchung des Lasercutters am Dienstag",
        body_text="Text",
    )
    commit()
    log_in(admin)
    # Each page: its column names lead the lines of a card, and nothing scrolls sideways.
    for path, label in (
        ("/outbox", "Empfänger"),
        ("/users", "Rolle"),
        ("/schools", "Adresse"),
        ("/equipment/", "Kategorie"),
        ("/workshops", "Alter"),
        ("/reports/terms", "Letzter Tag"),
        ("/reports/weekly", "Auslastung"),
        ("/reports", "Auslastung"),
        (f"/sessions/{session.id}/sign-in", "Telefon Erziehungsberechtigte"),
    ):
        page.goto(path)
        cell = page.locator(f'table.ml-cards tbody td[data-label="{label}"]').first
        expect(cell).to_be_visible()
        label_text = cell.evaluate("c => getComputedStyle(c, '::before').content")
        assert label in label_text, f"{path}: the cell does not show its label"
        assert fits_a_phone(page), f"{path} scrolls sideways on a phone"
    # The sign-in sheet's blank cells stay on the card, named, as lines to write on...
    card = page.locator("table.sign-table tbody tr").filter(has_text="Maximiliane")
    expect(card.locator('td[data-label="Unterschrift"]')).to_be_visible()
    # ...and on paper, even printed from the phone, it is still a table.
    page.emulate_media(media="print")
    assert {t.evaluate("t => getComputedStyle(t).display")
            for t in page.locator("table.sign-table").all()} == {"table"}
    page.emulate_media(media="screen")


def test_the_dashboard_opens_with_today_on_a_phone(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    kit = make_unit(name="Podcast-Koffer Spätzünder", loanable=True)
    now = clock.now()
    db.session.add(
        Booking(
            equipment_id=kit.id,
            starts_at=now - dt.timedelta(days=3),
            ends_at=now - dt.timedelta(hours=1),
            blocked_until=now - dt.timedelta(hours=1),
            status="checked_out",
            checked_out_at=now - dt.timedelta(days=3),
        )
    )
    commit()
    for role in ("coordinator", "admin"):
        log_in(make_user(role))
        today = page.locator('[data-dashboard="today"]')
        expect(today).to_contain_text("Heute")
        overdue = today.get_by_role("link", name="Podcast-Koffer Spätzünder")
        expect(overdue).to_be_visible()
        box = overdue.bounding_box()
        assert box is not None and box["y"] + box["height"] < 844, "today is below the fold"
        assert no_sideways_scroll(page)
        page.context.clear_cookies()


def test_long_badges_wrap_inside_the_participant_card(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_participant: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    make_participant(first_name="Jonas", last_name="Richter", guardian_consent=False)
    commit()
    log_in(make_user("coordinator"))
    page.goto("/participants")
    card = page.locator("table.ml-cards tbody tr").filter(has_text="Richter")
    badge = card.locator(".badge", has_text="Keine Einwilligung der Erziehungsberechtigten")
    expect(badge).to_be_visible()
    badge_box, card_box = badge.bounding_box(), card.bounding_box()
    assert badge_box and card_box
    assert badge_box["x"] + badge_box["width"] <= card_box["x"] + card_box["width"], "cut off"
    assert fits_a_phone(page)
