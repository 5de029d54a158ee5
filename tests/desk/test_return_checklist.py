"""Taking a kit back with its checklist: a missing part counts as damaged (SPEC "Lending desk")."""

from __future__ import annotations

from typing import Any

from makerlab.bookings.models import Booking
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.notifications import jobs
from tests.conftest import at
from tests.notifications.helpers import SmtpServer, job_app  # noqa: F401  (fixture)

EN = {"Accept-Language": "en"}


def _out(make_kit: Any, make_booking: Any, **kit: Any) -> tuple[Any, Booking]:
    unit = make_kit(**kit)
    booking = make_booking(
        unit,
        at("2027-01-01", "10:00"),
        at("2027-01-04", "12:00"),
        status="checked_out",
        checked_out_at=at("2027-01-01", "10:00"),
    )
    return unit, booking


def test_a_missing_microphone_puts_the_kit_into_maintenance_and_tells_the_coordinators(
    client: Any, login_as: Any, frozen: Any, make_user: Any, make_kit: Any,
    make_booking: Any, smtp: SmtpServer, job_app: Any,  # noqa: F811
) -> None:
    chefin = make_user("coordinator", name="Chefin", locale="de")
    second = make_user("coordinator", name="Second", locale="en")
    login_as("youth_worker", name="Jo")
    kit, booking = _out(make_kit, make_booking)

    desk = client.get("/bookings/loans", headers=EN).get_data(as_text=True)
    assert "Contents: tick what is back" in desk
    for i, line in enumerate(["2 × Mikrofon", "1 × Aufnahmegerät", "2 × XLR-Kabel"]):
        assert f'name="present-{i}"' in desk and line in desk

    # Everything ticked but one of the two microphones.
    form = {
        "condition": "ok",
        "note": "",
        "next": "/bookings/loans",
        "line-0": "Mikrofon", "count-0": "2", "missing-0": "1",
        "line-1": "Aufnahmegerät", "count-1": "1", "present-1": "1",
        "line-2": "XLR-Kabel", "count-2": "2", "missing-2": "2", "present-2": "1",
    }
    back = client.post(f"/bookings/{booking.id}/return", data=form, headers=EN)
    assert back.status_code == 302
    shown = client.get("/bookings/loans", headers=EN).get_data(as_text=True)
    assert "Podcast-Koffer 1 is back without 1 × Mikrofon" in shown

    db.session.expire_all()
    returned = db.session.get(Booking, booking.id)
    assert returned is not None and returned.status == "returned"
    assert returned.return_condition == "damaged"
    assert returned.return_missing == [{"item": "Mikrofon", "count": 1}]
    assert db.session.get(Equipment, kit.id).status == "maintenance"  # type: ignore[union-attr]
    detail = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert "Missing on return" in detail and "1 × Mikrofon" in detail

    jobs.deliver_outbox()
    mails = smtp.sink.wait_for(2)
    assert sorted(smtp.sink.to()) == sorted([chefin.email, second.email])
    english = next(m for m in mails if m["To"] == second.email)
    assert english["Subject"] == "Damaged on return: Podcast-Koffer 1"
    text = english.get_body(("plain",)).get_content()
    assert "Missing: 1 × Mikrofon" in text and "Return recorded by Jo." in text
    german = next(m for m in mails if m["To"] == chefin.email)
    assert "Es fehlt: 1 × Mikrofon" in german.get_body(("plain",)).get_content()


def test_a_complete_kit_comes_back_as_it_went(
    client: Any, login_as: Any, frozen: Any, make_kit: Any, make_booking: Any
) -> None:
    login_as("youth_worker")
    kit, booking = _out(make_kit, make_booking)
    form = {"condition": "ok", "next": "/bookings/loans"}
    for i, (item, count) in enumerate([("Mikrofon", 2), ("Aufnahmegerät", 1), ("XLR-Kabel", 2)]):
        form |= {f"line-{i}": item, f"count-{i}": str(count), f"present-{i}": "1"}
    assert client.post(f"/bookings/{booking.id}/return", data=form).status_code == 302
    db.session.expire_all()
    returned = db.session.get(Booking, booking.id)
    assert returned is not None and returned.return_condition == "ok"
    assert returned.return_missing == []
    assert db.session.get(Equipment, kit.id).status == "available"  # type: ignore[union-attr]


def test_the_api_takes_what_is_missing(
    api_as: Any, frozen: Any, make_kit: Any, make_booking: Any, make_user: Any
) -> None:
    make_user("coordinator")
    api = api_as("youth_worker")
    kit, booking = _out(make_kit, make_booking)
    url = f"/api/v1/bookings/{booking.id}/return"
    for missing, message in [
        ([{"item": "Kopfhörer", "count": 1}], "Kopfhörer is not listed in this kit."),
        ([{"item": "Mikrofon", "count": 3}], "Only 2 × Mikrofon belong to this kit."),
        ([{"item": " ", "count": 1}], "Please name every item."),
    ]:
        refused = api.post(url, json={"missing": missing}, headers=EN)
        assert refused.status_code == 422
        assert refused.get_json()["errors"] == {"missing": [message]}
    assert api.post(url, json={"missing": [{"item": "Mikrofon", "count": 0}]}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "checked_out"  # type: ignore[union-attr]

    back = api.post(url, json={"condition": "ok", "missing": [{"item": "mikrofon", "count": 1}]})
    assert back.status_code == 200, back.get_json()
    body = back.get_json()
    assert body["return_condition"] == "damaged"
    assert body["return_missing"] == [{"item": "Mikrofon", "count": 1}]
    assert api.get(f"/api/v1/equipment/{kit.id}").get_json()["status"] == "maintenance"
    listed = api.get(f"/api/v1/bookings?equipment_id={kit.id}").get_json()["items"]
    assert listed[0]["return_missing"] == [{"item": "Mikrofon", "count": 1}]


def test_the_loan_desk_shows_who_holds_each_kit_and_what_is_due_today(
    client: Any, login_as: Any, frozen: Any, make_kit: Any, make_booking: Any,
    make_participant: Any,
) -> None:
    """Monday 08:00: one kit overdue since Sunday, one due at 17:00, one due on Wednesday."""
    login_as("youth_worker")
    rows = [
        ("Podcast-Koffer Alt", "2027-01-03", "Mia", "Overdue"),
        ("Podcast-Koffer Heute", "2027-01-04", "Ben", "Due back today"),
        ("Podcast-Koffer Später", "2027-01-06", "Ida", "Due back later"),
    ]
    for name, due, child, _section in rows:
        make_booking(
            make_kit(name=name),
            at("2027-01-01", "10:00"),
            at(due, "17:00"),
            status="checked_out",
            checked_out_at=at("2027-01-01", "10:00"),
            participants=[make_participant(first_name=child, last_name="Kowalski")],
        )
    page = client.get("/bookings/loans", headers=EN).get_data(as_text=True)
    places = [page.index(f'id="loans-{key}"') for key in ("overdue", "today", "later")]
    assert places == sorted(places)
    for (name, _due, child, _section), start, end in zip(
        rows, places, [*places[1:], len(page)], strict=True
    ):
        part = page[start:end]
        assert name in part and f"With {child} Kowalski" in part
