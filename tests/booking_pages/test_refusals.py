"""Refusals tell every reason at once, on top of the form, which keeps what was typed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from makerlab.bookings.models import Booking
from makerlab.extensions import db
from tests.conftest import at, local


def form_at(html: str) -> int:
    """Where the page's own form starts (the top bar has forms of its own)."""
    return html.index("<form", html.index("<main"))


def top_box(html: str) -> str:
    """The text of the refusal box at the top of the page (before the form)."""
    match = re.search(r'<div class="alert alert-danger ml-refusal".*?</div>', html, re.S)
    assert match, "no refusal box"
    assert html.index(match.group(0)) < form_at(html), "the box is not above the form"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_neither_birth_date_nor_consent_hears_of_both(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_participant: Any
) -> None:
    unit = make_unit(name="Prusa Eins")
    child = make_participant(first_name="Mila", last_name="Ohne", birth_date=None,
                             guardian_consent=False)
    login_as("youth_worker")
    response = client.post("/bookings/new", data={
        "equipment_id": unit.id, "day": "2027-01-05", "start": "10:00", "end": "12:00",
        "purpose": "Schlüsselanhänger drucken", "participant_ids": [child.id],
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    box = top_box(html)
    assert "Die Buchung wurde nicht angelegt." in box
    assert "Für Mila Ohne ist kein Geburtsdatum erfasst" in box
    assert "Mila Ohne" in box and "Einwilligung" in box
    # The form keeps what was typed.
    assert 'value="Schlüsselanhänger drucken"' in html
    assert re.search(rf'<option selected value="{child.id}">|<option value="{child.id}" selected',
                     html)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_age_and_overlap_together(
    client: Any, login_as: Any, api_as: Any, frozen: Any, make_unit: Any,
    make_participant: Any, make_booking: Any,
) -> None:
    laser = make_unit(name="Laser Eins", category="laser_cutter", min_age=14)
    taken = make_booking(laser, at("2027-01-05", "10:00"), at("2027-01-05", "12:00"))
    child = make_participant(first_name="Tom", last_name="Jung", birth_date=dt.date(2013, 6, 1))
    login_as("youth_worker", locale="en")
    response = client.post("/bookings/new", data={
        "equipment_id": laser.id, "day": "2027-01-05", "start": "11:00", "end": "12:00",
        "purpose": "Namensschild", "participant_ids": [child.id],
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    box = top_box(html)
    assert "Tom Jung is 13; the minimum age is 14." in box
    assert "Laser Eins is already booked at this time." in box
    assert f'href="/bookings/{taken.id}"' in html[:form_at(html)]
    assert "Tue, 5 Jan 2027, 10:00–12:00" in box

    # The API tells both in one 422 as well, with what is in the way.
    api = api_as("youth_worker")
    answer = api.post("/api/v1/bookings", json={
        "equipment_id": laser.id, "starts_at": local("2027-01-05", "11:00"),
        "ends_at": local("2027-01-05", "12:00"), "participant_ids": [child.id],
    })
    assert answer.status_code == 422
    problem = answer.get_json()
    assert problem["errors"]["participant_ids"] and problem["errors"]["starts_at"]
    assert [c["booking_id"] for c in problem["conflicts"]] == [taken.id]


def test_every_occurrence_of_a_series_is_named(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_participant: Any
) -> None:
    unit = make_unit(name="Prusa Eins", min_age=10)
    child = make_participant(first_name="Ida", last_name="Fast", birth_date=dt.date(2017, 1, 13))
    login_as("youth_worker")
    response = client.post("/bookings/new", data={
        "equipment_id": unit.id, "day": "2027-01-05", "start": "10:00", "end": "11:00",
        "repeat": "weekly", "count": "3", "participant_ids": [child.id],
    })
    assert response.status_code == 422
    box = top_box(response.get_data(as_text=True))
    # 9 on the first two dates, 10 on the third: each date that fails is named.
    assert box.count("Ida Fast ist 9") == 2
    assert "Di., 12. Jan. 2027" in box and "Di., 19. Jan. 2027" not in box


def test_a_category_is_named_by_its_label(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_participant: Any
) -> None:
    laser = make_unit(name="Laser Eins", category="laser_cutter", requires_induction=True)
    child = make_participant(first_name="Ole", last_name="Neu")
    login_as("youth_worker")
    response = client.post("/bookings/new", data={
        "equipment_id": laser.id, "day": "2027-01-05", "start": "10:00", "end": "11:00",
        "participant_ids": [child.id],
    })
    box = top_box(response.get_data(as_text=True))
    assert "Einweisung für Lasercutter" in box
    html = response.get_data(as_text=True)
    assert "laser_cutter" not in html[:form_at(html)]


def test_the_induction_form_warns_of_the_age_rule(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_participant: Any
) -> None:
    make_unit(name="Laser Eins", category="laser_cutter", min_age=14)
    make_unit(name="Laser Zwei", category="laser_cutter", min_age=16)
    make_unit(name="Prusa Eins", min_age=None)
    child = make_participant(first_name="Tom", last_name="Jung", birth_date=dt.date(2013, 6, 1))
    login_as("youth_worker", locale="en")
    page = client.get(f"/participants/{child.id}/inductions/new").get_data(as_text=True)
    warning = re.search(r'<div class="alert alert-warning".*?</div>', page, re.S)
    # Right under the category it follows, before the dates.
    assert warning
    assert page.index('name="category"') < page.index(warning.group(0)) < page.index(
        'name="completed_on"')
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", warning.group(0)))
    assert "Laser cutter: Tom Jung is 13; the minimum age is 14." in text
    assert "3D printer" not in text  # no age limit there

    saved = client.post(f"/participants/{child.id}/inductions/new", data={
        "category": "laser_cutter", "completed_on": "2027-01-04"}, follow_redirects=True)
    shown = saved.get_data(as_text=True)
    assert "Induction recorded." in shown and "the minimum age is 14" in shown

    old_enough = make_participant(first_name="Eva", last_name="Alt",
                                  birth_date=dt.date(2005, 1, 1))
    calm = client.get(f"/participants/{old_enough.id}/inductions/new").get_data(as_text=True)
    assert "alert-warning" not in calm


def test_closures_and_statuses_read_in_words(
    client: Any, login_as: Any, frozen: Any, make_unit: Any
) -> None:
    from makerlab.sites.services import add_closure, default_site

    add_closure(None, default_site(), starts_on=dt.date(2027, 1, 5), ends_on=dt.date(2027, 1, 6),
                reason="Inventur")
    db.session.commit()
    unit = make_unit(name="Prusa Eins")
    broken = make_unit(name="Prusa Zwei", status="maintenance")
    login_as("youth_worker")
    closed = client.post("/bookings/new", data={
        "equipment_id": unit.id, "day": "2027-01-05", "start": "10:00", "end": "11:00"})
    text = top_box(closed.get_data(as_text=True))
    assert "geschlossen: Di., 5. Jan. 2027 – Mi., 6. Jan. 2027 (Inventur)" in text
    assert "2027-01-05" not in text
    api = client.post("/bookings/new", data={
        "equipment_id": broken.id, "day": "2027-01-07", "start": "10:00", "end": "11:00"})
    assert "maintenance" not in top_box(api.get_data(as_text=True))


def test_changing_a_booking_tells_age_and_overlap_together(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_participant: Any,
    make_booking: Any,
) -> None:
    laser = make_unit(name="Laser Eins", category="laser_cutter", min_age=14)
    mine = make_booking(laser, at("2027-01-05", "10:00"), at("2027-01-05", "11:00"))
    taken = make_booking(laser, at("2027-01-05", "14:00"), at("2027-01-05", "16:00"))
    child = make_participant(first_name="Tom", last_name="Jung", birth_date=dt.date(2013, 6, 1))
    login_as("youth_worker", locale="en")
    response = client.post(f"/bookings/{mine.id}/edit", data={
        "day": "2027-01-05", "start": "15:00", "end": "16:00", "purpose": "Namensschild",
        "participant_ids": [child.id], "scope": "this",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    box = top_box(html)
    assert "The booking was not changed." in box
    assert "Tom Jung is 13; the minimum age is 14." in box
    assert "Laser Eins is already booked at this time." in box
    assert f'href="/bookings/{taken.id}"' in html[:form_at(html)]
    assert 'value="Namensschild"' in html  # what was typed stays
