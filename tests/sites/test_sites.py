from __future__ import annotations

import datetime as dt
from typing import Any

from makerlab.extensions import db
from makerlab.sites import services
from makerlab.sites.models import Site

UTC = dt.UTC


def _site() -> Site:
    return db.session.get(Site, 1)


def test_open_intervals_skip_closures_and_follow_dst(app: Any) -> None:
    site = _site()
    services.update_site(
        None,
        site,
        opening_hours={
            "sun": [["10:00", "12:00"]],
            "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
        },
    )
    # Week of the spring change: Sunday 2027-03-28 02:00 -> 03:00 in Berlin.
    start = dt.datetime(2027, 3, 27, 23, 0, tzinfo=UTC)  # Sunday 00:00 CET
    end = dt.datetime(2027, 3, 29, 22, 0, tzinfo=UTC)  # Tuesday 00:00 CEST
    got = services.open_intervals(site, start, end)
    assert got == [
        (dt.datetime(2027, 3, 28, 8, 0, tzinfo=UTC), dt.datetime(2027, 3, 28, 10, 0, tzinfo=UTC)),
        (dt.datetime(2027, 3, 29, 7, 0, tzinfo=UTC), dt.datetime(2027, 3, 29, 10, 0, tzinfo=UTC)),
        (dt.datetime(2027, 3, 29, 11, 0, tzinfo=UTC), dt.datetime(2027, 3, 29, 16, 0, tzinfo=UTC)),
    ]
    services.add_closure(None, site, starts_on=dt.date(2027, 3, 29), ends_on=dt.date(2027, 3, 29))
    assert len(services.open_intervals(site, start, end)) == 1


def test_within_opening_hours_and_open_at(app: Any) -> None:
    site = _site()
    services.update_site(
        None, site, opening_hours={"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}
    )
    monday = dt.date(2027, 1, 4)

    def at(h: int, m: int = 0) -> dt.datetime:
        from makerlab import clock

        return clock.combine(monday, dt.time(h, m), "Europe/Berlin")

    assert services.within_opening_hours(site, at(9), at(12))
    assert not services.within_opening_hours(site, at(11), at(14))  # spans the lunch break
    assert services.is_open_at(site, at(18))  # a kit may come back at closing time
    assert not services.is_open_at(site, at(12, 30))


def test_opening_hours_are_validated(api_as: Any) -> None:
    api = api_as("coordinator")
    bad = api.patch(
        "/api/v1/sites/1", json={"opening_hours": {"mon": [["18:00", "09:00"]], "xyz": []}}
    )
    assert bad.status_code == 422
    assert "opening_hours" in bad.get_json()["errors"]
    ok = api.patch("/api/v1/sites/1", json={"opening_hours": {"mon": [["09:00", "18:00"]]}})
    assert ok.status_code == 200
    assert ok.get_json()["opening_hours"]["mon"] == [["09:00", "18:00"]]
    assert ok.get_json()["opening_hours"]["sun"] == []


def test_site_and_closure_routes(api_as: Any) -> None:
    api = api_as("coordinator")
    created = api.post(
        "/api/v1/sites", json={"name": "Jugendclub Südpark", "timezone": "Europe/Berlin"}
    )
    assert created.status_code == 201
    site_id = created.get_json()["id"]
    assert (
        api.post("/api/v1/sites", json={"name": "X", "timezone": "Mars/Olympus"}).status_code == 422
    )
    closure = api.post(
        f"/api/v1/sites/{site_id}/closures",
        json={"starts_on": "2027-07-05", "ends_on": "2027-08-14", "reason": "Sommerferien"},
    )
    assert closure.status_code == 201
    listed = api.get(f"/api/v1/sites/{site_id}/closures").get_json()
    assert listed["total"] == 1 and listed["items"][0]["reason"] == "Sommerferien"
    reversed_range = api.post(
        f"/api/v1/sites/{site_id}/closures",
        json={"starts_on": "2027-07-05", "ends_on": "2027-07-01"},
    )
    assert reversed_range.status_code == 422
    assert api.delete(f"/api/v1/closures/{closure.get_json()['id']}").status_code == 204
    assert api.get(f"/api/v1/sites/{site_id}/closures").get_json()["total"] == 0
    assert api.get("/api/v1/sites/999").status_code == 404


def test_youth_worker_reads_but_cannot_change_sites(api_as: Any) -> None:
    api = api_as("youth_worker")
    assert api.get("/api/v1/sites").status_code == 200
    assert api.patch("/api/v1/sites/1", json={"name": "X"}).status_code == 403
    assert api_as("teacher").get("/api/v1/sites").status_code == 403
