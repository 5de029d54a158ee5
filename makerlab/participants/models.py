from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from makerlab import clock
from makerlab.audit import audited
from makerlab.db import Base, UTCDateTime
from makerlab.schools.models import School


@audited
class Participant(Base):
    """A young person recorded by staff. Personal fields are nulled on erasure."""

    __tablename__ = "participants"
    __table_args__ = (
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL)",
            name="named_unless_erased",
        ),
        sa.Index("ix_participants_last_first", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    birth_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    # Kept after erasure so anonymous age-band counts stay the same.
    birth_year: Mapped[int | None] = mapped_column()
    school_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("schools.id", ondelete="SET NULL"), index=True
    )
    guardian_name: Mapped[str | None] = mapped_column(sa.String(200))
    guardian_email: Mapped[str | None] = mapped_column(sa.String(254))
    guardian_phone: Mapped[str | None] = mapped_column(sa.String(50))
    guardian_consent: Mapped[bool] = mapped_column(default=False)
    guardian_consent_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    photo_consent: Mapped[bool] = mapped_column(default=False)
    may_go_home_alone: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    last_activity_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    school: Mapped[School | None] = relationship()

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return f"#{self.id}"
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@audited
class ConsentRecord(Base):
    """History of consent given or revoked (guardian consent, photo/audio consent)."""

    __tablename__ = "consent_records"
    __table_args__ = (sa.CheckConstraint("kind IN ('guardian', 'photo')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    granted: Mapped[bool] = mapped_column()
    effective_on: Mapped[dt.date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


@audited
class Induction(Base):
    """Safety training of one participant for one equipment category."""

    __tablename__ = "inductions"
    __table_args__ = (
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= completed_on", name="valid_after_completed"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(40))
    completed_on: Mapped[dt.date] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
