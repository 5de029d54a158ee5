"""Fixtures for calendar feeds: bookings written directly, workshop sessions."""

from __future__ import annotations

from tests.booking_pages.conftest import make_booking  # noqa: F401
from tests.workshops.conftest import make_session, make_workshop  # noqa: F401
