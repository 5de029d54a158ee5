"""Bookings across the daylight-saving changes of 2027 in Europe/Berlin.

Spring: Sunday 2027-03-28, 02:00 CET -> 03:00 CEST. Autumn: Sunday 2027-10-31,
03:00 CEST -> 02:00 CET. Wall-clock times stay put; UTC instants move.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from makerlab.bookings.models import Booking
from makerlab.extensions import db
from makerlab.sites.models import Site

UTC = dt.UTC


def post(api: Any, unit: Any, start: str, end: str, **extra: Any) -> Any:
    return api.post(
        "/api/v1/bookings",
        json={"equipment_id": unit.id, "starts_at": start, "ends_at": end, **extra},
    )


def open_every_day_all_day() -> None:
    site = db.session.get(Site, 1)
    site.opening_hours = {
        d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    db.session.commit()


def stored(booking_id: int) -> Booking:
    return db.session.scalar(sa.select(Booking).where(Booking.id == booking_id))


def test_offsets_follow_the_season(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    winter = post(api, unit, "2027-03-26T10:00", "2027-03-26T11:00").get_json()
    summer = post(api, unit, "2027-03-29T10:00", "2027-03-29T11:00").get_json()
    autumn = post(api, unit, "2027-11-01T10:00", "2027-11-01T11:00").get_json()
    assert winter["starts_at"] == "2027-03-26T10:00:00+01:00"
    assert summer["starts_at"] == "2027-03-29T10:00:00+02:00"
    assert autumn["starts_at"] == "2027-11-01T10:00:00+01:00"
    assert stored(winter["id"]).starts_at == dt.datetime(2027, 3, 26, 9, 0, tzinfo=UTC)
    assert stored(summer["id"]).starts_at == dt.datetime(2027, 3, 29, 8, 0, tzinfo=UTC)


def test_weekly_series_keeps_wall_clock_time_in_spring(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = post(
        api,
        unit,
        "2027-03-22T10:00",
        "2027-03-22T12:00",
        recurrence={"frequency": "weekly", "count": 3},
    )
    assert made.status_code == 201, made.get_json()
    occurrences = made.get_json()["occurrences"]
    assert [o["starts_at"] for o in occurrences] == [
        "2027-03-22T10:00:00+01:00",
        "2027-03-29T10:00:00+02:00",
        "2027-04-05T10:00:00+02:00",
    ]
    assert [o["ends_at"] for o in occurrences] == [
        "2027-03-22T12:00:00+01:00",
        "2027-03-29T12:00:00+02:00",
        "2027-04-05T12:00:00+02:00",
    ]
    utc = [stored(o["id"]).starts_at.hour for o in occurrences]
    assert utc == [9, 8, 8]
    # Moving the whole series by an hour keeps every occurrence on the same wall clock.
    moved = api.patch(
        f"/api/v1/bookings/{occurrences[0]['id']}?scope=series",
        json={"starts_at": "2027-03-22T11:00", "ends_at": "2027-03-22T13:00"},
    )
    assert moved.status_code == 200, moved.get_json()
    assert [o["starts_at"] for o in moved.get_json()["occurrences"]] == [
        "2027-03-22T11:00:00+01:00",
        "2027-03-29T11:00:00+02:00",
        "2027-04-05T11:00:00+02:00",
    ]


def test_weekly_series_keeps_wall_clock_time_in_autumn(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = post(
        api,
        unit,
        "2027-10-25T16:00",
        "2027-10-25T17:30",
        recurrence={"frequency": "weekly", "until": "2027-11-08"},
    ).get_json()
    assert [o["starts_at"] for o in made["occurrences"]] == [
        "2027-10-25T16:00:00+02:00",
        "2027-11-01T16:00:00+01:00",
        "2027-11-08T16:00:00+01:00",
    ]
    assert [stored(o["id"]).starts_at.hour for o in made["occurrences"]] == [14, 15, 15]


def test_daily_series_through_the_changeover_night(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    open_every_day_all_day()
    api = api_as("youth_worker")
    made = post(
        api,
        make_unit(),
        "2027-10-30T09:00",
        "2027-10-30T10:00",
        recurrence={"frequency": "daily", "count": 3},
    ).get_json()
    assert [o["starts_at"] for o in made["occurrences"]] == [
        "2027-10-30T09:00:00+02:00",
        "2027-10-31T09:00:00+01:00",
        "2027-11-01T09:00:00+01:00",
    ]


def test_duration_is_real_time_on_the_changeover_nights(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    open_every_day_all_day()
    api = api_as("youth_worker")
    # 01:00 to 04:00 on the wall clock: 2 hours in spring, 4 hours in autumn.
    unit = make_unit(max_booking_minutes=150)
    spring = post(api, unit, "2027-03-28T01:00", "2027-03-28T04:00")
    assert spring.status_code == 201, spring.get_json()
    assert spring.get_json()["ends_at"] == "2027-03-28T04:00:00+02:00"
    autumn = post(api, unit, "2027-10-31T01:00", "2027-10-31T04:00")
    assert autumn.status_code == 422
    assert "150" in autumn.get_json()["errors"]["ends_at"][0]


def test_loan_over_the_spring_weekend(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    kit = make_unit(
        name="Podcast-Koffer", category="podcast_kit", loanable=True, max_booking_minutes=39 * 60
    )
    # Saturday 17:00 CET to Monday 09:00 CEST is 39 hours, not 40.
    loan = post(api, kit, "2027-03-27T17:00", "2027-03-29T09:00")
    assert loan.status_code == 201, loan.get_json()
    body = loan.get_json()
    assert body["starts_at"].endswith("+01:00") and body["ends_at"].endswith("+02:00")


def test_availability_across_the_change(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    post(api, unit, "2027-03-29T10:00", "2027-03-29T12:00")
    free = api.get(f"/api/v1/equipment/{unit.id}/availability?from=2027-03-27&to=2027-03-30")
    assert [(i["starts_at"], i["ends_at"]) for i in free.get_json()["items"]] == [
        ("2027-03-27T10:00:00+01:00", "2027-03-27T18:00:00+01:00"),  # Saturday
        ("2027-03-29T08:00:00+02:00", "2027-03-29T10:00:00+02:00"),  # Monday, after the change
        ("2027-03-29T12:00:00+02:00", "2027-03-29T20:00:00+02:00"),
    ]
    listed = api.get(f"/api/v1/bookings?equipment_id={unit.id}&from=2027-03-29&to=2027-03-30")
    assert listed.get_json()["total"] == 1


def test_a_time_the_spring_change_skips_is_refused_by_name(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    open_every_day_all_day()
    api = api_as("youth_worker")
    unit = make_unit()
    across = post(api, unit, "2027-03-28T02:30", "2027-03-28T04:00")
    assert across.status_code == 422
    message = across.get_json()["errors"]["starts_at"][0]
    assert "02:30" in message and "02:00" in message and "03:00" in message
    assert "So., 28. März 2027" in message
    ending = post(api, unit, "2027-03-28T01:00", "2027-03-28T02:00")
    assert ending.status_code == 422 and "03:00" in ending.get_json()["errors"]["ends_at"][0]
    # With an offset the instant is meant as given; the hour after the gap is fine.
    assert post(api, unit, "2027-03-28T02:30+01:00", "2027-03-28T04:00+02:00").status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    # The autumn change repeats an hour instead: 02:30 exists (its first time).
    autumn = post(api, unit, "2027-10-31T02:30", "2027-10-31T03:30")
    assert autumn.status_code == 201, autumn.get_json()
    assert autumn.get_json()["starts_at"] == "2027-10-31T02:30:00+02:00"


def test_the_booking_form_names_the_missing_hour(
    frozen: Any, client: Any, login_as: Any, make_unit: Any
) -> None:
    open_every_day_all_day()
    login_as("youth_worker")
    unit = make_unit()
    response = client.post(
        "/bookings/new",
        data={"equipment_id": unit.id, "day": "2027-03-28", "start": "02:00", "end": "03:00"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "02:00 gibt es am So., 28. März 2027 nicht" in text or "02:00 does not exist" in text
    assert "end must be after" not in text.lower()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
