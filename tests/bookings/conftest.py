"""Factories for booking tests: units, participants, local times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from makerlab import clock
from makerlab.extensions import db

TZ = "Europe/Berlin"
# A Monday well before the test dates, so nothing is "in the past".
NOW = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)


def at(day: str, time: str) -> dt.datetime:
    """Berlin wall-clock ``day`` ``time`` as a UTC instant."""
    return clock.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), TZ)


def local(day: str, time: str) -> str:
    """The same, as an ISO string with the Berlin offset (API input/output)."""
    return clock.to_local(at(day, time), TZ).isoformat()


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
            "loanable": False,
            "requires_induction": False,
            "buffer_minutes": 0,
        }
        values.update(overrides)
        unit = Equipment(**values)
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_participant(app: Flask) -> Callable[..., Any]:
    from makerlab.participants.models import Participant

    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Participant:
        n = next(counter)
        values: dict[str, Any] = {
            "first_name": f"Mia{n}",
            "last_name": "Schulze",
            "birth_date": dt.date(2013, 5, 1),
            "guardian_consent": True,
            "guardian_consent_on": dt.date(2026, 9, 1),
        }
        values.update(overrides)
        person = Participant(**values)
        db.session.add(person)
        db.session.commit()
        return person

    return make


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> Any:
    return make_user("youth_worker")
