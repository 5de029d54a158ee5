"""The lending desk: kits with contents, bookings written directly, a real SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from makerlab.extensions import db
from tests.conftest import base_config
from tests.notifications.helpers import SmtpServer, smtp  # noqa: F401  (fixture)

PODCAST = [
    {"item": "Mikrofon", "count": 2},
    {"item": "Aufnahmegerät", "count": 1},
    {"item": "XLR-Kabel", "count": 2},
]


@pytest.fixture
def app_config(database_uri: str, smtp: SmtpServer) -> dict[str, Any]:  # noqa: F811
    config = base_config(database_uri)
    config.update(
        {
            "PROPAGATE_EXCEPTIONS": True,
            "MAIL_PORT": smtp.port,
            "MAIL_TIMEOUT": 5,
            "MAIL_DEFAULT_SENDER": "Passage 13 <makerlab@passage13.example>",
        }
    )
    return config


@pytest.fixture
def make_kit(make_unit: Callable[..., Any]) -> Callable[..., Any]:
    """A loanable podcast kit with its contents listed."""

    def make(**overrides: Any) -> Any:
        values: dict[str, Any] = {
            "name": "Podcast-Koffer 1",
            "category": "podcast_kit",
            "loanable": True,
            "contents": PODCAST,
        }
        return make_unit(**{**values, **overrides})

    return make


@pytest.fixture
def make_booking(app: Flask) -> Callable[..., Any]:
    """A booking written directly (any status), bypassing the rules on purpose."""
    from makerlab.bookings.models import Booking

    def make(
        unit: Any, starts_at: dt.datetime, ends_at: dt.datetime, **overrides: Any
    ) -> Booking:
        people = overrides.pop("participants", [])
        values: dict[str, Any] = {
            "equipment_id": unit.id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "blocked_until": ends_at,
            "purpose": "Podcast-AG",
            "status": "reserved",
        }
        values.update(overrides)
        booking = Booking(**values)
        booking.participants = list(people)
        db.session.add(booking)
        db.session.commit()
        return booking

    return make
