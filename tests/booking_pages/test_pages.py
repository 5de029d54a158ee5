"""The booking and equipment pages, as staff and teachers see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab.bookings.models import Booking
from makerlab.equipment.models import MaintenanceBlock
from makerlab.extensions import db
from tests.booking_pages.conftest import count_statements
from tests.conftest import at

PAGES = [
    "/calendar",
    "/calendar?category=3d_printer",
    "/calendar?unit={unit}",
    "/calendar?unit={unit}&week=2027-W10",
    "/bookings/new?equipment_id={unit}&day=2027-01-05",
    "/bookings/free",
    "/bookings/free?category=3d_printer&day=2027-01-05&start=10:00&end=12:00",
    "/bookings/mine",
    "/bookings/loans",
    "/bookings/{booking}",
    "/equipment/",
    "/equipment/?category=3d_printer&status=available",
    "/equipment/{unit}",
]


@pytest.fixture
def scene(frozen: Any, make_unit: Any, make_booking: Any) -> dict[str, Any]:
    printer = make_unit(name="Prusa Eins")
    kit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    booking = make_booking(
        printer, at("2027-01-05", "10:00"), at("2027-01-05", "12:00"), purpose="Schlüsselanhänger"
    )
    make_booking(
        kit,
        at("2027-01-04", "08:00"),
        at("2027-01-05", "10:00"),
        status="checked_out",
        checked_out_at=at("2027-01-04", "08:00"),
    )
    return {"unit": printer.id, "kit": kit.id, "booking": booking.id}


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_staff(
    client: Any, login_as: Any, scene: dict[str, Any], url: str
) -> None:
    login_as("youth_worker")
    response = client.get(url.format(**scene))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("url", PAGES + ["/equipment/new", "/calendar/equipment/{unit}.ics"])
def test_teachers_are_refused(client: Any, login_as: Any, scene: dict[str, Any], url: str) -> None:
    login_as("teacher")
    assert client.get(url.format(**scene)).status_code == 403


def test_week_calendar_shows_bookings_maintenance_and_closures(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    from makerlab.sites.models import Closure

    db.session.add(
        Closure(
            site_id=1, starts_on=dt.date(2027, 1, 7), ends_on=dt.date(2027, 1, 7), reason="Teamtag"
        )
    )
    db.session.add(
        MaintenanceBlock(
            equipment_id=scene["unit"],
            starts_at=at("2027-01-06", "09:00"),
            ends_at=at("2027-01-06", "11:30"),
            reason="Düse tauschen",
        )
    )
    db.session.commit()
    login_as("youth_worker", locale="en")
    html = client.get("/calendar?category=3d_printer").get_data(as_text=True)
    assert "10:00–12:00" in html and "Schlüsselanhänger" in html
    assert "09:00–11:30" in html and "Düse tauschen" in html
    assert "Closed: Teamtag" in html
    assert f"/bookings/{scene['booking']}" in html
    # Navigation by week: the next week no longer shows Tuesday's booking.
    later = client.get("/calendar?category=3d_printer&week=2027-W02").get_data(as_text=True)
    assert "Schlüsselanhänger" not in later and "2027-W03" in later and "2027-W01" in later


def test_a_loan_over_the_weekend_spans_its_days(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    kit = make_unit(name="Synth A", category="synth_kit", loanable=True)
    make_booking(kit, at("2027-01-08", "16:00"), at("2027-01-11", "10:00"))
    login_as("youth_worker")
    html = client.get(f"/calendar?unit={kit.id}").get_data(as_text=True)
    assert "16:00–…" in html and "…–…" in html
    html = client.get(f"/calendar?unit={kit.id}&week=2027-W02").get_data(as_text=True)
    assert "…–10:00" in html


def test_calendar_statement_count_does_not_grow_with_bookings(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    login_as("youth_worker")
    units = [make_unit() for _ in range(3)]
    make_booking(units[0], at("2027-01-05", "10:00"), at("2027-01-05", "11:00"))
    with count_statements() as few:
        assert client.get("/calendar?category=3d_printer").status_code == 200
    for i, unit in enumerate(units * 10):
        day = f"2027-01-0{4 + i % 6}"
        hour = 8 + i // 6
        make_booking(unit, at(day, f"{hour:02d}:00"), at(day, f"{hour:02d}:30"))
    for n in range(5):
        make_unit(name=f"Extra {n}")
    with count_statements() as many:
        assert client.get("/calendar?category=3d_printer").status_code == 200
    assert len(many) == len(few), (few, many)
    assert len(few) <= 10


def test_booking_form_books_a_slot(client: Any, login_as: Any, scene: dict[str, Any]) -> None:
    login_as("youth_worker")
    response = client.post(
        "/bookings/new",
        data={
            "equipment_id": scene["unit"],
            "day": "2027-01-05",
            "start": "13:00",
            "end": "15:00",
            "purpose": "Laser-Schilder",
        },
    )
    assert response.status_code == 302
    booking = db.session.scalar(sa.select(Booking).where(Booking.purpose == "Laser-Schilder"))
    assert booking is not None
    assert booking.starts_at == at("2027-01-05", "13:00")
    assert booking.ends_at == at("2027-01-05", "15:00")
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
    assert "Laser-Schilder" in client.get(f"/bookings/{booking.id}").get_data(as_text=True)


def test_booking_form_explains_a_conflict(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    login_as("youth_worker", locale="en")
    response = client.post(
        "/bookings/new",
        data={
            "equipment_id": scene["unit"],
            "day": "2027-01-05",
            "start": "11:00",
            "end": "13:00",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The booking was not made." in html
    assert "These times are already taken" in html
    assert f"/bookings/{scene['booking']}" in html  # the booking in the way is linked
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 2


def test_booking_form_explains_closed_hours_next_to_the_field(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    login_as("youth_worker", locale="en")
    response = client.post(
        "/bookings/new",
        data={
            "equipment_id": scene["unit"],
            "day": "2027-01-05",
            "start": "21:00",
            "end": "22:00",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "invalid-feedback" in html or "alert-danger" in html
    assert "opening hours" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 2


def test_booking_form_checks_shape(client: Any, login_as: Any, scene: dict[str, Any]) -> None:
    login_as("youth_worker", locale="en")
    response = client.post(
        "/bookings/new",
        data={
            "equipment_id": scene["unit"],
            "day": "2027-01-05",
            "start": "15:00",
            "end": "14:00",
        },
    )
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)


def test_booking_form_shows_free_slots(client: Any, login_as: Any, scene: dict[str, Any]) -> None:
    login_as("youth_worker")
    html = client.get(f"/bookings/free-slots?equipment_id={scene['unit']}&day=2027-01-05").get_data(
        as_text=True
    )
    # Open 08:00-20:00, booked 10:00-12:00.
    assert "08:00–10:00" in html and "12:00–20:00" in html
    page = client.get(f"/bookings/new?equipment_id={scene['unit']}&day=2027-01-05")
    assert "12:00–20:00" in page.get_data(as_text=True)


def test_weekly_series_and_cancel_following(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    user = login_as("youth_worker")
    response = client.post(
        "/bookings/new",
        data={
            "equipment_id": scene["unit"],
            "day": "2027-01-06",
            "start": "14:00",
            "end": "15:00",
            "purpose": "Druck-AG",
            "repeat": "weekly",
            "count": "4",
        },
    )
    assert response.status_code == 302
    series = db.session.scalars(
        sa.select(Booking).where(Booking.purpose == "Druck-AG").order_by(Booking.starts_at)
    ).all()
    assert len(series) == 4 and len({b.series_id for b in series}) == 1
    assert all(b.booked_by_id == user.id for b in series)
    mine = client.get("/bookings/mine").get_data(as_text=True)
    assert mine.count("Druck-AG") == 4
    # One quiet link per row that asks first; no buttons that cancel at once.
    assert mine.count("data-confirm") == 4 and "btn-outline-danger" not in mine
    assert f'/bookings/{series[0].id}/cancel?next=' in mine

    # The question says what would go, computed by the service, for each scope.
    ask = client.get(f"/bookings/{series[2].id}/cancel?scope=following")
    assert ask.status_code == 200
    text = ask.get_data(as_text=True)
    assert "2 Buchungen von Prusa" in text and "2 Buchungen stornieren" in text
    assert "Mi., 20. Jan. 2027" in text and "Mi., 27. Jan. 2027" in text
    assert f'action="/bookings/{series[2].id}/cancel?scope=following"' in text
    whole = client.get(f"/bookings/{series[2].id}/cancel?scope=series").get_data(as_text=True)
    assert "4 Buchungen" in whole and "Die ganze Serie stornieren?" in whole
    one = client.get(f"/bookings/{series[0].id}/cancel").get_data(as_text=True)
    assert "Buchung stornieren</button>" in one and "Mi., 6. Jan. 2027" in one
    # The dialog gets the same question without the page around it.
    dialog = client.get(
        f"/bookings/{series[2].id}/cancel?scope=following", headers={"X-Confirm-Dialog": "1"}
    ).get_data(as_text=True)
    assert "<html" not in dialog and "2 Buchungen von Prusa" in dialog
    assert client.get(f"/bookings/{series[2].id}/cancel?scope=nonsense").status_code == 422
    db.session.expire_all()
    assert all(db.session.get(Booking, b.id).status == "reserved" for b in series)

    response = client.post(f"/bookings/{series[2].id}/cancel", data={"scope": "following"})
    assert response.status_code == 302
    db.session.expire_all()
    statuses = [db.session.get(Booking, b.id).status for b in series]  # type: ignore[union-attr]
    assert statuses == ["reserved", "reserved", "cancelled", "cancelled"]
    # Nothing left to cancel: the question says so instead of asking.
    assert client.get(f"/bookings/{series[3].id}/cancel").status_code == 409


def test_find_free_unit_and_book_with_one_click(
    client: Any, login_as: Any, scene: dict[str, Any], make_unit: Any
) -> None:
    other = make_unit(name="Bambu P1S")
    login_as("youth_worker")
    html = client.get(
        "/bookings/free?category=3d_printer&day=2027-01-05&start=11:00&end=12:00"
    ).get_data(as_text=True)
    assert "Bambu P1S" in html
    assert "Prusa Eins" not in html  # booked 10:00-12:00
    response = client.post(
        "/bookings/quick",
        data={
            "equipment_id": other.id,
            "starts_at": at("2027-01-05", "11:00").isoformat(),
            "ends_at": at("2027-01-05", "12:00").isoformat(),
            "purpose": "",
        },
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Booking).where(Booking.equipment_id == other.id)
        )
        == 1
    )
    # The same click again is refused with the reason, and nothing is booked.
    response = client.post(
        "/bookings/quick",
        data={
            "equipment_id": other.id,
            "starts_at": at("2027-01-05", "11:00").isoformat(),
            "ends_at": at("2027-01-05", "12:00").isoformat(),
            "next": "/bookings/free",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/bookings/free")
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Booking).where(Booking.equipment_id == other.id)
        )
        == 1
    )


def test_hand_out_and_take_back_a_kit(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    from makerlab.equipment.models import Equipment

    kit = make_unit(name="Podcast-Koffer 2", category="podcast_kit", loanable=True)
    booking = make_booking(kit, at("2027-01-04", "08:30"), at("2027-01-04", "18:00"))
    late = make_booking(
        make_unit(name="Synth B", category="synth_kit", loanable=True),
        at("2026-12-30", "10:00"),
        at("2027-01-02", "12:00"),
        status="checked_out",
        checked_out_at=at("2026-12-30", "10:00"),
    )
    login_as("youth_worker", locale="en")
    loans = client.get("/bookings/loans").get_data(as_text=True)
    assert "Podcast-Koffer 2" in loans and "To hand out today" in loans
    assert "Synth B" in loans and "overdue" in loans
    assert (
        client.post(
            f"/bookings/{booking.id}/checkout", data={"next": "/bookings/loans"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "checked_out"  # type: ignore[union-attr]
    response = client.post(
        f"/bookings/{late.id}/return", data={"condition": "damaged", "note": "Poti abgebrochen"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    returned = db.session.get(Booking, late.id)
    assert returned is not None and returned.status == "returned"
    assert returned.return_condition == "damaged" and returned.return_note == "Poti abgebrochen"
    assert db.session.get(Equipment, returned.equipment_id).status == "maintenance"  # type: ignore[union-attr]


def test_loan_desk_takes_today_from_each_kits_site(
    client: Any, login_as: Any, frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    """Monday 08:00 in Berlin is Monday 02:00 in New York: a New York kit booked for
    Monday evening there (Tuesday 01:00 UTC) is today's, one for Tuesday is not."""
    from zoneinfo import ZoneInfo

    from makerlab.sites.models import Site

    ny = ZoneInfo("America/New_York")
    site = Site(name="Makerspace Brooklyn", timezone="America/New_York", opening_hours={})
    db.session.add(site)
    db.session.commit()
    evening = make_unit(
        name="Podcast Kit NYC", category="podcast_kit", loanable=True, site_id=site.id
    )
    tomorrow = make_unit(name="Synth Kit NYC", category="synth_kit", loanable=True, site_id=site.id)
    make_booking(
        evening,
        dt.datetime(2027, 1, 4, 20, 0, tzinfo=ny),
        dt.datetime(2027, 1, 4, 22, 0, tzinfo=ny),
    )
    make_booking(
        tomorrow,
        dt.datetime(2027, 1, 5, 10, 0, tzinfo=ny),
        dt.datetime(2027, 1, 5, 12, 0, tzinfo=ny),
    )
    berlin_tomorrow = make_unit(name="Podcast-Koffer 3", category="podcast_kit", loanable=True)
    make_booking(berlin_tomorrow, at("2027-01-05", "09:00"), at("2027-01-05", "12:00"))

    login_as("youth_worker", locale="en")
    loans = client.get("/bookings/loans").get_data(as_text=True)
    assert "Podcast Kit NYC" in loans
    assert "Synth Kit NYC" not in loans and "Podcast-Koffer 3" not in loans


