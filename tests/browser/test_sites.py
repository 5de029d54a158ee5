"""The site page on a phone: opening hours, a closure in two steps, holidays and an .ics upload."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from makerlab import clock
from makerlab.bookings.models import Booking
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.sites.models import Closure, Site
from makerlab.workshops.models import WorkshopSession
from tests.browser.conftest import no_sideways_scroll
from tests.conftest import at
from tests.planning.conftest import CONTACT, add_session, enrol_class, make_booking

pytestmark = [pytest.mark.browser, pytest.mark.served]


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A 390 x 844 touch screen, as a common phone."""
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    }


def reasons() -> list[str]:
    db.session.commit()  # end the test's read transaction: see what the server wrote
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Closure.reason).order_by(Closure.starts_on)))


def test_coordinator_keeps_the_sites_calendar_on_a_phone(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
    tmp_path: Path,
) -> None:
    coordinator = make_user("coordinator")
    commit()
    year = clock.today("Europe/Berlin").year + 1
    log_in(coordinator)
    page.goto("/sites/1")
    assert no_sideways_scroll(page), "the site page scrolls sideways on a phone"

    # Sunday: closed until times are typed in; saved as a period.
    sunday = page.locator(".ml-day").filter(has_text="Sonntag")
    expect(sunday.get_by_text("geschlossen")).to_be_visible()
    page.get_by_label("Sonntag, Zeitraum 1, von").fill("10")
    page.get_by_label("Sonntag, Zeitraum 1, bis").fill("14:00")
    expect(sunday.get_by_text("geschlossen")).to_be_hidden()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Standort gespeichert.")).to_be_visible()
    commit()
    assert db.session.get(Site, 1).opening_hours["sun"] == [["10:00", "14:00"]]

    # A closure: checked first, then saved.
    page.get_by_label("Erster Tag").fill(f"{year}-12-24")
    page.get_by_label("Letzter Tag").fill(f"{year + 1}-01-01")
    page.get_by_label("Grund").fill("Weihnachten")
    page.get_by_role("button", name="Prüfen").click()
    expect(page.get_by_role("heading", name="Schließzeit prüfen")).to_be_visible()
    expect(page.get_by_text("9 Tage")).to_be_visible()
    assert reasons() == []
    page.get_by_role("button", name="Schließzeit speichern").click()
    expect(page.get_by_text(re.compile("Schließzeit gespeichert"))).to_be_visible()
    assert reasons() == ["Weihnachten"]

    # Public holidays of next year, once however often the button is pressed.
    page.get_by_label("Jahr").fill(str(year))
    page.get_by_role("button", name="Feiertage eintragen").click()
    expect(page.get_by_text(re.compile(r"\d+ Schließzeiten hinzugefügt, 0 schon"))).to_be_visible()
    holidays = len(reasons()) - 1
    assert holidays >= 9
    page.get_by_role("button", name="Feiertage eintragen").click()
    expect(
        page.get_by_text(f"0 Schließzeiten hinzugefügt, {holidays} schon vorhanden.")
    ).to_be_visible()

    # School breaks from a calendar file.
    ics = tmp_path / "ferien.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//DE\r\n"
        f"BEGIN:VEVENT\r\nUID:w@test\r\nDTSTART;VALUE=DATE:{year}0201\r\n"
        f"DTEND;VALUE=DATE:{year}0207\r\nSUMMARY:Winterferien\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    page.get_by_label("Kalenderdatei (.ics)").set_input_files(str(ics))
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_text("1 Schließzeit hinzugefügt, 0 schon vorhanden.")).to_be_visible()
    assert "Winterferien" in reasons()

    # Deleting asks first.
    item = page.locator("#closures li").filter(has_text="Weihnachten")
    item.get_by_role("link", name=re.compile("Löschen")).click()
    expect(page.get_by_role("heading", name="Diese Schließzeit löschen?")).to_be_visible()
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Schließzeit löschen").click()
    expect(page.get_by_text(re.compile("Schließzeit gelöscht"))).to_be_visible()
    assert "Weihnachten" not in reasons()


def test_christmas_closure_shows_what_it_hits_before_saving(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_school: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    year = clock.today("Europe/Berlin").year + 1
    coordinator = make_user("coordinator")
    booker = make_user("youth_worker", name="Kai Brandt", email="kai@passage13.example")
    printer = make_unit(name="Prusa MK4")
    days = [f"{year}-12-{d}" for d in (23, 24, 28, 29, 30)] + [f"{year + 1}-01-01"]
    before, *inside = [make_booking(booker, at(day, "10:00"), equipment=printer) for day in days]
    session = add_session(f"{year}-12-29")
    enrol_class(session, make_school(name="Grundschule Nord"))
    commit()
    log_in(coordinator)
    page.goto("/sites/1")

    page.get_by_label("Erster Tag").fill(f"{year}-12-24")
    page.get_by_label("Letzter Tag").fill(f"{year + 1}-01-01")
    page.get_by_label("Grund").fill("Weihnachten")
    page.get_by_role("button", name="Prüfen").click()
    expect(page.get_by_role("heading", name="Schließzeit prüfen")).to_be_visible()
    expect(page.get_by_text("5 Buchungen und 1 Workshop-Termin sind betroffen")).to_be_visible()
    hits = page.locator("[data-impact-list] li")
    expect(hits).to_have_count(6)
    expect(hits.first).to_contain_text("Löten für Einsteiger")
    expect(hits.first).to_contain_text("Klasse 4a")
    expect(hits.nth(1)).to_contain_text("Prusa MK4")
    expect(hits.nth(1)).to_contain_text("gebucht von Kai Brandt")
    expect(hits.nth(1)).to_contain_text("10:00")
    assert no_sideways_scroll(page)
    commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert reasons() == []

    page.get_by_role("button", name="Schließzeit speichern").click()
    saved = re.compile("5 Buchungen und 1 Workshop-Termin sind betroffen: Sie sind")
    expect(page.get_by_text(saved)).to_be_visible()
    commit()
    flagged = {b.id for b in inside if db.session.get(Booking, b.id).attention}
    assert flagged == {b.id for b in inside}
    assert db.session.get(Booking, before.id).attention == []
    assert [a["reason"] for a in db.session.get(WorkshopSession, session.id).attention] == [
        "closure"
    ]
    mails = db.session.scalars(sa.select(Notification).order_by(Notification.to_address)).all()
    assert [m.to_address for m in mails] == [CONTACT, "kai@passage13.example"]
    assert all("Weihnachten" in m.body_text for m in mails)
