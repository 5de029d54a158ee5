"""SPEC rules 1-7 through /api/v1/bookings, one test per rule, both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from makerlab.bookings.models import Booking
from makerlab.db import recorded_statements
from makerlab.extensions import db
from makerlab.participants.models import Induction
from makerlab.sites.models import Closure, Site

FIELDS = {
    "id",
    "equipment_id",
    "starts_at",
    "ends_at",
    "purpose",
    "participant_ids",
    "status",
    "series_id",
    "session_id",
    "booked_by",
    "checked_out_at",
    "returned_at",
    "overdue",
    "created_at",
}


def post(api: Any, unit: Any, start: str, end: str, **extra: Any) -> Any:
    return api.post(
        "/api/v1/bookings",
        json={"equipment_id": unit.id, "starts_at": start, "ends_at": end, **extra},
    )


def rows() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) or 0)


def test_booking_fields_and_offsets(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    response = post(api, unit, "2027-01-05T10:00", "2027-01-05T12:00", purpose="Schlüsselanhänger")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) >= FIELDS
    assert body["starts_at"] == "2027-01-05T10:00:00+01:00"
    assert body["ends_at"] == "2027-01-05T12:00:00+01:00"
    assert body["status"] == "reserved" and body["overdue"] is False
    assert body["booked_by"] == api.user.id and body["participant_ids"] == []
    assert body["series_id"] is None and body["checked_out_at"] is None
    # An offset given is taken as is: 09:00Z is 10:00 in Berlin in winter.
    other = post(api, make_unit(), "2027-01-05T09:00:00Z", "2027-01-05T11:00:00+00:00")
    assert other.get_json()["starts_at"] == "2027-01-05T10:00:00+01:00"
    fetched = api.get(f"/api/v1/bookings/{body['id']}")
    assert fetched.status_code == 200 and fetched.get_json()["purpose"] == "Schlüsselanhänger"


def test_rule1_order_and_past(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    reversed_ = post(api, unit, "2027-01-05T12:00", "2027-01-05T10:00")
    assert reversed_.status_code == 422
    assert "ends_at" in reversed_.get_json()["errors"]
    past = post(api, unit, "2027-01-04T07:00", "2027-01-04T09:00")  # now is 08:00 Berlin
    assert past.status_code == 422 and "starts_at" in past.get_json()["errors"]
    assert rows() == 0


def test_rule2_overlap_with_buffer_is_409_listing_conflicts(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    laser = make_unit(name="Laser", category="laser_cutter", buffer_minutes=30)
    first = post(api, laser, "2027-01-05T10:00", "2027-01-05T12:00").get_json()
    clash = post(api, laser, "2027-01-05T12:10", "2027-01-05T13:00")
    assert clash.status_code == 409
    assert clash.mimetype == "application/problem+json"
    assert clash.get_json()["conflicts"] == [
        {
            "booking_id": first["id"],
            "starts_at": "2027-01-05T10:00:00+01:00",
            "ends_at": "2027-01-05T12:00:00+01:00",
        }
    ]
    before = post(api, laser, "2027-01-05T08:00", "2027-01-05T09:45")  # buffer of the new one
    assert before.status_code == 409
    assert post(api, laser, "2027-01-05T12:30", "2027-01-05T13:00").status_code == 201
    assert post(api, laser, "2027-01-05T08:00", "2027-01-05T09:30").status_code == 201
    # Another unit of the same kind is not affected.
    assert post(api, make_unit(), "2027-01-05T10:00", "2027-01-05T12:00").status_code == 201


def test_rule3_closure_maintenance_and_status(frozen: Any, api_as: Any, make_unit: Any) -> None:
    from makerlab.equipment.services import add_maintenance

    api = api_as("youth_worker")
    unit = make_unit()
    db.session.add(
        Closure(
            site_id=1,
            starts_on=dt.date(2027, 1, 6),
            ends_on=dt.date(2027, 1, 7),
            reason="Fortbildung",
        )
    )
    add_maintenance(None, unit, dt.datetime(2027, 1, 5, 14, 0), dt.datetime(2027, 1, 5, 16, 0))
    db.session.commit()
    closed = post(api, unit, "2027-01-07T10:00", "2027-01-07T12:00")
    assert closed.status_code == 409
    assert closed.get_json()["conflicts"][0]["kind"] == "closure"
    maintenance = post(api, unit, "2027-01-05T15:00", "2027-01-05T17:00")
    assert maintenance.status_code == 409
    assert post(api, unit, "2027-01-05T16:00", "2027-01-05T17:00").status_code == 201
    retired = make_unit(status="retired")
    assert post(api, retired, "2027-01-05T10:00", "2027-01-05T11:00").status_code == 409


def test_rule4_opening_hours(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    site = db.session.get(Site, 1)
    site.opening_hours = {
        "fri": [["09:00", "18:00"]],
        "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
    }
    db.session.commit()
    printer = make_unit()
    lunch = post(api, printer, "2027-01-11T11:00", "2027-01-11T14:00")
    assert lunch.status_code == 422
    assert post(api, printer, "2027-01-11T13:00", "2027-01-11T18:00").status_code == 201
    kit = make_unit(name="Podcast-Koffer", category="podcast_kit", loanable=True)
    weekend = post(api, kit, "2027-01-08T17:00", "2027-01-11T09:30")  # Friday to Monday
    assert weekend.status_code == 201, weekend.get_json()
    night_return = post(api, kit, "2027-01-11T13:00", "2027-01-11T22:00")
    assert night_return.status_code == 422
    assert "ends_at" in night_return.get_json()["errors"]
    sunday_pickup = post(api, make_unit(loanable=True), "2027-01-10T10:00", "2027-01-11T10:00")
    assert sunday_pickup.status_code == 422 and "starts_at" in sunday_pickup.get_json()["errors"]


def test_rule5_maximum_duration(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    laser = make_unit(max_booking_minutes=120)
    too_long = post(api, laser, "2027-01-05T10:00", "2027-01-05T12:30")
    assert too_long.status_code == 422
    assert "120" in too_long.get_json()["errors"]["ends_at"][0]
    assert post(api, laser, "2027-01-05T10:00", "2027-01-05T12:00").status_code == 201


def test_rule6_participants(
    frozen: Any, api_as: Any, make_unit: Any, make_participant: Any
) -> None:
    api = api_as("youth_worker")
    laser = make_unit(category="laser_cutter", requires_induction=True, min_age=14)
    ok = make_participant(first_name="Lena", birth_date=dt.date(2010, 3, 1))
    db.session.add(
        Induction(participant_id=ok.id, category="laser_cutter", completed_on=dt.date(2026, 10, 1))
    )
    young = make_participant(first_name="Ben", birth_date=dt.date(2015, 3, 1))
    db.session.add(
        Induction(
            participant_id=young.id, category="laser_cutter", completed_on=dt.date(2026, 10, 1)
        )
    )
    untrained = make_participant(first_name="Can", birth_date=dt.date(2010, 3, 1))
    no_consent = make_participant(
        first_name="Dana", birth_date=dt.date(2010, 3, 1), guardian_consent=False
    )
    db.session.add(
        Induction(
            participant_id=no_consent.id, category="laser_cutter", completed_on=dt.date(2026, 10, 1)
        )
    )
    expired = make_participant(first_name="Emil", birth_date=dt.date(2010, 3, 1))
    db.session.add(
        Induction(
            participant_id=expired.id,
            category="laser_cutter",
            completed_on=dt.date(2025, 1, 1),
            valid_until=dt.date(2026, 12, 31),
        )
    )
    db.session.commit()

    def attempt(person: Any) -> Any:
        return api.post(
            "/api/v1/bookings",
            json={
                "equipment_id": laser.id,
                "starts_at": "2027-01-05T10:00",
                "ends_at": "2027-01-05T11:00",
                "participant_ids": [ok.id, person.id],
            },
            headers={"Accept-Language": "en"},
        )

    for person, words in (
        (young, "minimum age"),
        (untrained, "induction"),
        (no_consent, "consent"),
        (expired, "induction"),
    ):
        response = attempt(person)
        assert response.status_code == 422, person.first_name
        messages = " ".join(response.get_json()["errors"]["participant_ids"])
        assert person.first_name in messages and words in messages
        assert ok.first_name not in messages
    unknown = post(api, laser, "2027-01-05T10:00", "2027-01-05T11:00", participant_ids=[999])
    assert (
        unknown.status_code == 422 and "999" in unknown.get_json()["errors"]["participant_ids"][0]
    )
    assert rows() == 0
    fine = post(api, laser, "2027-01-05T10:00", "2027-01-05T11:00", participant_ids=[ok.id])
    assert fine.status_code == 201 and fine.get_json()["participant_ids"] == [ok.id]


def test_unknown_equipment_is_422_and_precedence(
    frozen: Any, api_as: Any, make_unit: Any, client: Any
) -> None:
    unit = make_unit()
    api = api_as("youth_worker")
    body = {"equipment_id": 999, "starts_at": "2027-01-05T10:00", "ends_at": "2027-01-05T11:00"}
    unknown = api.post("/api/v1/bookings", json=body)
    assert unknown.status_code == 422 and "equipment_id" in unknown.get_json()["errors"]
    # Malformed JSON is 400 before anything else, even without a token.
    assert (
        client.post("/api/v1/bookings", data="{", content_type="application/json").status_code
        == 400
    )
    assert client.post("/api/v1/bookings", json=body).status_code == 401
    teacher = api_as("teacher")
    assert teacher.post("/api/v1/bookings", json={"bogus": True}).status_code == 403
    assert teacher.get("/api/v1/bookings").status_code == 403
    assert api.get("/api/v1/bookings/999").status_code == 404
    assert api.patch("/api/v1/bookings/999", json={"bogus": 1}).status_code == 404
    assert api.post("/api/v1/bookings", json={**body, "colour": "red"}).status_code == 422
    # 422 (rule 1) wins over 409 (an overlap) when both apply.
    post(api, unit, "2027-01-05T10:00", "2027-01-05T12:00")
    both = post(api, unit, "2027-01-05T11:00", "2027-01-05T10:30")
    assert both.status_code == 422
    assert post(api, unit, "2027-01-05T11:00", "2027-01-05T13:00").status_code == 409
    assert api.post("/api/v1/bookings", json={**body, "equipment_id": "x"}).status_code == 422


def test_list_filters_and_pagination(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    a, b = make_unit(), make_unit()
    ids = []
    for day in ("05", "06", "07", "08"):
        ids.append(post(api, a, f"2027-01-{day}T10:00", f"2027-01-{day}T12:00").get_json()["id"])
    post(api, b, "2027-01-06T10:00", "2027-01-06T12:00")
    api.delete(f"/api/v1/bookings/{ids[1]}")
    everything = api.get("/api/v1/bookings").get_json()
    assert everything["total"] == 5  # cancelled included
    only_a = api.get(f"/api/v1/bookings?equipment_id={a.id}").get_json()
    assert [i["id"] for i in only_a["items"]] == ids
    reserved = api.get(f"/api/v1/bookings?equipment_id={a.id}&status=reserved").get_json()
    assert reserved["total"] == 3
    cancelled = api.get("/api/v1/bookings?status=cancelled").get_json()
    assert [i["id"] for i in cancelled["items"]] == [ids[1]]
    # Dates are local midnight; "to" is exclusive; overlap counts.
    window = api.get(f"/api/v1/bookings?equipment_id={a.id}&from=2027-01-06&to=2027-01-08")
    assert [i["id"] for i in window.get_json()["items"]] == ids[1:3]
    timed = api.get(
        f"/api/v1/bookings?equipment_id={a.id}&from=2027-01-05T11:59&to=2027-01-06T10:00"
    ).get_json()
    assert [i["id"] for i in timed["items"]] == [ids[0]]
    page = api.get("/api/v1/bookings?limit=2&offset=1").get_json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert api.get("/api/v1/bookings?limit=501").status_code == 422
    assert api.get("/api/v1/bookings?from=yesterday").status_code == 422
    assert api.get("/api/v1/bookings?status=lost").status_code == 422


def test_list_uses_a_fixed_number_of_statements(
    frozen: Any, api_as: Any, make_unit: Any, make_participant: Any, app: Any
) -> None:

    api = api_as("youth_worker")
    people = [make_participant(birth_date=dt.date(2000, 1, 1)).id for _ in range(2)]

    def count_for_list() -> int:
        with recorded_statements(db.engine) as statements:
            assert api.get("/api/v1/bookings").status_code == 200
        return len(statements)

    post(api, make_unit(), "2027-01-05T10:00", "2027-01-05T11:00", participant_ids=people)
    few = count_for_list()
    for day in range(5, 9):
        unit = make_unit()
        post(api, unit, f"2027-01-0{day}T13:00", f"2027-01-0{day}T14:00", participant_ids=people)
    assert count_for_list() == few


def test_rule7_recurrence_all_or_nothing_and_skip(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    blocker = post(api, unit, "2027-01-19T10:00", "2027-01-19T11:00").get_json()
    weekly = {"frequency": "weekly", "count": 4}
    refused = post(api, unit, "2027-01-05T10:00", "2027-01-05T12:00", recurrence=weekly)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert [c["booking_id"] for c in problem["conflicts"]] == [blocker["id"]]
    assert [o["starts_at"] for o in problem["occurrences"]] == ["2027-01-19T10:00:00+01:00"]
    assert rows() == 1

    made = post(
        api, unit, "2027-01-05T10:00", "2027-01-05T12:00", recurrence=weekly, skip_conflicts=True
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["starts_at"] == "2027-01-05T10:00:00+01:00" and body["series_id"]
    assert [o["starts_at"][:10] for o in body["occurrences"]] == [
        "2027-01-05",
        "2027-01-12",
        "2027-01-26",
    ]
    assert {o["series_id"] for o in body["occurrences"]} == {body["series_id"]}
    assert body["skipped"] == [
        {
            "starts_at": "2027-01-19T10:00:00+01:00",
            "ends_at": "2027-01-19T12:00:00+01:00",
            "conflicts": [
                {
                    "booking_id": blocker["id"],
                    "starts_at": "2027-01-19T10:00:00+01:00",
                    "ends_at": "2027-01-19T11:00:00+01:00",
                }
            ],
            "reasons": [],
        }
    ]
    # The skipped occurrence is added later, once the slot is free, to the same series.
    api.delete(f"/api/v1/bookings/{blocker['id']}")
    again = post(api, unit, "2027-01-19T10:00", "2027-01-19T12:00", series_id=body["series_id"])
    assert again.status_code == 201 and again.get_json()["series_id"] == body["series_id"]

    until = post(
        api,
        make_unit(),
        "2027-01-05T10:00",
        "2027-01-05T11:00",
        recurrence={"frequency": "daily", "until": "2027-01-08"},
    )
    assert len(until.get_json()["occurrences"]) == 4
    bad = post(
        api,
        unit,
        "2027-02-05T10:00",
        "2027-02-05T11:00",
        recurrence={"frequency": "monthly", "count": 2},
    )
    assert bad.status_code == 422
    both = post(
        api,
        unit,
        "2027-02-05T10:00",
        "2027-02-05T11:00",
        recurrence={"frequency": "daily", "count": 2, "until": "2027-02-07"},
    )
    assert both.status_code == 422


def test_recurrence_closed_day_is_skipped_or_refused(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    # Daily from Friday: Saturday is open 10-18, Sunday closed.
    daily = {"frequency": "daily", "count": 3}
    refused = post(api, unit, "2027-01-08T11:00", "2027-01-08T12:00", recurrence=daily)
    assert refused.status_code == 422
    made = post(
        api, unit, "2027-01-08T11:00", "2027-01-08T12:00", recurrence=daily, skip_conflicts=True
    )
    assert made.status_code == 201
    assert [o["starts_at"][:10] for o in made.get_json()["occurrences"]] == [
        "2027-01-08",
        "2027-01-09",
    ]
    assert made.get_json()["skipped"][0]["starts_at"][:10] == "2027-01-10"


def test_edit_rechecks_every_rule(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit(max_booking_minutes=180)
    first = post(api, unit, "2027-01-05T10:00", "2027-01-05T12:00").get_json()
    second = post(api, unit, "2027-01-05T13:00", "2027-01-05T14:00").get_json()
    url = f"/api/v1/bookings/{second['id']}"
    assert api.patch(url, json={"starts_at": "2027-01-05T11:00"}).status_code == 409
    assert api.patch(url, json={"ends_at": "2027-01-05T21:00"}).status_code == 422  # hours
    assert api.patch(url, json={"ends_at": "2027-01-05T16:30"}).status_code == 422  # maximum
    assert api.patch(url, json={"ends_at": "2027-01-05T12:30"}).status_code == 422  # order
    moved = api.patch(
        url,
        json={
            "starts_at": "2027-01-05T12:00",
            "ends_at": "2027-01-05T15:00",
            "purpose": "Ersatzteile",
        },
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["starts_at"] == "2027-01-05T12:00:00+01:00"
    assert moved.get_json()["purpose"] == "Ersatzteile"
    other = make_unit()
    assert (
        api.patch(f"/api/v1/bookings/{first['id']}", json={"equipment_id": other.id}).get_json()[
            "equipment_id"
        ]
        == other.id
    )
    assert api.patch(url, json={"equipment_id": 999}).status_code == 422
    cancelled = api.delete(url)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert api.patch(url, json={"purpose": "x"}).status_code == 409


def test_scope_edit_and_cancel_of_a_series(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = post(
        api,
        unit,
        "2027-01-05T10:00",
        "2027-01-05T11:00",
        recurrence={"frequency": "weekly", "count": 5},
    ).get_json()
    ids = [o["id"] for o in made["occurrences"]]

    def starts() -> list[str]:
        items = api.get(f"/api/v1/bookings?equipment_id={unit.id}&status=reserved").get_json()
        return [i["starts_at"][:16] for i in items["items"]]

    one = api.patch(f"/api/v1/bookings/{ids[1]}", json={"purpose": "nur diese"})
    assert [o["id"] for o in one.get_json()["occurrences"]] == [ids[1]]
    following = api.patch(
        f"/api/v1/bookings/{ids[2]}?scope=following",
        json={"starts_at": "2027-01-19T14:00", "ends_at": "2027-01-19T15:30"},
    )
    assert following.status_code == 200, following.get_json()
    assert starts() == [
        "2027-01-05T10:00",
        "2027-01-12T10:00",
        "2027-01-19T14:00",
        "2027-01-26T14:00",
        "2027-02-02T14:00",
    ]
    everything = api.patch(f"/api/v1/bookings/{ids[0]}?scope=series", json={"purpose": "Druckkurs"})
    assert len(everything.get_json()["occurrences"]) == 5
    assert {o["purpose"] for o in everything.get_json()["occurrences"]} == {"Druckkurs"}
    assert api.patch(f"/api/v1/bookings/{ids[0]}?scope=all", json={}).status_code == 422

    cancel_following = api.delete(f"/api/v1/bookings/{ids[3]}?scope=following")
    assert [o["id"] for o in cancel_following.get_json()["occurrences"]] == ids[3:]
    assert len(starts()) == 3
    cancel_this = api.delete(f"/api/v1/bookings/{ids[1]}")
    assert cancel_this.get_json()["status"] == "cancelled"
    assert starts() == ["2027-01-05T10:00", "2027-01-19T14:00"]
    api.delete(f"/api/v1/bookings/{ids[0]}?scope=series")
    assert starts() == []
    assert api.get("/api/v1/bookings").get_json()["total"] == 5


def test_series_edit_that_would_collide_changes_nothing(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = post(
        api,
        unit,
        "2027-01-05T10:00",
        "2027-01-05T11:00",
        recurrence={"frequency": "weekly", "count": 3},
    ).get_json()
    blocker = post(api, unit, "2027-01-19T12:00", "2027-01-19T13:00").get_json()
    response = api.patch(
        f"/api/v1/bookings/{made['id']}?scope=series",
        json={"starts_at": "2027-01-05T12:00", "ends_at": "2027-01-05T13:00"},
    )
    assert response.status_code == 409
    assert [c["booking_id"] for c in response.get_json()["conflicts"]] == [blocker["id"]]
    items = api.get(f"/api/v1/bookings?equipment_id={unit.id}&status=reserved").get_json()
    assert [i["starts_at"][11:16] for i in items["items"]] == ["10:00", "10:00", "10:00", "12:00"]


def test_a_new_booking_is_answered_without_reading_it_back(
    frozen: Any, api_as: Any, make_unit: Any, make_participant: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    person = make_participant(birth_date=dt.date(2000, 1, 1)).id
    with recorded_statements(db.engine) as statements:
        created = post(api, unit, "2027-01-05T10:00", "2027-01-05T11:00", participant_ids=[person])
    assert created.status_code == 201
    body = created.get_json()
    assert body["starts_at"] == "2027-01-05T10:00:00+01:00"
    assert body["participant_ids"] == [person] and body["equipment_id"] == unit.id
    inserted = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO bookings"))
    assert [s for s in statements[inserted:] if s.lstrip().upper().startswith("SELECT")] == []
