"""Factories for participant tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from makerlab.extensions import db


@pytest.fixture
def make_participant(app: Any) -> Callable[..., Any]:
    """A participant with guardian consent, registered through the service."""
    from makerlab.participants import services

    counter = iter(range(1, 10_000))

    def make(actor: Any = None, **overrides: Any) -> Any:
        n = next(counter)
        values: dict[str, Any] = {
            "first_name": f"Zoe{n}",
            "last_name": f"Quappendorf{n}",
            "birth_date": dt.date(2013, 5, 17),
            "guardian_name": f"Ines Quappendorf{n}",
            "guardian_email": f"ines{n}@familie.example",
            "guardian_phone": "0345 123456",
            "guardian_consent": True,
            "photo_consent": False,
            "may_go_home_alone": False,
        }
        values.update(overrides)
        participant = services.create_participant(actor, **values)
        db.session.commit()
        return participant

    return make
