"""The read cache (makerlab/readcache.py): answers are reused, never stale, both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Flask

from makerlab import readcache
from makerlab.bookings.models import Booking
from makerlab.db import recorded_statements
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.sites.models import Closure
from tests.conftest import at, local

WEEK = "2027-W01"  # Monday 2027-01-04, the frozen "now"


def generation(scope: str = "total") -> int:
    value = db.session.scalar(
        sa.select(readcache.DataGeneration.value).where(readcache.DataGeneration.scope == scope)
    )
    db.session.commit()
    return int(value or 0)


def insert_booking(unit: Any, user: Any, day: str, start: str, end: str) -> None:
    """A booking written straight into the table: the triggers must see it too."""
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


def book(api: Any, unit: Any, day: str, start: str, end: str, **extra: Any) -> Any:
    """A booking through the API (``day``, ``start``, ``end`` in Berlin wall-clock time)."""
    return api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": unit.id,
            "starts_at": local(day, start),
            "ends_at": local(day, end),
            **extra,
        },
    )


def main_part(response: Any) -> str:
    page = response.get_data(as_text=True)
    return page[page.index("<main") : page.index("</main>")]


def is_postgres() -> bool:
    return bool(db.session.get_bind().dialect.name == "postgresql")


def test_every_watched_table_has_its_trigger(app: Flask) -> None:
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        rows = db.session.execute(
            sa.text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'bump_generation'"
            )
        )
        assert {r[0] for r in rows} == set(readcache.WATCHED_TABLES)
    else:
        rows = db.session.execute(
            sa.text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        )
        have = {(table, name.rsplit("_", 1)[1]) for table, name in rows}
        assert have == {
            (table, event)
            for table in readcache.WATCHED_TABLES
            for event in ("insert", "update", "delete")
        }


def test_a_change_bumps_the_generation_and_a_read_does_not(app: Flask, make_unit: Any) -> None:
    before = generation()
    db.session.scalars(sa.select(Equipment)).all()
    db.session.commit()
    assert generation() == before
    make_unit()
    after_insert = generation()
    assert after_insert > before
    # Core statements that bypass the ORM count too, and so does a rollback not.
    db.session.execute(sa.update(Equipment).values(location="Keller"))
    db.session.rollback()
    assert generation() == after_insert
    db.session.execute(sa.update(Equipment).values(location="Keller"))
    db.session.commit()
    assert generation() > after_insert


def test_calendar_is_reused_until_a_booking_changes_it(
    frozen: Any, client: Any, login_as: Any, make_unit: Any, api_as: Any
) -> None:
    unit = make_unit(name="Prusa MK4 Cache")
    login_as("youth_worker")
    url = f"/calendar?category=3d_printer&week={WEEK}"
    first = client.get(url)
    assert first.status_code == 200
    with recorded_statements(db.engine) as seen:
        again = client.get(url)
    assert main_part(again) == main_part(first)  # the page around it has a fresh CSRF token
    assert not any("FROM bookings" in s for s in seen), "the grid was built again"

    api = api_as("youth_worker")
    made = book(api, unit, "2027-01-05", "10:00", "12:00", purpose="Cache-Probe")
    assert made.status_code == 201
    assert "Cache-Probe" in client.get(url).get_data(as_text=True)

    # A change made with a plain SQL statement is seen as well.
    db.session.execute(
        sa.update(Booking).where(Booking.id == made.get_json()["id"]).values(purpose="Umbenannt")
    )
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Umbenannt" in page and "Cache-Probe" not in page


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


def test_availability_answers_follow_bookings_and_closures(
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


def test_weekly_report_is_reused_and_follows_new_bookings(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    coordinator = api_as("coordinator")
    unit = make_unit()
    url = f"/api/v1/reports/weekly?week={WEEK}"
    first = coordinator.get(url)
    assert first.status_code == 200
    with recorded_statements(db.engine) as seen:
        assert coordinator.get(url).get_json() == first.get_json()
    assert not any("FROM bookings" in s for s in seen), "the report was computed again"

    insert_booking(unit, coordinator.user, "2027-01-05", "10:00", "12:00")
    after = coordinator.get(url).get_json()
    assert after["totals"] != first.get_json()["totals"]


def test_the_cache_can_be_switched_off(
    frozen: Any, app: Flask, api_as: Any, make_unit: Any
) -> None:
    app.config["READ_CACHE_SIZE"] = 0
    coordinator = api_as("coordinator")
    make_unit()
    url = f"/api/v1/reports/weekly?week={WEEK}"
    coordinator.get(url)
    with recorded_statements(db.engine) as seen:
        assert coordinator.get(url).status_code == 200
    assert any("FROM bookings" in s for s in seen)


def test_week_scopes_cover_the_range_and_a_day_around_it() -> None:
    # Monday 2027-01-04 .. Sunday 2027-01-10; a day of margin reaches the weeks around.
    assert readcache.week_scopes(dt.date(2027, 1, 5), dt.date(2027, 1, 8)) == ["week:2027-01-04"]
    assert readcache.week_scopes(dt.date(2027, 1, 4), dt.date(2027, 1, 10)) == [
        "week:2026-12-28",
        "week:2027-01-04",
        "week:2027-01-11",
    ]
    berlin_monday = at("2027-01-11", "00:30")  # Sunday 23:30 UTC
    assert readcache.week_scopes(berlin_monday, berlin_monday) == [
        "week:2027-01-04",
        "week:2027-01-11",
    ]


def test_a_booking_in_another_week_leaves_this_weeks_answers_alone(
    frozen: Any, client: Any, login_as: Any, make_unit: Any, api_as: Any
) -> None:
    unit = make_unit()
    api = api_as("youth_worker")
    login_as("youth_worker")
    url = f"/calendar?category=3d_printer&week={WEEK}"
    client.get(url)
    later = book(api, unit, "2027-02-09", "10:00", "12:00")
    assert later.status_code == 201
    assert generation("week:2027-02-08") > 0 or not is_postgres()
    with recorded_statements(db.engine) as seen:
        client.get(url)
    built_again = any("FROM bookings" in s for s in seen)
    # PostgreSQL counts per week; SQLite raises every counter on any change.
    assert built_again is not is_postgres()


def test_a_long_buffer_reaches_back_into_the_week_before(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    """A booking on Monday with a four-day buffer blocks the Friday before."""
    api = api_as("youth_worker")
    unit = make_unit(buffer_minutes=4 * 24 * 60)
    friday = {"from": local("2027-01-08", "10:00"), "to": local("2027-01-08", "12:00")}
    url = f"/api/v1/equipment/{unit.id}/availability"
    assert api.get(url, query_string=friday).get_json()["total"] == 1
    made = book(api, unit, "2027-01-11", "10:00", "11:00")
    assert made.status_code == 201, made.get_json()
    assert api.get(url, query_string=friday).get_json()["total"] == 0


def test_a_booking_of_one_category_leaves_the_others_alone(
    frozen: Any, api_as: Any, make_unit: Any
) -> None:
    api = api_as("youth_worker")
    printer = make_unit()
    laser = make_unit(name="Laser-Cutter", category="laser_cutter")
    day = {"from": local("2027-01-05", "10:00"), "to": local("2027-01-05", "12:00")}

    laser_url = f"/api/v1/equipment/{laser.id}/availability"

    def ask() -> tuple[bool, bool]:
        """Whether the laser's and the laser category's answers were built again."""
        with recorded_statements(db.engine) as unit_seen:
            api.get(laser_url, query_string=day)
        with recorded_statements(db.engine) as category_seen:
            api.get("/api/v1/availability", query_string={**day, "category": "laser_cutter"})
        # Building an answer starts by reading the unit(s); a kept answer does not.
        return (
            any("FROM equipment" in s for s in unit_seen),
            any("FROM equipment" in s for s in category_seen),
        )

    ask()
    made = book(api, printer, "2027-01-05", "10:00", "11:00")
    assert made.status_code == 201
    assert ask() == ((False, False) if is_postgres() else (True, True))
    made = book(api, laser, "2027-01-05", "10:00", "11:00")
    assert made.status_code == 201
    assert ask() == (True, True)
    laser_free = api.get(f"/api/v1/equipment/{laser.id}/availability", query_string=day)
    assert laser_free.get_json()["items"][0]["starts_at"] == local("2027-01-05", "11:00")
