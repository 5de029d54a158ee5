"""Booking tests: a staff member (units, participants and times come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> Any:
    return make_user("youth_worker")
