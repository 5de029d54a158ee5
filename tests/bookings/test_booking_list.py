"""The booking list shows every booking exactly as the booking's own route does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from makerlab.bookings.models import Booking, BookingSeries
from makerlab.extensions import db
from makerlab.sites.models import Site
from makerlab.workshops.models import Workshop, WorkshopSession
from tests.conftest import at


def test_list_items_equal_the_single_booking(
    frozen: Any, api_as: Any, make_unit: Any, make_participant: Any
) -> None:
    """Every field and offset, whatever the booking's state, its site's zone, its links."""
    api = api_as("youth_worker")
    new_york = Site(name="Maker Space NYC", timezone="America/New_York")
    db.session.add(new_york)
    db.session.commit()
    berlin_printer = make_unit()
    new_york_kit = make_unit(name="Podcast-Kit NYC", site_id=new_york.id, loanable=True)
    first, second = make_participant(), make_participant()
    series = BookingSeries(recurrence={"frequency": "weekly", "count": 2})
    workshop = Workshop(title="Löten")
    db.session.add_all([series, workshop])
    db.session.flush()
    session = WorkshopSession(
        workshop_id=workshop.id,
        site_id=1,
        capacity=10,
        location="Werkstatt",
        starts_at=at("2027-01-06", "09:00"),
        ends_at=at("2027-01-06", "12:00"),
    )
    db.session.add(session)
    db.session.flush()

    def booking(unit: Any, day: str, start: str, end: str, **values: Any) -> Booking:
        row = Booking(
            equipment_id=unit.id,
            booked_by_id=api.user.id,
            starts_at=at(day, start),
            ends_at=at(day, end),
            blocked_until=at(day, end),
            **values,
        )
        db.session.add(row)
        return row

    booking(berlin_printer, "2027-01-05", "10:00", "11:00", purpose="Anhänger", series_id=series.id,
            participants=[second, first])
    booking(berlin_printer, "2027-01-06", "09:00", "12:00", session_id=session.id)
    booking(new_york_kit, "2027-01-01", "10:00", "11:00", status="checked_out",
            checked_out_at=at("2027-01-01", "09:55"))  # overdue: it ended before "now"
    booking(new_york_kit, "2027-01-02", "10:00", "11:00", status="returned",
            checked_out_at=at("2027-01-02", "10:00"), returned_at=at("2027-01-02", "11:30"),
            return_condition="damaged", return_note="Kabel fehlt")
    booking(berlin_printer, "2027-01-07", "10:00", "11:00", status="cancelled",
            cancelled_at=at("2027-01-04", "07:00"))
    db.session.commit()

    listed = api.get("/api/v1/bookings", query_string={"limit": 500})
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["total"] == 5
    single = [api.get(f"/api/v1/bookings/{item['id']}").get_json() for item in body["items"]]
    assert body["items"] == single
    overdue = [i for i in body["items"] if i["overdue"]]
    assert len(overdue) == 1 and overdue[0]["starts_at"] == "2027-01-01T04:00:00-05:00"
    with_people = next(i for i in body["items"] if i["participant_ids"])
    assert with_people["participant_ids"] == sorted([first.id, second.id])
    assert [i["starts_at"] for i in body["items"]] == sorted(
        (i["starts_at"] for i in body["items"]), key=dt.datetime.fromisoformat
    )
