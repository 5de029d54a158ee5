"""Attention tests: bookings and sessions written directly with their ``attention``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from makerlab.extensions import db
from tests.conftest import at

DAMAGED = {"reason": "unit_unavailable", "detail": "Podcast-Koffer 1 kam beschädigt zurück."}


def closure_on(day: str) -> dict[str, str]:
    return {"reason": "closure", "detail": f"Passage 13 ist am {day} geschlossen."}


@pytest.fixture
def make_booking(app: Flask, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """A booking written directly (``attention`` as a change elsewhere would leave it)."""
    from makerlab.bookings.models import Booking

    def make(unit: Any, day: str, start: str, end: str, **overrides: Any) -> Booking:
        ends_at = at(day, end)
        values: dict[str, Any] = {
            "equipment_id": unit.id,
            "starts_at": at(day, start),
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


@pytest.fixture
def make_session(app: Flask) -> Callable[..., Any]:
    """A workshop session 09:00-12:00 on ``day`` (its workshop made on the way)."""
    from makerlab.workshops.models import Workshop, WorkshopSession

    def make(day: str, **overrides: Any) -> WorkshopSession:
        workshop = Workshop(title="Podcast-Werkstatt", equipment_needs={})
        db.session.add(workshop)
        db.session.flush()
        values: dict[str, Any] = {
            "workshop_id": workshop.id,
            "site_id": 1,
            "capacity": 20,
            "location": "Studio",
            "starts_at": at(day, "09:00"),
            "ends_at": at(day, "12:00"),
        }
        values.update(overrides)
        session = WorkshopSession(**values)
        db.session.add(session)
        db.session.commit()
        return session

    return make
