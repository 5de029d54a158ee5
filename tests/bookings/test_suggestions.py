"""Suggestions for a booking a change made impossible: other units first, then nearest times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from makerlab.bookings.models import Booking
from makerlab.bookings.suggestions import Suggestion, suggest_moves
from makerlab.db import recorded_statements
from makerlab.equipment.models import MaintenanceBlock
from makerlab.extensions import db
from makerlab.sites.models import Closure
from tests.conftest import at


@pytest.fixture
def make_booking(app: Flask) -> Callable[..., Booking]:
    """A reserved booking written directly (the rules are what the test is about)."""

    def make(unit: Any, day: str, start: str, end: str, **overrides: Any) -> Booking:
        """``end`` is a time on ``day``, or "YYYY-MM-DDTHH:MM" for a loan over nights."""
        ends_at = at(*end.split("T")) if "T" in end else at(day, end)
        booking = Booking(
            equipment_id=unit.id,
            starts_at=at(day, start),
            ends_at=ends_at,
            blocked_until=ends_at + dt.timedelta(minutes=unit.buffer_minutes),
            purpose="Offene Werkstatt",
            status="reserved",
            **overrides,
        )
        db.session.add(booking)
        db.session.commit()
        return booking

    return make


def places(found: list[Suggestion]) -> list[tuple[int, dt.datetime, dt.datetime]]:
    return [(s.equipment_id, s.starts_at, s.ends_at) for s in found]


def test_free_units_at_the_same_time_first_then_the_nearest_times(
    frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    printer, taken, free = make_unit(), make_unit(), make_unit()
    booking = make_booking(printer, "2027-01-06", "10:00", "12:00")
    make_booking(taken, "2027-01-06", "11:00", "13:00")
    db.session.add(
        MaintenanceBlock(
            equipment_id=printer.id,
            starts_at=at("2027-01-06", "09:00"),
            ends_at=at("2027-01-06", "13:00"),
            reason="Düse verstopft",
        )
    )
    db.session.commit()

    found = suggest_moves([booking])[booking.id]

    assert places(found) == [
        (free.id, at("2027-01-06", "10:00"), at("2027-01-06", "12:00")),
        (printer.id, at("2027-01-06", "13:00"), at("2027-01-06", "15:00")),  # after the block
        (printer.id, at("2027-01-05", "10:00"), at("2027-01-05", "12:00")),  # a day earlier
    ]


def test_a_closed_day_suggests_other_days_never_the_past(
    frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    printer, other = make_unit(), make_unit()
    booking = make_booking(printer, "2027-01-06", "10:00", "12:00")
    day = dt.date(2027, 1, 6)
    db.session.add(Closure(site_id=1, starts_on=day, ends_on=day, reason="Betriebsausflug"))
    db.session.commit()

    found = suggest_moves([booking])[booking.id]

    # No unit is free on a closed day; Tuesday and Thursday are as near, Monday
    # 10:00 lies ahead of the frozen clock (Monday 08:00), last Sunday is closed.
    assert places(found) == [
        (printer.id, at("2027-01-05", "10:00"), at("2027-01-05", "12:00")),
        (printer.id, at("2027-01-07", "10:00"), at("2027-01-07", "12:00")),
        (printer.id, at("2027-01-04", "10:00"), at("2027-01-04", "12:00")),
    ]
    assert other.id not in {s.equipment_id for s in found}


def test_a_retired_unit_gets_other_units_only_and_a_loan_keeps_its_days(
    frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    kit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    spare = make_unit(name="Podcast-Koffer 2", category="podcast_kit", loanable=True)
    loan = make_booking(kit, "2027-01-06", "16:00", "2027-01-08T10:00")
    make_booking(spare, "2027-01-07", "09:00", "12:00")

    found = suggest_moves([loan])[loan.id]

    # The spare kit is out on Thursday; the kit itself keeps its two nights.
    assert places(found)[0] == (kit.id, at("2027-01-05", "16:00"), at("2027-01-07", "10:00"))
    assert all(s.ends_at - s.starts_at == loan.ends_at - loan.starts_at for s in found)

    kit.status = "retired"
    db.session.commit()
    assert suggest_moves([loan])[loan.id] == []


def test_statements_do_not_grow_with_the_bookings_asked_about(
    frozen: Any, make_unit: Any, make_booking: Any
) -> None:
    units = [make_unit() for _ in range(6)]
    kits = [make_unit(category="podcast_kit", loanable=True) for _ in range(2)]
    bookings = [
        make_booking(unit, f"2027-01-{6 + n:02d}", "10:00", "12:00")
        for n, unit in enumerate([*units, *kits])
    ]
    db.session.expire_all()
    loaded = [db.session.get(Booking, b.id) for b in bookings]
    for b in loaded:
        assert b is not None and b.equipment is not None

    def statements(asked: list[Any]) -> int:
        with recorded_statements(db.engine) as seen:
            found = suggest_moves(asked)
        assert all(len(found[b.id]) == 3 for b in asked)
        return len(seen)

    assert statements(loaded[:1]) == statements(loaded)
