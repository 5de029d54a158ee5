"""The booking rules, called as services (no HTTP)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab.bookings import availability, services
from makerlab.bookings.models import Booking
from makerlab.errors import Conflict, Invalid
from makerlab.extensions import db
from tests.conftest import at


def book(actor: Any, unit: Any, start: dt.datetime, end: dt.datetime, **kw: Any) -> Booking:
    outcome = services.create_booking(
        actor, equipment_id=unit.id, starts_at=start, ends_at=end, **kw
    )
    db.session.commit()
    return outcome.bookings[0]


def active_count() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(Booking.status.in_(("reserved", "checked_out")))
        )
        or 0
    )


def test_a_booking_is_made_and_stored_in_utc(frozen: Any, make_unit: Any, staff: Any) -> None:
    unit = make_unit(buffer_minutes=15)
    booking = book(staff, unit, at("2027-01-05", "10:00"), at("2027-01-05", "12:00"))
    assert booking.status == "reserved"
    assert booking.starts_at == dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC)
    assert booking.blocked_until == dt.datetime(2027, 1, 5, 11, 15, tzinfo=dt.UTC)
    assert booking.booked_by_id == staff.id


def test_rule1_end_after_start_and_not_in_the_past(frozen: Any, make_unit: Any, staff: Any) -> None:
    unit = make_unit()
    with pytest.raises(Invalid) as exc:
        book(staff, unit, at("2027-01-05", "12:00"), at("2027-01-05", "10:00"))
    assert "ends_at" in exc.value.errors
    # 07:55 UTC is 08:55 local, inside the 5-minute grace of "now" (08:00 local)? No: now is
    # 08:00 local; a start at 07:56 local is 4 minutes ago and allowed, 07:54 is not.
    with pytest.raises(Invalid) as exc:
        book(staff, unit, at("2027-01-04", "07:54"), at("2027-01-04", "09:00"))
    assert "starts_at" in exc.value.errors
    unit.site.opening_hours = {**unit.site.opening_hours, "mon": [["07:00", "20:00"]]}
    db.session.commit()
    assert book(staff, unit, at("2027-01-04", "07:56"), at("2027-01-04", "09:00")).id
    assert active_count() == 1


def test_rule2_overlap_and_buffer(frozen: Any, make_unit: Any, staff: Any) -> None:
    laser = make_unit(name="Laser", category="laser_cutter", buffer_minutes=30)
    first = book(staff, laser, at("2027-01-05", "10:00"), at("2027-01-05", "12:00"))
    with pytest.raises(Conflict) as exc:  # starts inside the cool-down after the first
        book(staff, laser, at("2027-01-05", "12:15"), at("2027-01-05", "13:00"))
    assert [c["booking_id"] for c in exc.value.conflicts] == [first.id]
    assert exc.value.conflicts[0]["starts_at"] == "2027-01-05T10:00:00+01:00"
    with pytest.raises(Conflict):  # would end less than 30 minutes before the first
        book(staff, laser, at("2027-01-05", "08:00"), at("2027-01-05", "09:45"))
    assert book(staff, laser, at("2027-01-05", "12:30"), at("2027-01-05", "13:00")).id
    assert book(staff, laser, at("2027-01-05", "08:00"), at("2027-01-05", "09:30")).id
    services.cancel_booking(staff, first)
    db.session.commit()
    # Cancelled bookings do not block.
    assert book(staff, laser, at("2027-01-05", "10:00"), at("2027-01-05", "11:30")).id


def test_several_bookings_in_one_transaction_roll_back_together(
    frozen: Any, make_unit: Any, staff: Any
) -> None:
    """How a workshop session reserves units: all in one transaction, or nothing."""
    printer, laser = make_unit(), make_unit(category="laser_cutter")
    taken = book(staff, laser, at("2027-01-05", "10:00"), at("2027-01-05", "11:00"))
    services.create_booking(
        staff,
        equipment_id=printer.id,
        starts_at=at("2027-01-05", "09:00"),
        ends_at=at("2027-01-05", "12:00"),
    )
    with pytest.raises(Conflict):
        services.create_booking(
            staff,
            equipment_id=laser.id,
            starts_at=at("2027-01-05", "09:00"),
            ends_at=at("2027-01-05", "12:00"),
        )
    db.session.rollback()
    assert [b.id for b in db.session.scalars(sa.select(Booking))] == [taken.id]


def test_free_intervals_and_free_units(frozen: Any, make_unit: Any, staff: Any) -> None:
    from makerlab.equipment.services import add_maintenance

    a, b = make_unit(buffer_minutes=30), make_unit()
    book(staff, a, at("2027-01-05", "10:00"), at("2027-01-05", "11:00"))
    add_maintenance(staff, b, at("2027-01-05", "15:00"), at("2027-01-05", "16:00"))
    db.session.commit()
    day = (at("2027-01-05", "00:00"), at("2027-01-06", "00:00"))
    assert availability.free_intervals(a, *day) == [
        (at("2027-01-05", "08:00"), at("2027-01-05", "09:30")),
        (at("2027-01-05", "11:30"), at("2027-01-05", "20:00")),
    ]
    assert availability.free_intervals(b, *day) == [
        (at("2027-01-05", "08:00"), at("2027-01-05", "15:00")),
        (at("2027-01-05", "16:00"), at("2027-01-05", "20:00")),
    ]

    def ids(start: str, end: str) -> list[int]:
        window = (at("2027-01-05", start), at("2027-01-05", end))
        return [u.id for u in availability.free_units("3d_printer", None, *window)]

    assert ids("09:00", "10:00") == [b.id]  # a would end inside its own buffer before 10:00
    assert ids("09:00", "09:30") == [a.id, b.id]
    assert ids("14:00", "15:30") == [a.id]
    assert ids("17:00", "18:00") == [a.id, b.id]
    # Sunday: closed, so only kits that leave the building could be picked.
    kit = make_unit(loanable=True)
    sunday = (at("2027-01-10", "10:00"), at("2027-01-10", "12:00"))
    assert [u.id for u in availability.free_units("3d_printer", 1, *sunday)] == [kit.id]


def test_postgres_exclusion_violation_becomes_a_409_naming_the_booking(
    app: Any, backend: str, frozen: Any, make_unit: Any, staff: Any
) -> None:
    """The race the check cannot see: another transaction inserts between check and insert."""
    import threading
    import time

    from makerlab.auth.models import User

    if backend != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    unit = make_unit()
    unit_id, staff_id = unit.id, staff.id
    start, end = at("2027-01-05", "10:00"), at("2027-01-05", "12:00")
    rival = db.engine.connect()
    rival_tx = rival.begin()
    rival_id = rival.execute(
        sa.insert(Booking.__table__)
        .values(
            equipment_id=unit_id,
            starts_at=start,
            ends_at=end,
            blocked_until=end,
            status="reserved",
            purpose="",
            return_note="",
            created_at=start,
            updated_at=start,
        )
        .returning(Booking.__table__.c.id)
    ).scalar_one()
    outcome: dict[str, Any] = {}

    def book() -> None:
        with app.app_context():
            try:
                services.create_booking(
                    db.session.get(User, staff_id),
                    equipment_id=unit_id,
                    starts_at=at("2027-01-05", "11:00"),
                    ends_at=at("2027-01-05", "13:00"),
                )
                db.session.commit()
                outcome["made"] = True
            except Conflict as exc:
                db.session.rollback()
                outcome["conflict"] = exc

    worker = threading.Thread(target=book)
    worker.start()
    try:
        # The worker's check saw nothing (uncommitted); its insert now waits on the
        # constraint. Autocommit: pg_stat_activity is a snapshot per transaction.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            deadline = time.monotonic() + 30
            while not watcher.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO bookings%'"
                )
            ).scalar():
                assert time.monotonic() < deadline, "the insert never waited on the constraint"
                time.sleep(0.01)
    finally:
        rival_tx.commit()
        rival.close()
        worker.join(timeout=30)
    assert "made" not in outcome
    assert [c["booking_id"] for c in outcome["conflict"].conflicts] == [rival_id]
    assert outcome["conflict"].status == 409