def test_coordinator_creates_and_edits_a_unit(client: Any, login_as: Any, frozen: Any) -> None:
    from makerlab.equipment.models import Equipment

    login_as("coordinator", locale="en")
    response = client.post(
        "/equipment/new",
        data={
            "name": "Laser 60 W",
            "category": "laser_cutter",
            "site_id": 1,
            "status": "available",
            "requires_induction": "y",
            "min_age": "14",
            "buffer_minutes": "15",
            "max_booking_minutes": "240",
        },
    )
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Equipment).where(Equipment.name == "Laser 60 W"))
    assert unit is not None and unit.buffer_minutes == 15 and unit.requires_induction
    page = client.get(f"/equipment/{unit.id}").get_data(as_text=True)
    assert "15 min" in page and "240 min" in page and "14 years" in page
    response = client.post(
        f"/equipment/{unit.id}/edit",
        data={
            "name": "Laser 60 W",
            "category": "laser_cutter",
            "new_category": "Not A Slug!",
            "site_id": 1,
            "status": "available",
            "buffer_minutes": "10",
        },
    )
    assert response.status_code == 422  # re-shown with the error
    assert "lower-case" in response.get_data(as_text=True)
    response = client.post(
        f"/equipment/{unit.id}/maintenance",
        data={
            "start_day": "2027-01-06",
            "start_time": "09:00",
            "end_day": "2027-01-06",
            "end_time": "12:00",
            "reason": "Linse reinigen",
        },
    )
    assert response.status_code == 302
    assert "Linse reinigen" in client.get(f"/equipment/{unit.id}").get_data(as_text=True)


