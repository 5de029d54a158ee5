"""Factories for the booking pages: units, bookings, a frozen Monday, SQL counting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from makerlab import clock
from makerlab.db import recorded_statements
from makerlab.extensions import db

TZ = "Europe/Berlin"
# Monday 4 January 2027, 08:00 in Berlin: the week shown by default.
NOW = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)


def at(day: str, time: str) -> dt.datetime:
    """Berlin wall-clock ``day`` ``time`` as a UTC instant."""
    return clock.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), TZ)


@pytest.fixture
def frozen(app: Flask) -> dt.datetime:
    clock.set_frozen(NOW)
    return NOW


@pytest.fixture
def make_unit(app: Flask) -> Callable[..., Any]:
    from makerlab.equipment.models import Equipment

    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Equipment:
        n = next(counter)
        values: dict[str, Any] = {
            "name": f"Prusa MK4 #{n}",
            "category": "3d_printer",
            "site_id": 1,
            "location": "Werkstatt",
            "status": "available",
        }
        values.update(overrides)
        unit = Equipment(**values)
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_booking(app: Flask) -> Callable[..., Any]:
    """A booking written directly (past or future), bypassing the rules on purpose."""
    from makerlab.bookings.models import Booking

    def make(unit: Any, starts_at: dt.datetime, ends_at: dt.datetime, **overrides: Any) -> Booking:
        values: dict[str, Any] = {
            "equipment_id": unit.id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "blocked_until": ends_at + dt.timedelta(minutes=unit.buffer_minutes),
            "purpose": "Offene Werkstatt",
            "status": "reserved",
        }
        values.update(overrides)
        booking = Booking(**values)
        db.session.add(booking)
        db.session.commit()
        return booking

    return make


def count_statements() -> Any:
    """Collect the SQL statements run on the app's engine inside the block."""
    return recorded_statements(db.engine)


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    from tests.conftest import base_config

    return {**base_config(database_uri), "PROPAGATE_EXCEPTIONS": True}
