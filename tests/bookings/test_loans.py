"""Kit loans: check-out, return, damage and overdue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from makerlab import clock
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.notifications.models import Notification


def lend(
    api: Any, unit: Any, start: str = "2027-01-08T17:00", end: str = "2027-01-11T10:00"
) -> Any:
    response = api.post(
        "/api/v1/bookings", json={"equipment_id": unit.id, "starts_at": start, "ends_at": end}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_checkout_and_return_over_a_weekend(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    kit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    booking = lend(api, kit)
    # Early hand-over (before starts_at) is allowed and recorded; the booking stays.
    out = api.post(f"/api/v1/bookings/{booking['id']}/checkout")
    assert out.status_code == 200, out.get_json()
    body = out.get_json()
    assert body["status"] == "checked_out"
    assert body["checked_out_at"] == "2027-01-04T08:00:00+01:00"
    assert body["starts_at"] == booking["starts_at"] and body["overdue"] is False
    assert api.post(f"/api/v1/bookings/{booking['id']}/checkout").status_code == 409
    # A checked-out kit still blocks the unit.
    clash = api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": kit.id,
            "starts_at": "2027-01-09T10:00",
            "ends_at": "2027-01-09T12:00",
        },
    )
    assert clash.status_code == 409
    assert api.delete(f"/api/v1/bookings/{booking['id']}").status_code == 409

    clock.set_frozen(dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.UTC))  # Monday 09:00
    back = api.post(f"/api/v1/bookings/{booking['id']}/return", json={"note": "alles da"})
    assert back.status_code == 200
    assert back.get_json()["status"] == "returned"
    assert back.get_json()["returned_at"] == "2027-01-11T09:00:00+01:00"
    assert api.post(f"/api/v1/bookings/{booking['id']}/return", json={}).status_code == 409
    assert db.session.get(Equipment, kit.id).status == "available"


def test_overdue_is_derived(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    kit = make_unit(category="synth_kit", loanable=True)
    booking = lend(api, kit, "2027-01-05T10:00", "2027-01-05T12:00")
    api.post(f"/api/v1/bookings/{booking['id']}/checkout")
    clock.set_frozen(dt.datetime(2027, 1, 5, 11, 30, tzinfo=dt.UTC))  # 12:30 local
    assert api.get(f"/api/v1/bookings/{booking['id']}").get_json()["overdue"] is True
    listed = api.get("/api/v1/bookings?status=checked_out").get_json()["items"]
    assert [b["overdue"] for b in listed] == [True]


def test_checkout_refusals(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    printer = make_unit()
    booking = lend(api, printer, "2027-01-05T10:00", "2027-01-05T12:00")
    not_loanable = api.post(f"/api/v1/bookings/{booking['id']}/checkout")
    assert not_loanable.status_code == 409
    kit = make_unit(loanable=True)
    loan = lend(api, kit, "2027-01-05T10:00", "2027-01-05T12:00")
    assert api.post(f"/api/v1/bookings/{loan['id']}/return", json={}).status_code == 409
    clock.set_frozen(dt.datetime(2027, 1, 5, 11, 0, tzinfo=dt.UTC))  # after the end
    assert api.post(f"/api/v1/bookings/{loan['id']}/checkout").status_code == 409
    assert api.post("/api/v1/bookings/999/checkout").status_code == 404
    assert api_as("teacher").post(f"/api/v1/bookings/{loan['id']}/checkout").status_code == 403


def test_damaged_return_puts_unit_in_maintenance_and_tells_coordinators(
    frozen: Any, api_as: Any, make_unit: Any, make_user: Any
) -> None:
    first = make_user("coordinator")
    second = make_user("coordinator", locale="en")
    make_user("coordinator", active=False)
    make_user("admin")
    api = api_as("youth_worker")
    kit = make_unit(name="Synth-Koffer 3", category="synth_kit", loanable=True)
    loan = lend(api, kit)
    api.post(f"/api/v1/bookings/{loan['id']}/checkout")
    bad = api.post(f"/api/v1/bookings/{loan['id']}/return", json={"condition": "lost"})
    assert bad.status_code == 422
    back = api.post(
        f"/api/v1/bookings/{loan['id']}/return",
        json={"condition": "damaged", "note": "Kabel gerissen"},
    )
    assert back.status_code == 200
    assert db.session.get(Equipment, kit.id).status == "maintenance"
    mails = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert [m.to_address for m in mails] == [first.email, second.email]
    assert all(m.status == "pending" and m.kind == "kit_damaged" for m in mails)
    assert "Synth-Koffer 3" in mails[0].subject and "Kabel gerissen" in mails[0].body_text
    assert mails[1].subject == "Damaged on return: Synth-Koffer 3"
    assert mails[0].subject != mails[1].subject  # German for the first coordinator
    # The unit cannot be booked while in maintenance.
    again = api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": kit.id,
            "starts_at": "2027-01-12T10:00",
            "ends_at": "2027-01-12T12:00",
        },
    )
    assert again.status_code == 409
