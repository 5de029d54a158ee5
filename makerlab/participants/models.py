from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from makerlab import clock
from makerlab.audit import audited
from makerlab.db import Base, UTCDateTime
from makerlab.enums import sql_in
from makerlab.schools.models import School


class ConsentKind(enum.StrEnum):
    """The separate choices a guardian makes; each has a current-state column on Participant."""

    GUARDIAN = "guardian"  # taking part (needed for bookings and workshops under 18)
    PHOTO = "photo"  # photos and audio recordings
    HOME_ALONE = "home_alone"  # may go home alone
    EVALUATION = "evaluation"  # may be contacted for evaluation


class ConsentSource(enum.StrEnum):
    """How a choice reached us."""

    GUARDIAN_LINK = "guardian_link"
    PAPER = "paper"
    STAFF = "staff"


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
    evaluation_consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
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
    """History of each consent choice given or withdrawn, with its source and who recorded it."""

    __tablename__ = "consent_records"
    __table_args__ = (
        sa.CheckConstraint(sql_in("kind", ConsentKind), name="kind_known"),
        sa.CheckConstraint(sql_in("source", ConsentSource), name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    granted: Mapped[bool] = mapped_column()
    effective_on: Mapped[dt.date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(
        sa.String(20), default=ConsentSource.STAFF.value, server_default=ConsentSource.STAFF.value
    )
    # Staff who recorded it (paper, staff); for the guardian's link, the link it came through.
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consent_requests.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


@audited
class ConsentRequest(Base):
    """A personal link sent to (or printed for) a guardian: ``/consent/<token>``.

    The token itself is not stored. It is an HMAC of ``token_nonce`` under the
    app's secret key, so the paper form can print the same link again without
    the database alone being enough to rebuild it; lookups go by
    ``token_hash`` (SHA-256 of the token).
    """

    __tablename__ = "consent_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_nonce: Mapped[str] = mapped_column(sa.String(64))
    emailed_to: Mapped[str | None] = mapped_column(sa.String(254))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Set when a newer link replaces this one or the guardian's address changes.
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship()


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
    # The day staff were told it expires soon (one notice, 30 days ahead).
    expiry_notice_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
