from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from makerlab import clock
from makerlab.audit import audited
from makerlab.db import Base, UTCDateTime


@audited
class Site(Base):
    """A centre. ``opening_hours`` maps ``mon``..``sun`` to ``[["09:00","18:00"], ...]``."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    address: Mapped[str] = mapped_column(sa.Text, default="")
    opening_hours: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    closures: Mapped[list[Closure]] = relationship(
        back_populates="site", order_by="Closure.starts_on", cascade="all, delete-orphan"
    )


@audited
class Closure(Base):
    """Days the site is closed; ``ends_on`` is inclusive."""

    __tablename__ = "closures"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    site: Mapped[Site] = relationship(back_populates="closures")


@audited
class Term(Base):
    """A named range of days kept for reports: a school term or year (``ends_on`` inclusive)."""

    __tablename__ = "terms"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        sa.UniqueConstraint("site_id", "name", name="uq_terms_site_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
