"""Reservations whose time has passed read "past" (or "no-show" for a kit never picked up)."""

from __future__ import annotations

from typing import Any

from tests.conftest import at

EN = {"Accept-Language": "en"}


def test_lists_detail_and_calendar_show_past_reservations(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    # The clock stands at Monday 4 January 2027, 08:00 in Halle.
    user = login_as("youth_worker")
    printer = make_unit(name="Prusa Vergangen")
    kit = make_unit(name="Koffer Liegengeblieben", category="podcast_kit", loanable=True)
    done = make_booking(
        printer, at("2027-01-04", "06:00"), at("2027-01-04", "07:30"), booked_by_id=user.id
    )
    missed = make_booking(
        kit, at("2027-01-04", "06:00"), at("2027-01-04", "07:00"), booked_by_id=user.id
    )
    ahead = make_booking(
        printer, at("2027-01-05", "10:00"), at("2027-01-05", "12:00"), booked_by_id=user.id
    )
    returned = make_booking(
        kit,
        at("2027-01-04", "07:00"),
        at("2027-01-04", "07:45"),
        status="returned",
        checked_out_at=at("2027-01-04", "07:00"),
        returned_at=at("2027-01-04", "07:40"),
    )

    mine = client.get("/bookings/mine", headers=EN).get_data(as_text=True)
    past_table = mine.split("Past and cancelled")[1]
    assert ">Past<" in past_table and ">No-show<" in past_table
    assert ">Reserved<" not in past_table
    assert ">Reserved<" in mine.split("Past and cancelled")[0]

    assert ">Past<" in client.get(f"/bookings/{done.id}", headers=EN).get_data(as_text=True)
    german = client.get(f"/bookings/{missed.id}").get_data(as_text=True)
    assert ">Nicht abgeholt<" in german and ">Reserviert<" not in german
    assert ">Reserviert<" in client.get(f"/bookings/{ahead.id}").get_data(as_text=True)

    week = client.get("/calendar", headers=EN).get_data(as_text=True)
    assert f'class="ml-block ml-past" href="/bookings/{done.id}"' in week
    assert f'class="ml-block ml-no_show" href="/bookings/{missed.id}"' in week
    assert f'class="ml-block ml-returned" href="/bookings/{returned.id}"' in week
    assert f'class="ml-block ml-reserved" href="/bookings/{ahead.id}"' in week
    legend = week.split('class="ml-legend')[1].split("</p>")[0]
    # Every entry of the legend starts with a capital, as the status badges do.
    for label in ("Reserved", "Checked out", "Overdue", "Returned", "Past", "No-show",
                  "Maintenance", "Closed"):
        assert f">{label}<" in legend
