"""Recurrence with ``interval`` and ``weekdays``: every other Tuesday, Monday and Thursday.

The DST weeks are those of 2027 in Europe/Berlin: spring on Sunday 2027-03-28
(02:00 -> 03:00), autumn on Sunday 2027-10-31 (03:00 -> 02:00).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.bookings import recurrence as rec
from makerlab.bookings.models import Booking
from makerlab.errors import Invalid
from makerlab.extensions import db

TZ = "Europe/Berlin"


def at(day: str, time: str) -> dt.datetime:
    return clock.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), TZ)


def days_of(recurrence: dict[str, Any], day: str, start: str = "10:00", end: str = "11:00") -> list:
    found = rec.occurrences(at(day, start), at(day, end), rec.normalise(recurrence), TZ)
    return [clock.to_local(s, TZ).date().isoformat() for s, _e in found]


def post(api: Any, unit: Any, start: str, end: str, **extra: Any) -> Any:
    return api.post(
        "/api/v1/bookings",
        json={"equipment_id": unit.id, "starts_at": start, "ends_at": end, **extra},
    )


# --- the rule itself -----------------------------------------------------------------


def test_every_other_tuesday() -> None:
    rule = {"frequency": "weekly", "interval": 2, "count": 4}
    assert days_of(rule, "2027-01-05") == ["2027-01-05", "2027-01-19", "2027-02-02", "2027-02-16"]


def test_monday_and_thursday_count_occurrences_not_weeks() -> None:
    rule = {"frequency": "weekly", "weekdays": ["thu", "mon"], "count": 5}
    assert days_of(rule, "2027-01-04") == [
        "2027-01-04",
        "2027-01-07",
        "2027-01-11",
        "2027-01-14",
        "2027-01-18",
    ]


def test_weekdays_start_on_the_first_chosen_day_on_or_after_the_date() -> None:
    # Asked on a Wednesday for Mondays and Thursdays: the first is Thursday.
    rule = {"frequency": "weekly", "weekdays": ["mon", "thu"], "count": 3}
    assert days_of(rule, "2027-01-06") == ["2027-01-07", "2027-01-11", "2027-01-14"]


def test_until_is_inclusive() -> None:
    rule = {"frequency": "weekly", "weekdays": ["mon", "thu"], "until": "2027-01-14"}
    assert days_of(rule, "2027-01-04") == ["2027-01-04", "2027-01-07", "2027-01-11", "2027-01-14"]
    every_other = {"frequency": "weekly", "interval": 2, "until": "2027-02-02"}
    assert days_of(every_other, "2027-01-05") == ["2027-01-05", "2027-01-19", "2027-02-02"]


def test_every_other_week_on_two_days_counts_weeks_from_the_first() -> None:
    rule = {"frequency": "weekly", "interval": 2, "weekdays": ["tue", "fri"], "count": 4}
    assert days_of(rule, "2027-01-05") == ["2027-01-05", "2027-01-08", "2027-01-19", "2027-01-22"]


def test_every_third_day() -> None:
    rule = {"frequency": "daily", "interval": 3, "count": 3}
    assert days_of(rule, "2027-01-30") == ["2027-01-30", "2027-02-02", "2027-02-05"]


def test_wall_clock_time_holds_across_both_changes() -> None:
    spring = rec.occurrences(
        at("2027-03-23", "10:00"),
        at("2027-03-23", "12:00"),
        rec.normalise({"frequency": "weekly", "weekdays": ["tue", "sun"], "count": 4}),
        TZ,
    )
    local = [clock.to_local(s, TZ).isoformat() for s, _e in spring]
    assert local == [
        "2027-03-23T10:00:00+01:00",
        "2027-03-28T10:00:00+02:00",  # the changeover Sunday itself
        "2027-03-30T10:00:00+02:00",
        "2027-04-04T10:00:00+02:00",
    ]
    assert [(e - s) for s, e in spring] == [dt.timedelta(hours=2)] * 4
    autumn = rec.occurrences(
        at("2027-10-24", "16:00"),
        at("2027-10-24", "17:00"),
        rec.normalise({"frequency": "weekly", "interval": 1, "weekdays": ["sun"], "count": 2}),
        TZ,
    )
    assert [clock.to_local(s, TZ).isoformat() for s, _e in autumn] == [
        "2027-10-24T16:00:00+02:00",
        "2027-10-31T16:00:00+01:00",
    ]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"frequency": "daily", "weekdays": ["mon"], "count": 2}, "recurrence.weekdays"),
        ({"frequency": "weekly", "weekdays": [], "count": 2}, "recurrence.weekdays"),
        ({"frequency": "weekly", "weekdays": ["monday"], "count": 2}, "recurrence.weekdays"),
        ({"frequency": "weekly", "interval": 0, "count": 2}, "recurrence.interval"),
        ({"frequency": "weekly", "interval": 53, "count": 2}, "recurrence.interval"),
        ({"frequency": "weekly", "interval": True, "count": 2}, "recurrence.interval"),
        ({"frequency": "weekly", "until": "9999-12-31"}, "recurrence.until"),
        ({"frequency": "monthly", "count": 2}, "recurrence.frequency"),
    ],
)
def test_bad_rules_are_refused(app: Any, rule: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        rec.normalise(rule)
    assert field in refused.value.errors


def test_until_before_the_first_chosen_weekday_is_refused(app: Any) -> None:
    with pytest.raises(Invalid) as refused:
        days_of({"frequency": "weekly", "weekdays": ["mon"], "until": "2027-01-08"}, "2027-01-05")
    assert "recurrence.until" in refused.value.errors


# --- through the API ----------------------------------------------------------------------


def test_api_books_every_other_tuesday(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = post(
        api,
        unit,
        "2027-01-05T10:00",
        "2027-01-05T12:00",
        recurrence={"frequency": "weekly", "interval": 2, "count": 3},
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert [o["starts_at"] for o in body["occurrences"]] == [
        "2027-01-05T10:00:00+01:00",
        "2027-01-19T10:00:00+01:00",
        "2027-02-02T10:00:00+01:00",
    ]
    series = api.get(f"/api/v1/bookings/{body['id']}").get_json()
    assert series["series_id"] == body["series_id"]


def test_api_refuses_weekdays_on_a_daily_rule(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    refused = post(
        api,
        make_unit(),
        "2027-01-05T10:00",
        "2027-01-05T12:00",
        recurrence={"frequency": "daily", "weekdays": ["mon"], "count": 3},
    )
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_monday_and_thursday_across_spring_then_move_the_following(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = post(
        api,
        unit,
        "2027-03-22T10:00",
        "2027-03-22T11:30",
        recurrence={"frequency": "weekly", "weekdays": ["mon", "thu"], "until": "2027-04-01"},
    )
    assert made.status_code == 201, made.get_json()
    occurrences = made.get_json()["occurrences"]
    assert [o["starts_at"] for o in occurrences] == [
        "2027-03-22T10:00:00+01:00",
        "2027-03-25T10:00:00+01:00",
        "2027-03-29T10:00:00+02:00",
        "2027-04-01T10:00:00+02:00",
    ]
    # Move the second one and the following to 11:00: same wall clock on both sides of the change.
    moved = api.patch(
        f"/api/v1/bookings/{occurrences[1]['id']}?scope=following",
        json={"starts_at": "2027-03-25T11:00", "ends_at": "2027-03-25T12:30"},
    )
    assert moved.status_code == 200, moved.get_json()
    listed = api.get(f"/api/v1/bookings?equipment_id={unit.id}").get_json()["items"]
    assert sorted(b["starts_at"] for b in listed) == [
        "2027-03-22T10:00:00+01:00",
        "2027-03-25T11:00:00+01:00",
        "2027-03-29T11:00:00+02:00",
        "2027-04-01T11:00:00+02:00",
    ]
    assert {b["ends_at"][11:16] for b in listed} == {"11:30", "12:30"}
    # Cancelling one occurrence leaves the rest; cancelling the series ends them all.
    third = next(b for b in listed if b["starts_at"].startswith("2027-03-29"))
    assert api.delete(f"/api/v1/bookings/{third['id']}").status_code in (200, 204)
    statuses = {
        b["starts_at"][:10]: b["status"]
        for b in api.get(f"/api/v1/bookings?equipment_id={unit.id}").get_json()["items"]
    }
    assert statuses == {
        "2027-03-22": "reserved",
        "2027-03-25": "reserved",
        "2027-03-29": "cancelled",
        "2027-04-01": "reserved",
    }
    first = occurrences[0]["id"]
    assert api.delete(f"/api/v1/bookings/{first}?scope=series").status_code in (200, 204)
    statuses = {
        b["status"] for b in api.get(f"/api/v1/bookings?equipment_id={unit.id}").get_json()["items"]
    }
    assert statuses == {"cancelled"}


def test_every_other_week_across_autumn_moved_as_a_series(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    made = post(
        api,
        unit,
        "2027-10-19T16:00",
        "2027-10-19T17:00",
        recurrence={"frequency": "weekly", "interval": 2, "count": 3},
    ).get_json()
    assert [o["starts_at"] for o in made["occurrences"]] == [
        "2027-10-19T16:00:00+02:00",
        "2027-11-02T16:00:00+01:00",
        "2027-11-16T16:00:00+01:00",
    ]
    moved = api.patch(
        f"/api/v1/bookings/{made['id']}?scope=series",
        json={"starts_at": "2027-10-19T15:00", "ends_at": "2027-10-19T16:00"},
    )
    assert moved.status_code == 200, moved.get_json()
    assert [o["starts_at"] for o in moved.get_json()["occurrences"]] == [
        "2027-10-19T15:00:00+02:00",
        "2027-11-02T15:00:00+01:00",
        "2027-11-16T15:00:00+01:00",
    ]


def test_monday_and_thursday_skip_a_taken_date(frozen: Any, api_as: Any, make_unit: Any) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    blocker = post(api, unit, "2027-01-14T10:30", "2027-01-14T11:00").get_json()
    rule = {"frequency": "weekly", "weekdays": ["mon", "thu"], "count": 4}
    refused = post(api, unit, "2027-01-11T10:00", "2027-01-11T11:00", recurrence=rule)
    assert refused.status_code == 409
    assert [c["booking_id"] for c in refused.get_json()["conflicts"]] == [blocker["id"]]
    made = post(
        api, unit, "2027-01-11T10:00", "2027-01-11T11:00", recurrence=rule, skip_conflicts=True
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert [o["starts_at"][:10] for o in body["occurrences"]] == [
        "2027-01-11",
        "2027-01-18",
        "2027-01-21",
    ]
    assert [s["starts_at"] for s in body["skipped"]] == ["2027-01-14T10:00:00+01:00"]


# --- through the booking form -----------------------------------------------------------------


def test_booking_form_books_monday_and_thursday_every_other_week(
    frozen: Any, client: Any, login_as: Any, make_unit: Any
) -> None:
    login_as("youth_worker")
    unit = make_unit()
    response = client.post(
        "/bookings/new",
        data={
            "equipment_id": unit.id,
            "day": "2027-01-04",
            "start": "14:00",
            "end": "15:00",
            "purpose": "Löt-AG",
            "repeat": "weekly",
            "interval": "2",
            "weekdays": ["mon", "thu"],
            "count": "4",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    days = [
        clock.to_local(b.starts_at, TZ).date().isoformat()
        for b in db.session.scalars(
            sa.select(Booking).where(Booking.purpose == "Löt-AG").order_by(Booking.starts_at)
        )
    ]
    assert days == ["2027-01-04", "2027-01-07", "2027-01-18", "2027-01-21"]


def test_booking_form_refuses_weekdays_for_daily(
    frozen: Any, client: Any, login_as: Any, make_unit: Any
) -> None:
    login_as("youth_worker")
    unit = make_unit()
    response = client.post(
        "/bookings/new",
        data={
            "equipment_id": unit.id,
            "day": "2027-01-04",
            "start": "14:00",
            "end": "15:00",
            "repeat": "daily",
            "weekdays": ["mon"],
            "count": "3",
        },
    )
    assert response.status_code == 422
    assert "nur für wöchentliche" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
