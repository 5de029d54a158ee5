"""Reservations whose time has passed read "past" (or "no-show" for a kit never picked up)."""

from __future__ import annotations

from typing import Any

from makerlab.extensions import db
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


def test_an_overdue_kit_is_current_in_my_bookings_and_on_todays_phone_card(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    # Monday 4 January 2027, 08:00 in Halle; the kit was due back last Thursday (last week).
    user = login_as("youth_worker")
    kit = make_unit(name="Synth-Koffer Überfällig", category="synth_kit", loanable=True)
    late = make_booking(
        kit, at("2026-12-31", "10:00"), at("2026-12-31", "17:30"), booked_by_id=user.id,
        status="checked_out", checked_out_at=at("2026-12-31", "10:00"),
    )
    back = make_booking(
        kit, at("2026-12-30", "10:00"), at("2026-12-30", "12:00"), booked_by_id=user.id,
        status="returned", checked_out_at=at("2026-12-30", "10:00"),
        returned_at=at("2026-12-30", "12:00"),
    )

    mine = client.get("/bookings/mine").get_data(as_text=True)
    current, past = mine.split("Vergangen und storniert")
    assert f"/bookings/{late.id}" in current and "Überfällig" in current
    assert f"/bookings/{late.id}" not in past
    assert f"/bookings/{back.id}" in past and f"/bookings/{back.id}" not in current
    assert "Aktuell und demnächst" in current

    for headers, still_out in (
        ({}, "Noch ausgegeben, Rückgabe fällig seit Do., 31. Dez. 2026, 17:30"),
        (EN, "Still out, was due back Thu, 31 Dec 2026, 17:30"),
    ):
        html = client.get(f"/calendar?unit={kit.id}", headers=headers).get_data(as_text=True)
        phone = html[html.index('<div class="d-md-none">') :]
        today = phone[phone.index('id="today"') :].split("</section>")[0]
        assert f'class="ml-block ml-overdue" href="/bookings/{late.id}"' in today
        assert still_out in today
        assert "Nothing booked." not in today and "Nichts gebucht." not in today
    # Not on other days, and not once the kit is back.
    assert phone.count(f'href="/bookings/{late.id}"') == 1
    late.status, late.returned_at = "returned", at("2027-01-04", "07:55")
    db.session.commit()
    html = client.get(f"/calendar?unit={kit.id}").get_data(as_text=True)
    phone = html[html.index('<div class="d-md-none">') :]
    assert "Nichts gebucht." in phone[phone.index('id="today"') :].split("</section>")[0]
    mine = client.get("/bookings/mine").get_data(as_text=True)
    assert f"/bookings/{late.id}" in mine.split("Vergangen und storniert")[1]
