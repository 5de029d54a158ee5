"""GET /api/v1/attention: what a change made impossible, with suggestions, for staff only.

The attention is written on the rows directly here: these tests are about
listing it (finding it is the re-planning's own tests' business).
"""

from __future__ import annotations

from typing import Any

from makerlab.db import recorded_statements
from makerlab.extensions import db
from makerlab.sites.models import Site
from tests.attention.conftest import DAMAGED, closure_on
from tests.conftest import at, local


def test_items_have_reasons_and_suggestions(
    frozen: Any, api_as: Any, make_unit: Any, make_booking: Any, make_session: Any
) -> None:
    api = api_as("youth_worker")
    kit, spare = (
        make_unit(name=f"Podcast-Koffer {n}", category="podcast_kit", loanable=True) for n in (1, 2)
    )
    broken = make_booking(kit, "2027-01-06", "10:00", "12:00", attention=[DAMAGED])
    kit.status = "maintenance"
    make_booking(make_unit(), "2027-01-07", "10:00", "12:00")  # nothing wrong: not listed
    session = make_session("2027-01-08", attention=[closure_on("2027-01-08")])

    response = api.get("/api/v1/attention")

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2
    first, second = body["items"]
    assert first == {
        "kind": "booking",
        "id": broken.id,
        "starts_at": local("2027-01-06", "10:00"),
        "ends_at": local("2027-01-06", "12:00"),
        "reasons": [DAMAGED],
        "suggestions": [
            {
                "equipment_id": spare.id,
                "starts_at": local("2027-01-06", "10:00"),
                "ends_at": local("2027-01-06", "12:00"),
            },  # the broken kit itself has no free times to offer
        ],
    }
    assert second["kind"] == "session" and second["id"] == session.id
    assert second["reasons"][0]["reason"] == "closure" and second["suggestions"] == []

    paged = api.get("/api/v1/attention?limit=1&offset=1").get_json()
    assert paged["total"] == 2 and [i["id"] for i in paged["items"]] == [session.id]


def test_filters_by_site_and_leaves_out_past_cancelled_and_covered(
    frozen: Any, api_as: Any, make_unit: Any, make_booking: Any, make_session: Any
) -> None:
    api = api_as("coordinator")
    other_site = Site(name="Zweigstelle", timezone="Europe/Berlin", opening_hours={})
    db.session.add(other_site)
    db.session.commit()
    here = make_booking(make_unit(), "2027-01-06", "10:00", "12:00", attention=[DAMAGED])
    there = make_booking(
        make_unit(site_id=other_site.id), "2027-01-06", "10:00", "12:00", attention=[DAMAGED]
    )
    make_booking(
        make_unit(), "2027-01-06", "10:00", "12:00", attention=[DAMAGED], status="cancelled"
    )
    past = make_booking(make_unit(), "2027-01-04", "06:00", "07:00", attention=[DAMAGED])
    past.starts_at, past.ends_at = at("2027-01-03", "10:00"), at("2027-01-03", "11:00")
    past.blocked_until = past.ends_at
    flagged = make_session("2027-01-08", attention=[closure_on("2027-01-08")])
    make_booking(  # the session's own unit comes with the session
        make_unit(),
        "2027-01-08",
        "09:00",
        "12:00",
        attention=[closure_on("2027-01-08")],
        session_id=flagged.id,
    )
    db.session.commit()

    everywhere = api.get("/api/v1/attention").get_json()
    assert [(i["kind"], i["id"]) for i in everywhere["items"]] == [
        ("booking", here.id),
        ("booking", there.id),
        ("session", flagged.id),
    ]
    at_site = api.get(f"/api/v1/attention?site_id={other_site.id}").get_json()
    assert [i["id"] for i in at_site["items"]] == [there.id] and at_site["total"] == 1


def test_staff_only(frozen: Any, api_as: Any, make_school: Any) -> None:
    for role in ("admin", "coordinator", "youth_worker"):
        assert api_as(role).get("/api/v1/attention").status_code == 200
    teacher = api_as("teacher", school_id=make_school().id)
    assert teacher.get("/api/v1/attention").status_code == 403


def test_statements_do_not_grow_with_the_items(
    frozen: Any, api_as: Any, make_unit: Any, make_booking: Any, make_session: Any
) -> None:
    api = api_as("youth_worker")

    def flag(day: int) -> None:
        kit = make_unit(category="podcast_kit", loanable=True)
        make_unit(category="podcast_kit", loanable=True)
        make_booking(kit, f"2027-01-{day:02d}", "10:00", "12:00", attention=[DAMAGED])
        make_booking(
            make_unit(),
            f"2027-01-{day:02d}",
            "14:00",
            "15:00",
            attention=[closure_on(f"2027-01-{day:02d}")],
        )
        make_session(f"2027-01-{day:02d}", attention=[closure_on(f"2027-01-{day:02d}")])

    def statements() -> tuple[int, int]:
        with recorded_statements(db.engine) as seen:
            body = api.get("/api/v1/attention").get_json()
        return len(seen), body["total"]

    flag(6)
    one, total = statements()
    assert total == 3
    for day in (7, 8, 11, 12):
        flag(day)
    many, total = statements()
    assert total == 15
    assert many == one


def test_a_persons_problem_gets_no_suggestions(
    frozen: Any, api_as: Any, make_unit: Any, make_booking: Any
) -> None:
    api = api_as("youth_worker")
    make_unit()  # another printer is free at the same time, but that cures nothing
    consent = {"reason": "consent", "detail": "Zoe Quappendorf: Einwilligung widerrufen"}
    booking = make_booking(make_unit(), "2027-01-06", "10:00", "12:00", attention=[consent])

    (item,) = api.get("/api/v1/attention").get_json()["items"]

    assert item["id"] == booking.id and item["reasons"] == [consent]
    assert item["suggestions"] == []
