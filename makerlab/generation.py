"""The data generation: one counter the database raises on every change the read cache depends on.

Kept apart from ``makerlab.readcache`` so that the models can be imported
without the Flask extensions (see migration 0002 for the triggers).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makerlab.db import Base

GENERATION_ROW = 1
# Tables whose changes a cached answer may show. Everything but tokens,
# audit entries, consent records, the outbox and the scheduler's lease.
WATCHED_TABLES = (
    "sites",
    "closures",
    "equipment",
    "maintenance_blocks",
    "bookings",
    "booking_series",
    "booking_participants",
    "participants",
    "inductions",
    "schools",
    "users",
    "workshops",
    "workshop_sessions",
    "enrolments",
)


class DataGeneration(Base):
    """One row: how often the watched tables have changed (bumped by triggers)."""

    __tablename__ = "data_generation"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
