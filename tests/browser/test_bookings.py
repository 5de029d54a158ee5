"""A youth worker books the laser cutter for participants and lends a podcast kit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from makerlab.bookings.models import Booking
from makerlab.equipment import services as equipment
from makerlab.extensions import db
from makerlab.participants import services as participants
from tests.browser.conftest import local, next_open_day

pytestmark = [pytest.mark.browser, pytest.mark.served]

TEN, ELEVEN = dt.time(10, 0), dt.time(11, 0)


def _years_before(day: dt.date, years: int, days: int) -> dt.date:
    """A birth date making someone ``years`` old on ``day`` (``days`` past the birthday)."""
    birthday = day - dt.timedelta(days=days)
    if (birthday.month, birthday.day) == (2, 29):
        birthday -= dt.timedelta(days=1)  # 29 February exists only in leap years
    return birthday.replace(year=birthday.year - years)


def _inducted(coordinator: Any, first: str, last: str, birth_date: dt.date) -> Any:
    person = participants.create_participant(
        coordinator,
        first_name=first,
        last_name=last,
        birth_date=birth_date,
        guardian_name="Erziehungsberechtigte Person",
        guardian_consent=True,
    )
    participants.record_induction(coordinator, person, category="laser_cutter")
    return person


def test_laser_cutter_for_an_inducted_participant_and_refused_for_a_13_year_old(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    coordinator = make_user("coordinator")
    worker = make_user("youth_worker")
    laser = equipment.create_equipment(
        coordinator,
        name="Epilog Fusion Pro",
        category="laser_cutter",
        requires_induction=True,
        min_age=14,
        location="Werkstatt",
    )
    day = next_open_day(TEN, ELEVEN)
    _inducted(coordinator, "Lina", "Okonkwo", _years_before(day, 15, 30))
    _inducted(coordinator, "Tim", "Brandt", _years_before(day, 13, 100))
    commit()

    log_in(worker)
    # Calendar -> the laser cutter's week -> "Buchen": the form opens with the unit chosen.
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kalender"
    ).click()
    page.get_by_role("link", name="Epilog Fusion Pro", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Epilog Fusion Pro")
    page.get_by_role("main").get_by_role("link", name="Buchen", exact=True).click()
    expect(page.get_by_role("heading", name="Neue Buchung")).to_be_visible()
    expect(page.get_by_label("Gerät")).to_have_value(str(laser.id))

    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Datum", exact=True).dispatch_event("change")
    expect(page.locator("#free-slots")).to_contain_text("Epilog Fusion Pro")
    expect(page.locator("#free-slots")).to_contain_text("Frei")
    page.get_by_label("Von", exact=True).fill("10:00")
    page.get_by_label("Bis", exact=True).fill("11:00")
    page.get_by_label("Zweck").fill("Schlüsselanhänger lasern")
    # The picker: type to narrow the list, then tick (no Ctrl).
    page.get_by_role("searchbox", name="Teilnehmende").fill("okon")
    page.locator(".ml-picker-option", has_text="Okonkwo, Lina").click()
    page.get_by_role("button", name="Buchen", exact=True).click()

    expect(page.get_by_role("status").first).to_contain_text("1 Buchung angelegt.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Epilog Fusion Pro")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reserviert")
    expect(page.get_by_role("main")).to_contain_text("Lina Okonkwo")
    expect(page.get_by_role("main")).to_contain_text("10:00")

    # The same laser cutter the next hour for a 13-year-old: refused with the reason.
    page.goto(f"/bookings/new?equipment_id={laser.id}&day={day.isoformat()}")
    page.get_by_label("Von", exact=True).fill("11:00")
    page.get_by_label("Bis", exact=True).fill("12:00")
    page.locator(".ml-picker-option", has_text="Brandt, Tim").click()
    page.get_by_role("button", name="Buchen", exact=True).click()

    expect(page.get_by_role("heading", name="Neue Buchung")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Tim Brandt ist 13; das Mindestalter ist 14.")
    picker = page.get_by_role("searchbox", name="Teilnehmende")
    expect(picker).to_have_attribute("aria-invalid", "true")
    # The form keeps the choice.
    tim = page.locator(".ml-picker-option", has_text="Brandt, Tim")
    expect(tim.locator("input")).to_be_checked()
    commit()
    bookings = db.session.scalars(sa.select(Booking).where(Booking.equipment_id == laser.id)).all()
    assert [(b.starts_at, [p.first_name for p in b.participants]) for b in bookings] == [
        (local(day, TEN), ["Lina"])
    ]


def test_podcast_kit_lent_over_the_weekend(
    page: Any,
    log_in: Callable[[Any], None],
    make_user: Callable[..., Any],
    commit: Callable[[], None],
) -> None:
    coordinator = make_user("coordinator")
    worker = make_user("youth_worker", name="Jana Weber")
    kit = equipment.create_equipment(
        coordinator, name="Podcast-Koffer 2", category="podcast_kit", loanable=True
    )
    friday = next_open_day(dt.time(15, 0), dt.time(16, 0), weekday=4)
    monday = friday + dt.timedelta(days=3)
    commit()

    log_in(worker)
    page.goto(f"/bookings/new?equipment_id={kit.id}")
    page.get_by_label("Datum", exact=True).fill(friday.isoformat())
    page.get_by_label("Von", exact=True).fill("15:00")
    page.get_by_label("Bis", exact=True).fill("10:00")
    page.get_by_label("Rückgabedatum (Ausleihe über mehrere Tage)").fill(monday.isoformat())
    page.get_by_label("Zweck").fill("Interviews am Wochenende")
    page.get_by_role("button", name="Buchen", exact=True).click()

    expect(page.get_by_role("status").first).to_contain_text("1 Buchung angelegt.")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Podcast-Koffer 2")
    expect(heading).to_contain_text("Reserviert")
    commit()
    booking = db.session.scalars(sa.select(Booking).where(Booking.equipment_id == kit.id)).one()
    assert (booking.starts_at, booking.ends_at) == (
        local(friday, dt.time(15, 0)),
        local(monday, dt.time(10, 0)),
    )

    # Handing it out early is allowed (and recorded); then it is on "Gerade ausgegeben".
    page.get_by_role("button", name="Ausgeben").click()
    expect(page.get_by_role("status").first).to_contain_text("Podcast-Koffer 2 ausgegeben.")
    expect(heading).to_contain_text("Ausgegeben")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Gerade ausgegeben"
    ).click()
    expect(page.get_by_role("heading", name="Gerade ausgegeben")).to_be_visible()
    item = page.get_by_role("listitem").filter(has_text="Podcast-Koffer 2")
    expect(item).to_contain_text("Gebucht von Jana Weber")
    expect(item).to_contain_text("Interviews am Wochenende")

    # Taken back in good condition: the list is empty again.
    item.get_by_label("Zustand").select_option(label="In Ordnung")
    item.get_by_label("Notiz").fill("Alles vollständig")
    item.get_by_role("button", name="Zurücknehmen").click()
    expect(page.get_by_role("status").first).to_contain_text("Podcast-Koffer 2 ist zurück.")
    expect(page.get_by_role("main")).to_contain_text("Gerade ist nichts ausgegeben.")
    commit()
    db.session.refresh(booking)
    assert booking.status == "returned"
    assert booking.return_condition == "ok"
    assert booking.return_note == "Alles vollständig"
