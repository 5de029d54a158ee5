from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from makerlab import clock
from makerlab.audit import audited
from makerlab.db import Base, UTCDateTime
from makerlab.enums import EquipmentStatus, sql_in
from makerlab.equipment.codes import MAX_LENGTH, code_prefix, next_number
from makerlab.sites.models import Site


@audited
class Equipment(Base):
    """One bookable unit (a printer, a kit, a room)."""

    __tablename__ = "equipment"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "name", name="uq_equipment_site_name"),
        sa.Index("ix_equipment_code", "code", unique=True),
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
    # Printed on the unit's label; given on first save (see below), never changed.
    code: Mapped[str] = mapped_column(sa.String(MAX_LENGTH))
    # What a kit holds: [{"item": "Mikrofon", "count": 2}, ...], checked off on return.
    contents: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    site: Mapped[Site] = relationship()


@event.listens_for(Session, "before_flush")
def _give_new_units_codes(session: Session, _context: Any, _instances: Any) -> None:
    """Every new unit gets the next free code of its site and category, however it is made.

    Units made in one flush are numbered in the order they were added. Two sessions
    adding units of the same kind at once: the service serialises them (a
    lock on the site row), and the unique key catches anything else.
    """
    new = [obj for obj in session.new if isinstance(obj, Equipment) and not obj.code]
    if not new:
        return
    with session.no_autoflush:
        names = dict(
            session.execute(
                sa.select(Site.id, Site.name).where(Site.id.in_({u.site_id for u in new}))
            ).all()
        )
        prefixes = {code_prefix(names.get(u.site_id, ""), u.category or "") for u in new}
        taken = list(
            session.scalars(
                sa.select(Equipment.code).where(
                    sa.or_(*(Equipment.code.startswith(p, autoescape=True) for p in prefixes))
                )
            )
        )
        for unit in new:  # in the order they were added to the session
            prefix = code_prefix(names.get(unit.site_id, ""), unit.category or "")
            unit.code = f"{prefix}{next_number(prefix, taken)}"
            taken.append(unit.code)


@audited
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
