"""The equipment catalogue, maintenance blocks and availability through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from makerlab import clock
from makerlab.extensions import db
from makerlab.sites.models import Site

NOW = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)  # Monday 08:00 in Berlin

LASER = {
    "name": "Laser Trotec Speedy 100",
    "category": "laser_cutter",
    "location": "Werkstatt 2",
    "requires_induction": True,
    "min_age": 14,
    "buffer_minutes": 30,
    "max_booking_minutes": 180,
}


def test_coordinator_manages_the_catalogue(api_as: Any) -> None:
    api = api_as("coordinator")
    created = api.post("/api/v1/equipment", json=LASER)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["site_id"] == 1  # the default site
    assert body["status"] == "available" and body["loanable"] is False
    assert body["buffer_minutes"] == 30 and body["max_booking_minutes"] == 180
    assert body["created_at"].endswith(("+01:00", "+02:00"))
    unit_id = body["id"]

    assert api.post("/api/v1/equipment", json=LASER).status_code == 422  # same name, same site
    changed = api.patch(f"/api/v1/equipment/{unit_id}", json={"status": "maintenance"})
    assert changed.status_code == 200 and changed.get_json()["status"] == "maintenance"
    assert api.get(f"/api/v1/equipment/{unit_id}").get_json()["status"] == "maintenance"
    assert api.get("/api/v1/equipment/999").status_code == 404


def test_catalogue_filters_and_pagination(api_as: Any) -> None:
    api = api_as("admin")
    for n in range(3):
        api.post("/api/v1/equipment", json={"name": f"Prusa {n}", "category": "3d_printer"})
    api.post(
        "/api/v1/equipment",
        json={"name": "Podcast-Koffer 1", "category": "podcast_kit", "loanable": True},
    )
    api.post(
        "/api/v1/equipment",
        json={"name": "Prusa alt", "category": "3d_printer", "status": "retired"},
    )
    everything = api.get("/api/v1/equipment").get_json()
    assert everything["total"] == 5
    printers = api.get("/api/v1/equipment?category=3d_printer&status=available").get_json()
    assert printers["total"] == 3
    assert {u["name"] for u in printers["items"]} == {"Prusa 0", "Prusa 1", "Prusa 2"}
    page = api.get("/api/v1/equipment?category=3d_printer&limit=2&offset=2").get_json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert api.get("/api/v1/equipment?site_id=1").get_json()["total"] == 5
    assert api.get("/api/v1/equipment?status=broken").status_code == 422


def test_equipment_input_is_checked(api_as: Any) -> None:
    api = api_as("coordinator")
    bad = [
        {"name": "", "category": "room"},
        {"name": "X", "category": "Not A Slug"},
        {"name": "X", "category": "room", "buffer_minutes": -5},
        {"name": "X", "category": "room", "max_booking_minutes": 0},
        {"name": "X", "category": "room", "site_id": 999},
        {"name": "X", "category": "room", "colour": "red"},
        {"category": "room"},
    ]
    for payload in bad:
        response = api.post("/api/v1/equipment", json=payload)
        assert response.status_code == 422, payload
        assert response.mimetype == "application/problem+json"
    assert api.get("/api/v1/equipment").get_json()["total"] == 0


def test_roles_on_equipment_routes(api_as: Any) -> None:
    coordinator = api_as("coordinator")
    unit_id = coordinator.post("/api/v1/equipment", json=LASER).get_json()["id"]
    worker = api_as("youth_worker")
    assert worker.get("/api/v1/equipment").status_code == 200
    assert worker.post("/api/v1/equipment", json=LASER).status_code == 403
    assert worker.patch(f"/api/v1/equipment/{unit_id}", json={"notes": "x"}).status_code == 403
    teacher = api_as("teacher")
    assert teacher.get("/api/v1/equipment").status_code == 403
    # 403 comes before 404 and before the body is read.
    assert worker.patch("/api/v1/equipment/999", json={"bogus": 1}).status_code == 403
    assert coordinator.patch("/api/v1/equipment/999", json={"bogus": 1}).status_code == 404
    assert coordinator.patch(f"/api/v1/equipment/{unit_id}", json={"bogus": 1}).status_code == 422


def test_maintenance_blocks(api_as: Any) -> None:
    clock.set_frozen(NOW)
    api = api_as("coordinator")
    unit_id = api.post("/api/v1/equipment", json=LASER).get_json()["id"]
    block = api.post(
        f"/api/v1/equipment/{unit_id}/maintenance",
        json={"starts_at": "2027-03-29T08:00", "ends_at": "2027-03-29T12:00", "reason": "Linse"},
    )
    assert block.status_code == 201, block.get_json()
    assert block.get_json()["starts_at"] == "2027-03-29T08:00:00+02:00"  # after the DST change
    listed = api.get(f"/api/v1/equipment/{unit_id}/maintenance").get_json()
    assert listed["total"] == 1 and listed["items"][0]["reason"] == "Linse"
    reversed_block = api.post(
        f"/api/v1/equipment/{unit_id}/maintenance",
        json={"starts_at": "2027-03-29T12:00", "ends_at": "2027-03-29T08:00"},
    )
    assert reversed_block.status_code == 422
    assert api.post("/api/v1/equipment/999/maintenance", json={}).status_code == 404
    worker = api_as("youth_worker")
    assert worker.get(f"/api/v1/equipment/{unit_id}/maintenance").status_code == 200
    assert (
        worker.post(
            f"/api/v1/equipment/{unit_id}/maintenance",
            json={"starts_at": "2027-03-30T08:00", "ends_at": "2027-03-30T12:00"},
        ).status_code
        == 403
    )


def test_unit_availability_inside_opening_hours(api_as: Any) -> None:
    clock.set_frozen(NOW)
    site = db.session.get(Site, 1)
    site.opening_hours = {"tue": [["09:00", "12:00"], ["13:00", "18:00"]]}
    db.session.commit()
    api = api_as("coordinator")
    unit_id = api.post("/api/v1/equipment", json=LASER).get_json()["id"]
    booked = api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": unit_id,
            "starts_at": "2027-01-05T10:00",
            "ends_at": "2027-01-05T11:00",
        },
    )
    assert booked.status_code == 201, booked.get_json()
    api.post(
        f"/api/v1/equipment/{unit_id}/maintenance",
        json={"starts_at": "2027-01-05T16:00", "ends_at": "2027-01-05T17:00"},
    )
    free = api.get(f"/api/v1/equipment/{unit_id}/availability?from=2027-01-05&to=2027-01-06")
    assert free.status_code == 200
    body = free.get_json()
    # The 30-minute buffer is kept before (a booking must end by 09:30) and after (11:30).
    assert [(i["starts_at"], i["ends_at"]) for i in body["items"]] == [
        ("2027-01-05T09:00:00+01:00", "2027-01-05T09:30:00+01:00"),
        ("2027-01-05T11:30:00+01:00", "2027-01-05T12:00:00+01:00"),
        ("2027-01-05T13:00:00+01:00", "2027-01-05T16:00:00+01:00"),
        ("2027-01-05T17:00:00+01:00", "2027-01-05T18:00:00+01:00"),
    ]
    assert body["from"] == "2027-01-05T00:00:00+01:00"
    bad = api.get(f"/api/v1/equipment/{unit_id}/availability?from=2027-01-06&to=2027-01-05")
    assert bad.status_code == 422
    assert api.get(f"/api/v1/equipment/{unit_id}/availability?from=tomorrow").status_code == 422
    # SPEC precedence: an unknown unit is 404 before its query is judged.
    unknown = "/api/v1/equipment/424242/availability"
    assert api.get(f"{unknown}?from=tomorrow").status_code == 404
    assert api.get(f"{unknown}?from=2027-01-06&to=2027-01-05").status_code == 404


def test_which_units_are_free(api_as: Any) -> None:
    clock.set_frozen(NOW)
    api = api_as("coordinator")
    ids = [
        api.post(
            "/api/v1/equipment", json={"name": f"Prusa {n}", "category": "3d_printer"}
        ).get_json()["id"]
        for n in range(3)
    ]
    api.post(
        "/api/v1/equipment",
        json={"name": "Prusa kaputt", "category": "3d_printer", "status": "maintenance"},
    )
    api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": ids[0],
            "starts_at": "2027-01-05T10:00",
            "ends_at": "2027-01-05T12:00",
        },
    )
    api.post(
        f"/api/v1/equipment/{ids[1]}/maintenance",
        json={"starts_at": "2027-01-05T11:00", "ends_at": "2027-01-05T15:00"},
    )
    free = api.get(
        "/api/v1/availability?category=3d_printer&from=2027-01-05T09:00&to=2027-01-05T11:30"
    )
    assert free.status_code == 200
    assert [u["id"] for u in free.get_json()["items"]] == [ids[2]]
    later = api.get(
        "/api/v1/availability?category=3d_printer&from=2027-01-05T15:00&to=2027-01-05T17:00"
    ).get_json()
    assert sorted(u["id"] for u in later["items"]) == sorted(ids)
    assert api.get("/api/v1/availability?from=2027-01-05").status_code == 422  # no category
    assert api.get("/api/v1/availability?category=3d_printer&site_id=999").status_code == 422
