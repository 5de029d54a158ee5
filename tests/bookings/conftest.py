"""Booking tests: a staff member (units, participants and times come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

# Still imported as ``from .conftest import at, local`` by test_read_cache_machine.py.
from tests.conftest import at, local  # noqa: F401


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> Any:
    return make_user("youth_worker")