def test_youth_workers_cannot_manage_equipment(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    login_as("youth_worker")
    assert client.get("/equipment/new").status_code == 403
    assert client.post(f"/equipment/{scene['unit']}/maintenance", data={}).status_code == 403


def test_unknown_objects_are_404(client: Any, login_as: Any, frozen: Any) -> None:
    login_as("youth_worker")
    assert client.get("/equipment/999").status_code == 404
    assert client.get("/bookings/999").status_code == 404
    assert client.get("/calendar?unit=999").status_code == 404


def test_edit_moves_a_booking_and_explains_a_conflict(
    client: Any, login_as: Any, scene: dict[str, Any], make_booking: Any
) -> None:
    from makerlab.equipment.models import Equipment

    login_as("youth_worker", locale="en")
    booking_id = scene["booking"]
    page = client.get(f"/bookings/{booking_id}/edit").get_data(as_text=True)
    assert 'value="10:00"' in page and 'value="2027-01-05"' in page
    response = client.post(
        f"/bookings/{booking_id}/edit",
        data={
            "day": "2027-01-05",
            "start": "14:00",
            "end": "16:00",
            "purpose": "Verschoben",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Booking, booking_id)
    assert moved is not None and moved.starts_at == at("2027-01-05", "14:00")
    assert moved.purpose == "Verschoben"
    unit = db.session.get(Equipment, scene["unit"])
    other = make_booking(unit, at("2027-01-06", "10:00"), at("2027-01-06", "12:00"))
    response = client.post(
        f"/bookings/{booking_id}/edit",
        data={
            "day": "2027-01-06",
            "start": "11:00",
            "end": "13:00",
            "purpose": "Verschoben",
        },
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The booking was not changed." in html and "These times are already taken" in html
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).starts_at == at("2027-01-05", "14:00")  # type: ignore[union-attr]
    assert other.id


def test_series_with_a_taken_date_is_refused_or_skipped(
    client: Any, login_as: Any, scene: dict[str, Any], make_booking: Any
) -> None:
    from makerlab.equipment.models import Equipment

    unit = db.session.get(Equipment, scene["unit"])
    make_booking(unit, at("2027-01-19", "14:00"), at("2027-01-19", "15:00"))  # the 3rd Tuesday
    login_as("youth_worker", locale="en")
    data = {
        "equipment_id": scene["unit"],
        "day": "2027-01-05",
        "start": "14:00",
        "end": "15:00",
        "purpose": "Löt-AG",
        "repeat": "weekly",
        "count": "4",
    }
    response = client.post("/bookings/new", data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "These times are already taken" in html and "Skip dates that are taken" in html
    assert not db.session.scalar(sa.select(Booking.id).where(Booking.purpose == "Löt-AG"))
    response = client.post("/bookings/new", data={**data, "skip_conflicts": "y"})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 bookings made." in html and "Skipped because taken" in html
    assert len(db.session.scalars(sa.select(Booking).where(Booking.purpose == "Löt-AG")).all()) == 3


def test_maintenance_form_refuses_an_end_before_the_start(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    login_as("coordinator", locale="en")
    response = client.post(
        f"/equipment/{scene['unit']}/maintenance",
        data={
            "start_day": "2027-01-06",
            "start_time": "12:00",
            "end_day": "2027-01-06",
            "end_time": "09:00",
            "reason": "Rückwärts",
        },
    )
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaintenanceBlock)) == 0


def test_phone_layout_lists_the_week_day_by_day(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    login_as("youth_worker", locale="en")
    html = client.get(f"/calendar?unit={scene['unit']}").get_data(as_text=True)
    phone = html[html.index('<div class="d-md-none">') :]
    assert phone.count('<section class="ml-day') == 7
    assert "Schlüsselanhänger" in phone and "Nothing booked." in phone
    assert "Closed<" in phone  # Sunday has no opening hours


def test_find_free_unit_asks_for_the_site_where_there_are_several(
    client: Any, login_as: Any, scene: dict[str, Any], make_unit: Any
) -> None:
    from makerlab.sites.models import Site

    login_as("youth_worker")
    query = "/bookings/free?category=3d_printer&day=2027-01-05&start=14:00&end=15:00"
    page = client.get(query).get_data(as_text=True)
    assert 'id="site_id"' not in page  # one site: nothing to choose
    hours = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    other = Site(name="Zweigstelle Silberhöhe", timezone="Europe/Berlin", opening_hours=hours)
    db.session.add(other)
    db.session.commit()
    make_unit(name="Drucker Silberhöhe", site_id=other.id)

    page = client.get(query).get_data(as_text=True)
    assert 'id="site_id"' in page and "Zweigstelle Silberhöhe" in page
    assert "Drucker Silberhöhe" not in page  # the default site is searched
    page = client.get(f"{query}&site_id={other.id}").get_data(as_text=True)
    assert "Drucker Silberhöhe" in page and "Prusa Eins" not in page
    refused = client.get(f"{query}&site_id=4242").get_data(as_text=True)
    assert "Drucker Silberhöhe" not in refused and "is-invalid" in refused


def test_calendar_entries_use_the_legends_word_for_a_kit_out(
    client: Any, login_as: Any, scene: dict[str, Any]
) -> None:
    login_as("youth_worker")
    html = client.get("/calendar?week=2027-W01", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    legend = html.split('class="ml-legend')[1].split("</p>")[0]
    assert "Checked out" in legend
    assert "Podcast-Koffer 1" in html and "· Checked out" in html and "· Out" not in html
