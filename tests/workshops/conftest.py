"""Factories for workshop tests: workshops, sessions, the instant the clock is frozen at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from makerlab.extensions import db

UTC = dt.UTC
# Monday 1 March 2027, 09:00 in Halle: all sessions below lie ahead of it.
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def make_workshop(app: Flask) -> Callable[..., Any]:
    from makerlab.workshops.models import Workshop

    def make(**overrides: Any) -> Workshop:
        values: dict[str, Any] = {
            "title": "Synthesizer bauen",
            "description": "Löten und Klang",
            "min_age": 10,
            "max_age": 16,
            "equipment_needs": {},
        }
        values.update(overrides)
        workshop = Workshop(**values)
        db.session.add(workshop)
        db.session.commit()
        return workshop

    return make


@pytest.fixture
def make_session(app: Flask, make_workshop: Callable[..., Any]) -> Callable[..., Any]:
    from makerlab.workshops.models import WorkshopSession

    def make(workshop: Any = None, **overrides: Any) -> WorkshopSession:
        workshop = workshop or make_workshop()
        values: dict[str, Any] = {
            "workshop_id": workshop.id,
            "site_id": 1,
            "capacity": 20,
            "location": "Werkstatt",
            "starts_at": dt.datetime(2027, 3, 10, 8, 0, tzinfo=UTC),
            "ends_at": dt.datetime(2027, 3, 10, 11, 0, tzinfo=UTC),
        }
        values.update(overrides)
        session = WorkshopSession(**values)
        db.session.add(session)
        db.session.commit()
        return session

    return make


def outbox(to: str | None = None) -> list[Any]:
    """Notifications in the outbox (optionally for one address), oldest first."""
    import sqlalchemy as sa

    from makerlab.notifications.models import Notification

    stmt = sa.select(Notification).order_by(Notification.id)
    if to is not None:
        stmt = stmt.where(Notification.to_address == to)
    return list(db.session.scalars(stmt))
