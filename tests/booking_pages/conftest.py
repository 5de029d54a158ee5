"""Booking pages: bookings written directly, SQL counting, propagated exceptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from makerlab.db import recorded_statements
from makerlab.extensions import db


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
