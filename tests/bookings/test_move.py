"""POST /api/v1/bookings/{id}/move: one booking to another unit or time, every rule again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from makerlab.audit.models import AuditEntry
from makerlab.bookings.models import Booking
from makerlab.extensions import db
from makerlab.sites.models import Closure
from tests.conftest import local


def book(api: Any, unit: Any, day: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    response = api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": unit.id,
            "starts_at": f"{day}T{start}",
            "ends_at": f"{day}T{end}",
            **extra,
        },
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def move(api: Any, booking_id: int, **where: Any) -> Any:
    return api.post(f"/api/v1/bookings/{booking_id}/move", json=where)


def stored(booking_id: int) -> tuple[int, str, str, str]:
    db.session.expire_all()
    b = db.session.get(Booking, booking_id)
    assert b is not None
    return b.equipment_id, b.starts_at.isoformat(), b.ends_at.isoformat(), b.status


def test_move_to_another_unit_keeps_id_and_audits(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    first, second = make_unit(), make_unit()
    made = book(api, first, "2027-01-06", "10:00", "12:00", purpose="Schlüsselanhänger")

    response = move(api, made["id"], equipment_id=second.id)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == made["id"] and body["equipment_id"] == second.id
    assert body["starts_at"] == local("2027-01-06", "10:00")
    assert body["ends_at"] == local("2027-01-06", "12:00")
    assert body["purpose"] == "Schlüsselanhänger" and body["status"] == "reserved"
    assert api.get(f"/api/v1/bookings/{made['id']}").get_json()["equipment_id"] == second.id
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "bookings", AuditEntry.entity_id == made["id"])
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None and entry.action == "update" and entry.actor_id == api.user.id
    assert entry.changes["equipment_id"] == [first.id, second.id]


def test_move_in_time_keeps_length_when_only_the_start_is_given(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = book(api, unit, "2027-01-06", "10:00", "12:00")

    response = move(api, made["id"], starts_at="2027-01-07T14:00")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["equipment_id"] == unit.id
    assert (body["starts_at"], body["ends_at"]) == (
        local("2027-01-07", "14:00"),
        local("2027-01-07", "16:00"),
    )
    both = move(api, made["id"], starts_at="2027-01-08T09:00", ends_at="2027-01-08T09:30")
    assert both.status_code == 200
    assert both.get_json()["ends_at"] == local("2027-01-08", "09:30")


def test_moving_one_occurrence_keeps_the_series(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    first, second = make_unit(), make_unit()
    made = book(
        api, first, "2027-01-06", "10:00", "12:00", recurrence={"frequency": "weekly", "count": 3}
    )
    ids = [o["id"] for o in made["occurrences"]]

    response = move(api, ids[1], equipment_id=second.id, starts_at="2027-01-13T15:00")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == ids[1] and body["series_id"] == made["series_id"]
    listed = api.get(f"/api/v1/bookings?equipment_id={first.id}").get_json()["items"]
    assert [b["id"] for b in listed] == [ids[0], ids[2]]
    assert {b["series_id"] for b in listed} == {made["series_id"]}
    assert listed[1]["starts_at"] == local("2027-01-20", "10:00")


def test_rules_refuse_a_move_and_nothing_changes(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    first, second = make_unit(), make_unit(buffer_minutes=30)
    made = book(api, first, "2027-01-06", "10:00", "12:00")
    other = book(api, second, "2027-01-06", "09:00", "10:00")  # its buffer runs to 10:30
    before = stored(made["id"])

    taken = move(api, made["id"], equipment_id=second.id)
    assert taken.status_code == 409
    assert taken.content_type == "application/problem+json"
    assert [c["booking_id"] for c in taken.get_json()["conflicts"]] == [other["id"]]

    closed = move(api, made["id"], starts_at="2027-01-10T10:00")  # a Sunday: closed
    assert closed.status_code == 422
    assert "starts_at" in closed.get_json()["errors"]

    past = move(api, made["id"], starts_at="2027-01-03T10:00")
    assert past.status_code == 422 and "starts_at" in past.get_json()["errors"]

    inventory = dt.date(2027, 1, 7)
    db.session.add(Closure(site_id=1, starts_on=inventory, ends_on=inventory, reason="Inventur"))
    db.session.commit()
    closure = move(api, made["id"], starts_at="2027-01-07T10:00")
    assert closure.status_code == 409
    assert closure.get_json()["conflicts"][0]["kind"] == "closure"

    for payload, field in (
        ({}, "equipment_id"),
        ({"equipment_id": 999_999}, "equipment_id"),
        ({"starts_at": "2027-01-06T12:00", "ends_at": "2027-01-06T11:00"}, "ends_at"),
        ({"equipment_id": first.id}, "equipment_id"),  # where it is already
    ):
        refused = move(api, made["id"], **payload)
        assert refused.status_code == 422, payload
        assert field in refused.get_json()["errors"], refused.get_json()
    unknown_field = move(api, made["id"], purpose="x")
    assert unknown_field.status_code == 422

    assert stored(made["id"]) == before


def test_who_may_move(frozen: Any, api_as: Any, make_unit: Any, make_school: Any) -> None:
    staff = api_as("youth_worker")
    first, second = make_unit(), make_unit()
    made = book(staff, first, "2027-01-06", "10:00", "12:00")
    teacher = api_as("teacher", school_id=make_school().id)

    assert move(teacher, made["id"], equipment_id=second.id).status_code == 403
    assert move(staff, 999_999, equipment_id=second.id).status_code == 404
    coordinator = api_as("coordinator")
    assert move(coordinator, made["id"], equipment_id=second.id).status_code == 200


def test_a_sessions_unit_moves_to_another_of_its_kind_only(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    coordinator = api_as("coordinator")
    kits = [
        make_unit(name=f"Podcast-Koffer {n}", category="podcast_kit", loanable=True) for n in (1, 2)
    ]
    printer = make_unit()
    workshop = coordinator.post(
        "/api/v1/workshops",
        json={"title": "Podcast", "equipment_needs": {"podcast_kit": 1}},
    ).get_json()
    session = coordinator.post(
        f"/api/v1/workshops/{workshop['id']}/sessions",
        json={"starts_at": "2027-01-12T09:00", "ends_at": "2027-01-12T12:00", "capacity": 20},
    )
    assert session.status_code == 201, session.get_json()
    reserved = db.session.scalars(
        sa.select(Booking).where(Booking.session_id == session.get_json()["id"])
    ).one()
    assert reserved.equipment_id == kits[0].id

    assert move(coordinator, reserved.id, equipment_id=printer.id).status_code == 422
    later = move(coordinator, reserved.id, starts_at="2027-01-12T13:00")
    assert later.status_code == 422 and "starts_at" in later.get_json()["errors"]

    response = move(coordinator, reserved.id, equipment_id=kits[1].id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == reserved.id and body["session_id"] == session.get_json()["id"]
    assert body["equipment_id"] == kits[1].id
    assert body["starts_at"] == local("2027-01-12", "09:00")


def test_only_an_active_booking_moves_and_a_kit_out_keeps_its_unit(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    first, second = make_unit(), make_unit()
    cancelled = book(api, first, "2027-01-06", "10:00", "12:00")
    assert api.delete(f"/api/v1/bookings/{cancelled['id']}").status_code == 200
    assert move(api, cancelled["id"], equipment_id=second.id).status_code == 409

    kit = make_unit(category="podcast_kit", loanable=True)
    spare = make_unit(category="podcast_kit", loanable=True)
    loan = book(api, kit, "2027-01-04", "09:00", "17:00")
    assert api.post(f"/api/v1/bookings/{loan['id']}/checkout").status_code == 200
    refused = move(api, loan["id"], equipment_id=spare.id)
    assert refused.status_code == 422 and "equipment_id" in refused.get_json()["errors"]
    longer = move(api, loan["id"], ends_at="2027-01-04T18:00")
    assert longer.status_code == 200 and longer.get_json()["status"] == "checked_out"
