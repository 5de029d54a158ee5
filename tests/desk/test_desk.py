"""The lending desk: a scan shows the unit, who holds it, the next booking and one-tap actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from makerlab.bookings.models import Booking
from makerlab.extensions import db
from tests.conftest import at

EN = {"Accept-Language": "en"}


def _desk(client: Any, **args: Any) -> Any:
    return client.get("/desk", query_string=args, headers=EN)


def test_a_scan_shows_the_booking_to_hand_out_and_who_gets_the_kit(
    client: Any, login_as: Any, frozen: Any, make_kit: Any, make_participant: Any,
    make_booking: Any,
) -> None:
    login_as("youth_worker")
    kit = make_kit()
    zoe = make_participant(first_name="Zoe", last_name="Brandt")
    booking = make_booking(
        kit, at("2027-01-04", "10:00"), at("2027-01-06", "10:00"), participants=[zoe]
    )
    later = make_booking(kit, at("2027-01-08", "10:00"), at("2027-01-08", "12:00"))
    # A USB scanner types the code; a phone camera reads the label's whole address.
    for scanned in (kit.code, f"http://localhost/u/{kit.code.lower()}"):
        response = _desk(client, code=scanned)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Podcast-Koffer 1" in page and kit.code in page
        assert "Hand out to Zoe Brandt" in page
        assert f'action="/bookings/{booking.id}/checkout"' in page
        assert "2 × Mikrofon" in page  # what goes into the bag

    handed = client.post(
        f"/bookings/{booking.id}/checkout", data={"next": f"/desk?code={kit.code}"}
    )
    assert handed.status_code == 302 and handed.headers["Location"] == f"/desk?code={kit.code}"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "checked_out"  # type: ignore[union-attr]
    page = _desk(client, code=kit.code).get_data(as_text=True)
    assert "Out now" in page and "With Zoe Brandt" in page
    assert f'action="/bookings/{booking.id}/return"' in page
    assert 'name="present-0"' in page and "2 × Mikrofon" in page  # the checklist
    assert "Hand out to" not in page
    assert "Next booking" in page and f"Booking #{later.id}" in page


def test_the_booking_being_handed_out_is_found_however_far_ahead(
    client: Any, login_as: Any, frozen: Any, make_kit: Any, make_booking: Any
) -> None:
    """Sixty short bookings come first; the desk still offers the one it was sent to hand out."""
    login_as("youth_worker")
    kit = make_kit()
    first = at("2027-01-04", "09:00")
    for day in range(60):
        begins = first + dt.timedelta(days=day)
        make_booking(kit, begins, begins + dt.timedelta(hours=1))
    far = make_booking(kit, at("2027-04-01", "10:00"), at("2027-04-02", "10:00"))
    page = _desk(client, code=kit.code, booking=far.id).get_data(as_text=True)
    assert f'action="/bookings/{far.id}/checkout"' in page
    # Without a booking asked for, the desk offers the unit's next one.
    page = _desk(client, code=kit.code).get_data(as_text=True)
    assert f'action="/bookings/{far.id}/checkout"' not in page
    assert "/checkout\"" in page


def test_a_scan_of_the_wrong_kit_for_a_booking_says_so(
    client: Any, login_as: Any, frozen: Any, make_kit: Any, make_booking: Any
) -> None:
    login_as("youth_worker")
    first = make_kit(name="Podcast-Koffer 1")
    second = make_kit(name="Podcast-Koffer 2")
    booking = make_booking(first, at("2027-01-04", "10:00"), at("2027-01-04", "18:00"))
    make_booking(second, at("2027-01-04", "09:00"), at("2027-01-04", "12:00"))

    detail = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert f'href="/desk?booking={booking.id}"' in detail  # "Scan the kit" on the booking
    asked = _desk(client, booking=booking.id).get_data(as_text=True)
    assert f"Handing out booking #{booking.id}: Podcast-Koffer 1 ({first.code})" in asked
    assert f'name="booking" value="{booking.id}"' in asked  # kept for the next scan

    wrong = _desk(client, booking=booking.id, code=second.code).get_data(as_text=True)
    assert (
        f"Wrong kit: you scanned Podcast-Koffer 2 ({second.code}), but booking #{booking.id} "
        f"is for Podcast-Koffer 1 ({first.code})." in wrong
    )
    assert "/checkout" not in wrong

    right = _desk(client, booking=booking.id, code=first.code).get_data(as_text=True)
    assert "Wrong kit" not in right
    assert f'action="/bookings/{booking.id}/checkout"' in right


def test_unknown_codes_and_units_that_stay_in_the_building(
    client: Any, login_as: Any, frozen: Any, make_unit: Any
) -> None:
    login_as("youth_worker")
    printer = make_unit(name="Prusa MK4")
    unknown = _desk(client, code="P13-ZZ9")
    assert unknown.status_code == 404
    page = unknown.get_data(as_text=True)
    assert "No unit has the code P13-ZZ9." in page and 'id="scan-code"' in page
    stays = _desk(client, code=printer.code).get_data(as_text=True)
    assert "This unit is not lent out; it stays in the building." in stays
    assert "No booking for this unit." in stays
    printer.status = "maintenance"
    db.session.commit()
    broken = _desk(client, code=printer.code).get_data(as_text=True)
    assert "This unit is not available (maintenance): please check it" in broken


def test_the_desk_is_for_staff_who_lend_kits(client: Any, login_as: Any) -> None:
    login_as("teacher")
    assert client.get("/desk").status_code == 403


def test_a_unit_page_leads_to_the_desk_and_its_label(
    client: Any, login_as: Any, make_kit: Any
) -> None:
    login_as("youth_worker")
    kit = make_kit()
    page = client.get(f"/equipment/{kit.id}", headers=EN).get_data(as_text=True)
    assert f'href="/desk?code={kit.code}"' in page
    assert f'href="/equipment/labels.pdf?ids={kit.id}"' in page


def test_scanning_reads_in_a_fixed_number_of_statements(
    client: Any, login_as: Any, frozen: Any, make_kit: Any, make_participant: Any,
    make_booking: Any,
) -> None:
    from makerlab.db import recorded_statements

    login_as("youth_worker")
    kit = make_kit()

    def count() -> int:
        with recorded_statements(db.engine) as seen:
            assert _desk(client, code=kit.code).status_code == 200
        return len(seen)

    start = at("2027-01-05", "10:00")
    make_booking(kit, start, start + dt.timedelta(hours=2), participants=[make_participant()])
    few = count()
    for day in range(1, 6):
        begins = start + dt.timedelta(days=day)
        make_booking(kit, begins, begins + dt.timedelta(hours=2),
                     participants=[make_participant(), make_participant()])
    assert count() == few
