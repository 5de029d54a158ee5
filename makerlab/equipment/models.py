from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from makerlab import clock
from makerlab.db import Base, UTCDateTime
from makerlab.enums import EquipmentStatus, sql_in
from makerlab.sites.models import Site


class Equipment(Base):
    """One bookable unit (a printer, a kit, a room)."""

    __tablename__ = "equipment"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "name", name="uq_equipment_site_name"),
        sa.CheckConstraint(sql_in("status", EquipmentStatus), name="status_known"),
        sa.CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
        sa.CheckConstraint(
            "max_booking_minutes IS NULL OR max_booking_minutes > 0", name="max_positive"
        ),
        sa.CheckConstraint("min_age IS NULL OR min_age >= 0", name="min_age_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=EquipmentStatus.AVAILABLE.value)
    loanable: Mapped[bool] = mapped_column(default=False)
    requires_induction: Mapped[bool] = mapped_column(default=False)
    min_age: Mapped[int | None] = mapped_column()
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    max_booking_minutes: Mapped[int | None] = mapped_column()
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    site: Mapped[Site] = relationship()


class MaintenanceBlock(Base):
    """A time range during which one unit cannot be booked."""

    __tablename__ = "maintenance_blocks"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
