"""What the person at the counter needs today, in a fixed number of queries.

Reads bookings and workshops; neither of them knows about this room.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from makerlab import clock
from makerlab.auth.models import User
from makerlab.bookings.models import Booking, is_overdue
from makerlab.enums import BookingStatus
from makerlab.extensions import db
from makerlab.workshops.models import WorkshopSession
from makerlab.workshops.services import SessionView, session_views


@dataclass
class Today:
    """One site-local day. Booking lists hold ``(booking, booker's name, booker's e-mail)``."""

    day: dt.date
    now: dt.datetime
    start: dt.datetime  # the day's first instant
    end: dt.datetime  # the next day's first instant
    bookings: list[Any]
    sessions: list[SessionView]
    overdue: list[Any]
    due_today: list[Any]
    out_longer: list[Any]


def _with_booker() -> sa.Select[Booking, str, str]:
    return (
        sa.select(Booking, User.name, User.email)
        .options(joinedload(Booking.equipment))
        .outerjoin(User, User.id == Booking.booked_by_id)
    )


def today_at_the_lab(tz: str) -> Today:
    """Today's reservations, returns and sessions (``tz``'s day), and every kit that is out."""
    now = clock.now()
    day = clock.today(tz)
    start, end = clock.local_midnight(day, tz), clock.local_day_end(day, tz)
    bookings = db.session.execute(
        _with_booker()
        .where(
            Booking.starts_at < end,
            Booking.ends_at > start,
            # Kits out are listed apart, by when they are due.
            Booking.status.in_([BookingStatus.RESERVED.value, BookingStatus.RETURNED.value]),
        )
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    out = db.session.execute(
        _with_booker()
        .where(Booking.status == BookingStatus.CHECKED_OUT.value)
        .order_by(Booking.ends_at, Booking.id)
    ).all()
    sessions = db.session.scalars(
        sa.select(WorkshopSession)
        .options(joinedload(WorkshopSession.workshop))
        .where(WorkshopSession.starts_at < end, WorkshopSession.ends_at > start)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    ).all()
    return Today(
        day=day,
        now=now,
        start=start,
        end=end,
        bookings=list(bookings),
        sessions=session_views(sessions),
        overdue=[row for row in out if is_overdue(row[0].status, row[0].ends_at, now)],
        due_today=[row for row in out if now <= row[0].ends_at < end],
        out_longer=[row for row in out if row[0].ends_at >= end],
    )
