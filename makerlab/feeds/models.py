"""A calendar feed a user subscribed to, reached through a secret URL."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from makerlab import clock
from makerlab.audit import audited
from makerlab.auth.models import User
from makerlab.db import Base, UTCDateTime
from makerlab.enums import sql_in


class FeedKind(enum.StrEnum):
    MINE = "mine"  # the bookings the user made
    EQUIPMENT = "equipment"  # bookings and maintenance of one unit
    SCHOOL = "school"  # sessions the user's school has enrolled in


@audited
class CalendarFeed(Base):
    """A subscription: only the SHA-256 of its secret is stored.

    The secret opens nothing but this one read-only feed; it is not an API
    token, and an API token is not a feed secret.
    """

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        sa.CheckConstraint(sql_in("kind", FeedKind), name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'equipment') = (equipment_id IS NOT NULL)", name="unit_for_equipment_feeds"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    equipment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("equipment.id", ondelete="CASCADE")
    )
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
