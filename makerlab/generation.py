"""Data generations: counters the database raises on every change the read cache depends on.

Migration 0002 holds the triggers and explains the scopes. Kept apart from
``makerlab.readcache`` so that the models import without the Flask extensions.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makerlab.db import Base

# Which change raises which scope (PostgreSQL; SQLite raises them all).
BASE_TABLES = ("sites", "closures", "equipment", "users")
OTHER_TABLES = ("participants", "inductions", "schools", "workshops", "booking_series")
WEEK_TABLES = (
    "bookings",
    "booking_participants",
    "maintenance_blocks",
    "workshop_sessions",
    "enrolments",
)
WATCHED_TABLES = BASE_TABLES + OTHER_TABLES + WEEK_TABLES

TOTAL, BASE, OTHER = "total", "base", "other"
MARGIN = dt.timedelta(days=1)


class DataGeneration(Base):
    """A counter per scope: ``total``, ``base``, ``other``, ``week:<Monday>``, and
    ``unit:<id>:week:<Monday>`` and ``category:<slug>:week:<Monday>``.

    Raised by triggers only.
    """

    __tablename__ = "data_generation"

    scope: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


def week_scopes(start: dt.datetime | dt.date, end: dt.datetime | dt.date) -> list[str]:
    """The scopes of the UTC weeks touching ``[start - 1 day, end + 1 day]``.

    Naive values and dates are taken as UTC: the day of margin covers any
    time zone, as it does in the triggers.
    """
    first = _utc_day(start, -MARGIN)
    last = _utc_day(end, MARGIN)
    monday = first - dt.timedelta(days=first.weekday())
    scopes = []
    while monday <= last:
        scopes.append(f"week:{monday.isoformat()}")
        monday += dt.timedelta(days=7)
    return scopes


def _utc_day(value: dt.datetime | dt.date, shift: dt.timedelta) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return (value + shift).date()
    return value + shift


def unit_scopes(
    unit_id: int, start: dt.datetime | dt.date, end: dt.datetime | dt.date
) -> list[str]:
    """The weeks around the range, of one unit's bookings and maintenance."""
    return [f"unit:{unit_id}:{week}" for week in week_scopes(start, end)]


def category_scopes(
    category: str, start: dt.datetime | dt.date, end: dt.datetime | dt.date
) -> list[str]:
    """The weeks around the range, of the bookings and maintenance of a category's units."""
    return [f"category:{category}:{week}" for week in week_scopes(start, end)]
