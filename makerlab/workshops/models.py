from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from makerlab import clock
from makerlab.audit import audited
from makerlab.db import Base, UTCDateTime
from makerlab.enums import EnrolmentStatus, SessionStatus, sql_in
from makerlab.participants.models import Participant
from makerlab.schools.models import School


def class_key(class_name: str) -> str:
    """What makes two class names the same class: case and spaces aside ("7 B" is "7b")."""
    return "".join(class_name.split()).casefold()[:50]


@audited
class Workshop(Base):
    __tablename__ = "workshops"
    __table_args__ = (
        sa.CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    min_age: Mapped[int | None] = mapped_column()
    max_age: Mapped[int | None] = mapped_column()
    facilitator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # {category: units}
    equipment_needs: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


@audited
class WorkshopSession(Base):
    """One dated run of a workshop."""

    __tablename__ = "workshop_sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint(sql_in("status", SessionStatus), name="status_known"),
        sa.Index("ix_workshop_sessions_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="RESTRICT"), index=True
    )
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="RESTRICT"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column()
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=SessionStatus.SCHEDULED.value)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The calendar revision (iCalendar SEQUENCE): raised when the time, the
    # place or the status change, so calendars replace their copy.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # As ``Booking.attention``: why a change elsewhere makes this session impossible.
    attention: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    workshop: Mapped[Workshop] = relationship()


@audited
class Enrolment(Base):
    """A claim on seats: a whole class (headcount) or one participant (one seat)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", EnrolmentStatus), name="status_known"),
        sa.CheckConstraint("seats > 0", name="seats_positive"),
        sa.CheckConstraint(
            "(participant_id IS NOT NULL AND seats = 1)"
            " OR (participant_id IS NULL AND school_id IS NOT NULL AND headcount = seats)",
            name="class_or_participant",
        ),
        sa.CheckConstraint(
            "attended_count IS NULL OR (attended_count >= 0 AND attended_count <= seats)",
            name="attendance_in_range",
        ),
        sa.CheckConstraint("accompanying_adults >= 0", name="accompanying_adults_not_negative"),
        sa.Index(
            "uq_enrolments_active_participant",
            "session_id",
            "participant_id",
            unique=True,
            sqlite_where=sa.text("participant_id IS NOT NULL AND status != 'cancelled'"),
            postgresql_where=sa.text("participant_id IS NOT NULL AND status != 'cancelled'"),
        ),
        # One class of a school once per session (``class_key``: case and spaces aside).
        sa.Index(
            "uq_enrolments_active_class",
            "session_id",
            "school_id",
            "class_key",
            unique=True,
            sqlite_where=sa.text("class_key IS NOT NULL AND status != 'cancelled'"),
            postgresql_where=sa.text("class_key IS NOT NULL AND status != 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("schools.id", ondelete="RESTRICT"), index=True
    )
    class_name: Mapped[str | None] = mapped_column(sa.String(50))
    # ``class_key(class_name)``, kept in step by ``_keep_class_key``.
    class_key: Mapped[str | None] = mapped_column(sa.String(50))
    headcount: Mapped[int | None] = mapped_column()
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    # Teachers and helpers coming with a class: on the sign-in sheet, not on seats.
    accompanying_adults: Mapped[int] = mapped_column(default=0, server_default="0")
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="RESTRICT"), index=True
    )
    seats: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20))
    attended_count: Mapped[int | None] = mapped_column()
    enrolled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    session: Mapped[WorkshopSession] = relationship()
    school: Mapped[School | None] = relationship()
    participant: Mapped[Participant | None] = relationship()

    @validates("class_name")
    def _keep_class_key(self, _key: str, value: str | None) -> str | None:
        self.class_key = class_key(value) if value else None
        return value
