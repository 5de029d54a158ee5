"""In the browser's forms: a change that hits plans is shown first and saved on the second send."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from makerlab import clock
from makerlab.bookings.models import Booking
from makerlab.db import recorded_statements
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.planning.notices import BookingPlace, notify_moved
from makerlab.sites.models import Site
from tests.conftest import at
from tests.planning.conftest import NOW, Plans, add_session, enrol_class, make_booking
from tests.sites.test_site_pages import grid

UNIT_FORM = {
    "name": "Podcast-Kit 1", "category": "podcast_kit", "site_id": "1", "location": "Werkstatt",
    "status": "maintenance", "loanable": "y", "buffer_minutes": "0", "notes": "",
}


def _outbox() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_unit_status_form_shows_what_is_hit_then_saves(
    plans: Plans, client: FlaskClient, login_as: Any
) -> None:
    login_as("coordinator", locale="en")
    url = f"/equipment/{plans.kit.id}/edit"
    first = client.post(url, data=UNIT_FORM)
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "2 bookings are hit" in page and 'name="confirm_impact"' in page
    assert "booked by Kai" in page
    db.session.expire_all()
    assert db.session.get(Equipment, plans.kit.id).status == "available"
    assert _outbox() == []

    second = client.post(url, data={**UNIT_FORM, "confirm_impact": "1"}, follow_redirects=True)
    assert second.status_code == 200
    assert "2 bookings are hit: they are marked" in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Equipment, plans.kit.id).status == "maintenance"
    assert db.session.get(Booking, plans.hit[3].id).attention[0]["reason"] == "unit_unavailable"
    assert [n.to_address for n in _outbox()] == ["kai@passage13.example"]

    # Back in service: asked nothing, the bookings hold again.
    back = client.post(url, data={**UNIT_FORM, "status": "available"})
    assert back.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, plans.hit[3].id).attention == []
    assert len(_outbox()) == 1


def test_a_change_hitting_nothing_saves_at_once(
    plans: Plans, client: FlaskClient, login_as: Any
) -> None:
    login_as("coordinator", locale="en")
    answer = client.post(
        f"/equipment/{plans.printer.id}/maintenance",
        data={"start_day": "2027-02-01", "start_time": "08:00", "end_day": "2027-02-01",
              "end_time": "12:00", "reason": "Kalibrieren"},
    )
    assert answer.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaintenanceBlock)) == 1


def test_maintenance_form_asks_first(plans: Plans, client: FlaskClient, login_as: Any) -> None:
    login_as("coordinator", locale="en")
    data = {"start_day": "2026-12-24", "start_time": "08:00", "end_day": "2026-12-24",
            "end_time": "18:00", "reason": "Kalibrieren"}
    url = f"/equipment/{plans.printer.id}/maintenance"
    first = client.post(url, data=data)
    assert first.status_code == 200 and "1 booking is hit" in first.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaintenanceBlock)) == 0
    assert client.post(url, data={**data, "confirm_impact": "1"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaintenanceBlock)) == 1


def test_closure_check_step_lists_the_hits(
    plans: Plans, client: FlaskClient, login_as: Any
) -> None:
    login_as("coordinator", locale="en")
    page = client.post(
        "/sites/1/closures/check",
        data={"closure-starts_on": "2026-12-24", "closure-ends_on": "2027-01-01",
              "closure-reason": "Christmas"},
    ).get_data(as_text=True)
    assert "5 bookings and 1 workshop session are hit" in page
    assert "class 4a" in page and "Löten für Einsteiger" in page
    assert _outbox() == []


def test_notify_moved_tells_the_booker_once(plans: Plans) -> None:
    booking = plans.hit[0]
    before = BookingPlace.of(booking)
    assert not notify_moved(booking, before)  # nothing moved
    booking.equipment = plans.other_site_unit
    booking.starts_at = at("2026-12-22", "10:00")
    booking.ends_at = booking.starts_at + dt.timedelta(hours=2)
    db.session.flush()
    assert notify_moved(booking, before)
    assert not notify_moved(booking, before)  # a retry: the same move, no second mail
    db.session.commit()
    [mail] = _outbox()
    assert mail.to_address == "kai@passage13.example" and mail.locale == "en"
    assert "Prusa Süd" in mail.body_text and "Prusa MK4" in mail.body_text
    assert "Your booking has moved" in mail.subject


def test_booking_and_session_pages_say_why_they_need_attention(
    plans: Plans, client: FlaskClient, login_as: Any, api_as: Any
) -> None:
    api_as("coordinator").post(
        "/api/v1/sites/1/closures",
        json={"starts_on": "2026-12-24", "ends_on": "2027-01-01", "reason": "Christmas"},
    )
    login_as("coordinator", locale="en")
    booking = client.get(f"/bookings/{plans.hit[0].id}").get_data(as_text=True)
    assert "Needs attention" in booking and "The site is closed" in booking
    assert "Christmas" in booking
    session = client.get(f"/sessions/{plans.session.id}").get_data(as_text=True)
    assert "Needs attention" in session and "The site is closed" in session
    calm = client.get(f"/bookings/{plans.january.id}").get_data(as_text=True)
    assert "data-attention" not in calm


def test_opening_hours_form_shows_what_is_hit_then_saves(
    plans: Plans, client: FlaskClient, login_as: Any, api_as: Any
) -> None:
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    api_as("coordinator").patch(
        "/api/v1/sites/1", json={"opening_hours": {d: [["09:00", "18:00"]] for d in weekdays}}
    )
    login_as("coordinator", locale="en")
    form = grid(**{f"{d}_0_opens": "09:00" for d in weekdays},
                **{f"{d}_0_closes": "18:00" for d in weekdays})
    form.update({"mon-0-opens": "13:00"})  # Monday mornings closed from now on
    first = client.post("/sites/1", data=form)
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "1 booking and 1 workshop session are hit" in page
    db.session.expire_all()
    assert db.session.get(Site, 1).opening_hours["mon"] == [["09:00", "18:00"]]
    assert client.post("/sites/1", data={**form, "confirm_impact": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Site, 1).opening_hours["mon"] == [["13:00", "18:00"]]
    assert db.session.get(Booking, plans.hit[1].id).attention[0]["reason"] == "opening_hours"


def test_closure_check_step_reads_a_fixed_number_of_statements(
    plans: Plans, client: FlaskClient, login_as: Any, make_user: Any, make_school: Any,
) -> None:
    login_as("coordinator", locale="en")
    data = {"closure-starts_on": "2026-12-24", "closure-ends_on": "2027-01-01"}
    with recorded_statements(db.engine) as few:
        assert client.post("/sites/1/closures/check", data=data).status_code == 200
    for n in range(6):
        someone = make_user("youth_worker", email=f"person{n}@passage13.example")
        make_booking(someone, at("2026-12-31", f"{8 + n:02d}:00"), hours=1, equipment=plans.printer)
        enrol_class(add_session("2026-12-30", f"Kurs {n}"), make_school(name=f"Schule {n}"))
    clock.set_frozen(NOW)
    with recorded_statements(db.engine) as many:
        page = client.post("/sites/1/closures/check", data=data).get_data(as_text=True)
    assert "11 bookings and 7 workshop sessions are hit" in page
    assert len(many) == len(few), (few, many)


def test_deleting_a_closure_on_its_page_clears_what_it_flagged(
    plans: Plans, client: FlaskClient, login_as: Any, api_as: Any
) -> None:
    created = api_as("coordinator").post(
        "/api/v1/sites/1/closures",
        json={"starts_on": "2026-12-24", "ends_on": "2027-01-01", "reason": "Weihnachtsferien"},
    )
    assert created.status_code == 201
    db.session.expire_all()
    assert db.session.get(Booking, plans.hit[0].id).attention != []
    login_as("coordinator", locale="en")
    url = f"/sites/1/closures/{created.get_json()['id']}/delete"
    assert client.post(url).status_code == 302
    db.session.expire_all()
    assert all(db.session.get(Booking, b.id).attention == [] for b in plans.hit)
