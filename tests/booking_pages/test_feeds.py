"""iCalendar feeds per unit and per user: they parse, and UIDs stay stable."""

from __future__ import annotations

from typing import Any

import icalendar
import pytest

from makerlab.auth.services import issue_token
from makerlab.extensions import db
from tests.conftest import at


def _events(body: bytes) -> dict[str, Any]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def unit_with_bookings(
    frozen: Any, make_unit: Any, make_booking: Any, make_user: Any
) -> dict[str, Any]:
    owner = make_user("youth_worker")
    unit = make_unit(name="Laser 60 W", category="laser_cutter", location="Laserraum")
    kept = make_booking(
        unit,
        at("2027-01-05", "10:00"),
        at("2027-01-05", "12:00"),
        booked_by_id=owner.id,
        purpose="Schilder",
    )
    gone = make_booking(
        unit,
        at("2027-01-06", "10:00"),
        at("2027-01-06", "12:00"),
        booked_by_id=owner.id,
        status="cancelled",
    )
    other = make_booking(
        make_unit(name="Prusa"), at("2027-01-07", "09:00"), at("2027-01-07", "10:00")
    )
    return {"owner": owner, "unit": unit, "kept": kept, "gone": gone, "other": other}


def test_equipment_feed_for_a_staff_session(
    client: Any, login_as: Any, unit_with_bookings: dict[str, Any]
) -> None:
    login_as("youth_worker")
    unit, kept, gone = (unit_with_bookings[k] for k in ("unit", "kept", "gone"))
    response = client.get(f"/calendar/equipment/{unit.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    events = _events(response.data)
    assert set(events) == {f"booking-{kept.id}@makerlab", f"booking-{gone.id}@makerlab"}
    event = events[f"booking-{kept.id}@makerlab"]
    assert event.decoded("DTSTART") == at("2027-01-05", "10:00")
    assert event.decoded("DTEND") == at("2027-01-05", "12:00")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Schilder" in str(event["SUMMARY"]) and str(event["LOCATION"]) == "Laserraum"
    assert str(events[f"booking-{gone.id}@makerlab"]["STATUS"]) == "CANCELLED"


def test_uids_stay_stable_when_a_booking_changes(
    client: Any, login_as: Any, unit_with_bookings: dict[str, Any]
) -> None:
    login_as("coordinator")
    unit, kept = unit_with_bookings["unit"], unit_with_bookings["kept"]
    before = _events(client.get(f"/calendar/equipment/{unit.id}.ics").data)
    kept.status = "cancelled"
    kept.ends_at = at("2027-01-05", "11:00")
    db.session.commit()
    after = _events(client.get(f"/calendar/equipment/{unit.id}.ics").data)
    assert set(before) == set(after)
    uid = f"booking-{kept.id}@makerlab"
    assert str(after[uid]["STATUS"]) == "CANCELLED"
    assert after[uid].decoded("DTEND") == at("2027-01-05", "11:00")


def test_equipment_feed_by_token_and_refusals(
    client: Any, make_user: Any, unit_with_bookings: dict[str, Any]
) -> None:
    unit = unit_with_bookings["unit"]
    staff_token = issue_token(unit_with_bookings["owner"], "calendar")
    teacher_token = issue_token(make_user("teacher"), "calendar")
    db.session.commit()
    assert client.get(f"/calendar/equipment/{unit.id}.ics").status_code == 401
    assert client.get(f"/calendar/equipment/{unit.id}.ics?token=wrong").status_code == 401
    assert client.get(f"/calendar/equipment/{unit.id}.ics?token={teacher_token}").status_code == 403
    assert client.get(f"/calendar/equipment/{unit.id}.ics?token={staff_token}").status_code == 200
    assert client.get(f"/calendar/equipment/999.ics?token={staff_token}").status_code == 404


def test_my_feed_lists_the_token_owners_bookings(
    client: Any, unit_with_bookings: dict[str, Any]
) -> None:
    owner, kept, gone = (unit_with_bookings[k] for k in ("owner", "kept", "gone"))
    token = issue_token(owner, "calendar")
    db.session.commit()
    response = client.get(f"/calendar/me.ics?token={token}")
    assert response.status_code == 200
    events = _events(response.data)
    # Only the owner's bookings, the cancelled one marked as such.
    assert set(events) == {f"booking-{kept.id}@makerlab", f"booking-{gone.id}@makerlab"}
    assert str(events[f"booking-{gone.id}@makerlab"]["STATUS"]) == "CANCELLED"
    assert client.get("/calendar/me.ics").status_code == 401
    assert client.get("/calendar/me.ics?token=nope").status_code == 401
