"""Factories for participant tests: machines, bookings and enrolments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from makerlab.extensions import db


@pytest.fixture
def laser(app: Any) -> Any:
    """A laser cutter: induction required, minimum age 14."""
    from makerlab.equipment.models import Equipment

    unit = Equipment(
        site_id=1,
        name="Laser Trotec",
        category="laser_cutter",
        requires_induction=True,
        min_age=14,
        buffer_minutes=15,
    )
    db.session.add(unit)
    db.session.commit()
    return unit


@pytest.fixture
def printer(app: Any) -> Any:
    from makerlab.equipment.models import Equipment

    unit = Equipment(site_id=1, name="Prusa 1", category="3d_printer")
    db.session.add(unit)
    db.session.commit()
    return unit


@pytest.fixture
def add_booking(app: Any) -> Callable[..., Any]:
    """A booking row linked to participants (stored directly, rules are not under test)."""
    from makerlab.bookings.models import Booking

    def add(unit: Any, starts_at: dt.datetime, participants: list[Any] = (), **kw: Any) -> Any:
        ends_at = kw.pop("ends_at", starts_at + dt.timedelta(hours=2))
        booking = Booking(
            equipment_id=unit.id, starts_at=starts_at, ends_at=ends_at, blocked_until=ends_at, **kw
        )
        booking.participants = list(participants)
        db.session.add(booking)
        db.session.commit()
        return booking

    return add


@pytest.fixture
def add_enrolment(app: Any) -> Callable[..., Any]:
    """A workshop session and one participant's enrolment on it."""
    from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

    def add(participant: Any, starts_at: dt.datetime, **kw: Any) -> Any:
        workshop = Workshop(title="Podcast-Werkstatt", min_age=10, max_age=18)
        db.session.add(workshop)
        db.session.flush()
        session = WorkshopSession(
            workshop_id=workshop.id,
            site_id=1,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=3),
            capacity=12,
        )
        db.session.add(session)
        db.session.flush()
        enrolment = Enrolment(
            session_id=session.id, participant_id=participant.id, seats=1, status="confirmed", **kw
        )
        db.session.add(enrolment)
        db.session.commit()
        return enrolment

    return add
