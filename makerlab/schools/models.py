from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makerlab import clock
from makerlab.audit import audited
from makerlab.db import Base, UTCDateTime


@audited
class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    address: Mapped[str] = mapped_column(sa.Text, default="")
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
