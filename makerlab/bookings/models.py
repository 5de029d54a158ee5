from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from makerlab import clock
from makerlab.audit import audited
from makerlab.db import Base, UTCDateTime
from makerlab.enums import ACTIVE_BOOKING_STATUSES, BookingStatus, sql_in
from makerlab.equipment.models import Equipment

booking_participants = sa.Table(
    "booking_participants",
    Base.metadata,
    sa.Column(
        "booking_id", sa.ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "participant_id",
        sa.ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class BookingSeries(Base):
    """Occurrences of a recurring booking share one series."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    recurrence: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


@audited
class Booking(Base):
    """One unit for ``[starts_at, ends_at)``.

    ``blocked_until`` is ``ends_at`` plus the unit's buffer at booking time: the
    range ``[starts_at, blocked_until)`` is what may not overlap (and what the
    PostgreSQL exclusion constraint guards).
    """

    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("blocked_until >= ends_at", name="blocked_covers_booking"),
        sa.CheckConstraint(sql_in("status", BookingStatus), name="status_known"),
        sa.Index("ix_bookings_equipment_starts", "equipment_id", "starts_at"),
        sa.Index("ix_bookings_starts_ends", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id", ondelete="RESTRICT"))
    booked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=BookingStatus.RESERVED.value)
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_series.id", ondelete="SET NULL"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("workshop_sessions.id", ondelete="SET NULL"), index=True
    )
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    return_condition: Mapped[str | None] = mapped_column(sa.String(20))
    return_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Parts of a kit that did not come back: [{"item": "Mikrofon", "count": 1}, ...].
    return_missing: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Why a change elsewhere (a closure, maintenance, a withdrawn consent ...)
    # makes this booking impossible: ``[{"reason", "detail"}]``, empty when all
    # is well; cleared when the booking is moved, changed or cancelled.
    attention: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now
    )

    equipment: Mapped[Equipment] = relationship()
    participants: Mapped[list[Any]] = relationship(
        "Participant", secondary=booking_participants, order_by="Participant.id"
    )

    @hybrid_property
    def is_active(self) -> bool:
        """Reserved or checked out: the booking holds its unit (in Python and in queries)."""
        return self.status in ACTIVE_BOOKING_STATUSES

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls) -> sa.ColumnElement[bool]:
        return cls.status.in_(ACTIVE_BOOKING_STATUSES)

    @property
    def overdue(self) -> bool:
        return is_overdue(self.status, self.ends_at, clock.now())

    @property
    def shown_status(self) -> str:
        """The status as people read it (see :func:`shown_status`)."""
        return shown_status(self.status, self.ends_at, self.equipment.loanable, clock.now())


_CHECKED_OUT = BookingStatus.CHECKED_OUT.value  # read once: an enum's value is a slow lookup


_RESERVED = BookingStatus.RESERVED.value


def shown_status(status: str, ends_at: dt.datetime, loanable: bool, now: dt.datetime) -> str:
    """A reservation whose time has passed reads "past", or "no_show" for a kit never picked up.

    Derived for display only: the stored status stays ``reserved``.
    """
    if status == _RESERVED and ends_at <= now:
        return "no_show" if loanable else "past"
    return status


def is_overdue(status: str, ends_at: dt.datetime, now: dt.datetime) -> bool:
    """A kit is overdue while it is checked out after its booking ended.

    The one rule for "overdue"; :func:`overdue_at` says the same in a query.
    """
    return status == _CHECKED_OUT and ends_at < now


def overdue_at(now: dt.datetime) -> sa.ColumnElement[bool]:
    """:func:`is_overdue` as a query condition: checked out and ended before ``now``."""
    return sa.and_(Booking.status == _CHECKED_OUT, Booking.ends_at < now)


def current_at(now: dt.datetime) -> sa.ColumnElement[bool]:
    """Still ahead for its booker: active and not yet ended, or a kit still out (overdue)."""
    return sa.or_(sa.and_(Booking.ends_at > now, Booking.is_active), overdue_at(now))
