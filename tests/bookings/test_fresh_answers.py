"""The calendar, availability and the weekly report show a change at once, however it is made."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from makerlab.bookings.models import Booking
from makerlab.equipment.models import MaintenanceBlock
from makerlab.extensions import db
from makerlab.sites.models import Closure
from tests.conftest import at, local

WEEK = "2027-W01"  # Monday 2027-01-04, the frozen "now"


def insert_booking(unit: Any, user: Any, day: str, start: str, end: str) -> None:
    """A booking written straight into the table, past every service."""
    db.session.add(
        Booking(
            equipment_id=unit.id,
            booked_by_id=user.id,
            starts_at=at(day, start),
            ends_at=at(day, end),
            blocked_until=at(day, end),
            status="reserved",
        )
    )
    db.session.commit()


def book(api: Any, unit_id: int, day: str, start: str, end: str, **extra: Any) -> Any:
    """A booking through the API (``day``, ``start``, ``end`` in Berlin wall-clock time)."""
    return api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": unit_id,
            "starts_at": local(day, start),
            "ends_at": local(day, end),
            **extra,
        },
    )


def test_calendar_shows_a_booking_at_once(
    frozen: Any, client: Any, login_as: Any, make_unit: Any, api_as: Any
) -> None:
    unit = make_unit(name="Prusa MK4 Frisch")
    login_as("youth_worker")
    url = f"/calendar?category=3d_printer&week={WEEK}"
    assert client.get(url).status_code == 200

    made = book(api_as("youth_worker"), unit.id, "2027-01-05", "10:00", "12:00", purpose="Probe")
    assert made.status_code == 201
    assert "Probe" in client.get(url).get_data(as_text=True)

    # A change made with a plain SQL statement is seen as well.
    db.session.execute(
        sa.update(Booking).where(Booking.id == made.get_json()["id"]).values(purpose="Umbenannt")
    )
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Umbenannt" in page and "Probe" not in page


def test_calendar_keeps_languages_apart(
    frozen: Any, client: Any, login_as: Any, make_unit: Any
) -> None:
    make_unit()
    url = f"/calendar?category=3d_printer&week={WEEK}"
    login_as("youth_worker")
    german = client.get(url, headers={"Accept-Language": "de"}).get_data(as_text=True)
    english = client.get(url + "&lang=en", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "+ buchen" in german
    assert "+ book" in english and "+ buchen" not in english


def test_availability_follows_bookings_and_closures(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    unit = make_unit()
    day = {"from": local("2027-01-05", "10:00"), "to": local("2027-01-05", "12:00")}
    unit_url = f"/api/v1/equipment/{unit.id}/availability"
    category_url = "/api/v1/availability"
    assert api.get(unit_url, query_string=day).get_json()["total"] == 1
    listed = api.get(category_url, query_string={**day, "category": "3d_printer"})
    assert [u["id"] for u in listed.get_json()["items"]] == [unit.id]

    insert_booking(unit, api.user, "2027-01-05", "10:30", "11:00")
    free = api.get(unit_url, query_string=day).get_json()["items"]
    assert [(f["starts_at"], f["ends_at"]) for f in free] == [
        (local("2027-01-05", "10:00"), local("2027-01-05", "10:30")),
        (local("2027-01-05", "11:00"), local("2027-01-05", "12:00")),
    ]
    listed = api.get(category_url, query_string={**day, "category": "3d_printer"})
    assert listed.get_json()["items"] == []

    db.session.add(
        Closure(
            site_id=unit.site_id,
            starts_on=at("2027-01-05", "12:00").date(),
            ends_on=at("2027-01-05", "12:00").date(),
            reason="Inventur",
        )
    )
    db.session.commit()
    assert api.get(unit_url, query_string=day).get_json()["total"] == 0


def test_a_long_buffer_reaches_back_into_the_week_before(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    """A booking on Monday with a four-day buffer blocks the Friday before."""
    api = api_as("youth_worker")
    unit = make_unit(buffer_minutes=4 * 24 * 60)
    friday = {"from": local("2027-01-08", "10:00"), "to": local("2027-01-08", "12:00")}
    url = f"/api/v1/equipment/{unit.id}/availability"
    assert api.get(url, query_string=friday).get_json()["total"] == 1
    made = book(api, unit.id, "2027-01-11", "10:00", "11:00")
    assert made.status_code == 201, made.get_json()
    assert api.get(url, query_string=friday).get_json()["total"] == 0


def test_weekly_report_follows_new_bookings(frozen: Any, api_as: Any, make_unit: Any) -> None:
    coordinator = api_as("coordinator")
    unit = make_unit()
    url = f"/api/v1/reports/weekly?week={WEEK}"
    first = coordinator.get(url)
    assert first.status_code == 200
    insert_booking(unit, coordinator.user, "2027-01-05", "10:00", "12:00")
    after = coordinator.get(url).get_json()
    assert after["totals"] != first.get_json()["totals"]


# Friday 8 and Monday 11 January 2027, two weeks apart in the same fortnight (the frozen
# "now" is Monday 4 January, 08:00); few days and hours, so that bookings meet.
DAYS = ["2027-01-08", "2027-01-11"]
hours = st.integers(min_value=9, max_value=17)
lengths = st.integers(min_value=1, max_value=3)


def test_the_read_routes_agree_with_each_other_whatever_happens(
    app: Flask, frozen: Any, api_as: Any, make_unit: Any
) -> None:
    """Bookings, cancellations, plain-SQL moves and maintenance in any order: the booking
    list shows exactly the bookings that stand, no free interval of a unit meets one of
    them (buffer included), and a unit is listed free for a range exactly when its own
    availability covers that range."""
    api = api_as("youth_worker")
    made = [
        make_unit(name="Drucker A", buffer_minutes=30),
        make_unit(name="Drucker B"),
        make_unit(name="Laser", category="laser_cutter", buffer_minutes=60),
    ]
    units = {u.id: u.buffer_minutes for u in made}
    category_of = {u.id: u.category for u in made}
    span = {"from": local(DAYS[0], "00:00"), "to": local(DAYS[-1], "23:00")}

    def standing() -> dict[int, tuple[int, str, str]]:
        """What the booking list says stands in the fortnight: id -> (unit, start, end)."""
        body = api.get(
            "/api/v1/bookings", query_string={**span, "status": "reserved", "limit": 500}
        ).get_json()
        return {b["id"]: (b["equipment_id"], b["starts_at"], b["ends_at"]) for b in body["items"]}

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            db.session.execute(sa.delete(Booking))
            db.session.execute(sa.delete(MaintenanceBlock))
            db.session.commit()
            self.expected: set[int] = set()

        @rule(unit=st.sampled_from(sorted(units)), day=st.sampled_from(DAYS), hour=hours, n=lengths)
        def book(self, unit: int, day: str, hour: int, n: int) -> None:
            made = book(api, unit, day, f"{hour:02d}:00", f"{hour + n:02d}:00")
            assert made.status_code in (201, 409), made.get_json()
            if made.status_code == 201:
                self.expected.add(made.get_json()["id"])

        @rule(pick=st.integers(min_value=0, max_value=50))
        def cancel(self, pick: int) -> None:
            if self.expected:
                booking_id = sorted(self.expected)[pick % len(self.expected)]
                assert api.delete(f"/api/v1/bookings/{booking_id}").status_code == 200
                self.expected.discard(booking_id)

        @rule(pick=st.integers(min_value=0, max_value=50), day=st.sampled_from(DAYS))
        def move_with_plain_sql(self, pick: int, day: str) -> None:
            """To another day and maybe another unit, past every service and rule."""
            if not self.expected:
                return
            unit = sorted(units)[pick % len(units)]
            try:
                db.session.execute(
                    sa.update(Booking)
                    .where(Booking.id == sorted(self.expected)[pick % len(self.expected)])
                    .values(
                        starts_at=at(day, "18:00"),
                        ends_at=at(day, "19:00"),
                        blocked_until=at(day, "19:00") + dt.timedelta(minutes=units[unit]),
                        equipment_id=unit,
                    )
                )
                db.session.commit()
            except sa.exc.IntegrityError:  # PostgreSQL's exclusion constraint: an overlap
                db.session.rollback()

        @rule(unit=st.sampled_from(sorted(units)), day=st.sampled_from(DAYS), hour=hours)
        def maintenance(self, unit: int, day: str, hour: int) -> None:
            db.session.add(
                MaintenanceBlock(
                    equipment_id=unit,
                    starts_at=at(day, f"{hour:02d}:00"),
                    ends_at=at(day, f"{hour + 1:02d}:00"),
                    reason="Düse",
                )
            )
            db.session.commit()

        @invariant()
        def the_list_shows_what_stands(self) -> None:
            assert set(standing()) == self.expected

        @rule(unit=st.sampled_from(sorted(units)))
        def free_time_is_free(self, unit: int) -> None:
            free = api.get(
                f"/api/v1/equipment/{unit}/availability", query_string=span
            ).get_json()["items"]
            for equipment_id, starts_at, ends_at in standing().values():
                if equipment_id != unit:
                    continue
                for interval in free:
                    # An interval may end exactly one buffer before a booking or start
                    # one buffer after it: compare as instants, with the buffer.
                    assert not _meets(interval, starts_at, ends_at, units[unit])

        def check_range(self, category: str, starts_at: str, ends_at: str) -> None:
            """The category's free units are those whose own free time covers the range."""
            asked = {"from": starts_at, "to": ends_at}
            listed = api.get("/api/v1/availability", query_string={**asked, "category": category})
            free_units = {u["id"] for u in listed.get_json()["items"]}
            covering = set()
            for unit, unit_category in category_of.items():
                if unit_category != category:
                    continue
                own = api.get(f"/api/v1/equipment/{unit}/availability", query_string=asked)
                if [(i["starts_at"], i["ends_at"]) for i in own.get_json()["items"]] == [
                    (starts_at, ends_at)
                ]:
                    covering.add(unit)
            assert free_units == covering, asked

        @rule(
            category=st.sampled_from(["3d_printer", "laser_cutter"]),
            day=st.sampled_from(DAYS),
            hour=hours,
            n=lengths,
        )
        def any_range(self, category: str, day: str, hour: int, n: int) -> None:
            start, end = local(day, f"{hour:02d}:00"), local(day, f"{hour + n:02d}:00")
            self.check_range(category, start, end)

        @rule(pick=st.integers(min_value=0, max_value=50))
        def the_hours_next_to_a_booking(self, pick: int) -> None:
            """Where buffers matter: the hour before a booking and the hour after it."""
            bookings = sorted(standing().values())
            if not bookings:
                return
            unit, starts_at, ends_at = bookings[pick % len(bookings)]
            hour = dt.timedelta(hours=1)
            before = (dt.datetime.fromisoformat(starts_at) - hour).isoformat()
            after = (dt.datetime.fromisoformat(ends_at) + hour).isoformat()
            self.check_range(category_of[unit], before, starts_at)
            self.check_range(category_of[unit], ends_at, after)

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )


def _meets(interval: dict[str, str], starts_at: str, ends_at: str, buffer_minutes: int) -> bool:
    """Whether a free interval overlaps ``[start - buffer, end + buffer)`` of a booking."""
    buffer = dt.timedelta(minutes=buffer_minutes)
    free_start = dt.datetime.fromisoformat(interval["starts_at"])
    free_end = dt.datetime.fromisoformat(interval["ends_at"])
    start = dt.datetime.fromisoformat(starts_at) - buffer
    end = dt.datetime.fromisoformat(ends_at) + buffer
    return free_start < end and start < free_end
