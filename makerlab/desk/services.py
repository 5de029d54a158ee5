"""The lending desk: what a scanned unit code shows at the counter.

Reads equipment and bookings (neither knows about this room); handing out
and taking back go through ``bookings.loans`` as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from makerlab import clock
from makerlab.auth.models import User
from makerlab.auth.permissions import can
from makerlab.bookings.models import Booking
from makerlab.bookings.services import get_booking
from makerlab.enums import BookingStatus
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import unit_with_code
from makerlab.extensions import db

UPCOMING_LIMIT = 50  # the loan, the next booking and the one being handed out are among them


@dataclass
class DeskBooking:
    """A booking as the desk shows it: who booked it and who holds the kit."""

    booking: Booking
    booked_by: str
    holders: list[str] = field(default_factory=list)


@dataclass
class DeskScan:
    """A scanned unit: its loan now, its next booking, and a warning if it is the wrong one."""

    unit: Equipment
    loan: DeskBooking | None
    next: DeskBooking | None
    # The booking the desk was asked to hand out, when the scan is of another unit.
    wrong_for: Booking | None = None
    # The booking to hand out now: the asked-for one, else the unit's next.
    to_hand_out: DeskBooking | None = None


def expected_booking(actor: User, booking_id: int | None) -> Booking | None:
    """The booking the desk hands out next (``/desk?booking=``), or None."""
    if booking_id is None:
        return None
    return get_booking(actor, booking_id)


def scan(actor: User, scanned: str, expected: Booking | None = None) -> DeskScan | None:
    """What the desk shows for a scanned code or label URL (None if no unit has it).

    Participants' names appear only for roles that may see participants.
    """
    unit = unit_with_code(scanned)
    if unit is None:
        return None
    found = db.session.execute(
        sa.select(Booking, User.name, User.email)
        .options(selectinload(Booking.participants), joinedload(Booking.equipment))
        .outerjoin(User, User.id == Booking.booked_by_id)
        .where(
            Booking.equipment_id == unit.id,
            sa.or_(
                Booking.status == BookingStatus.CHECKED_OUT.value,
                sa.and_(
                    Booking.status == BookingStatus.RESERVED.value,
                    Booking.ends_at > clock.now(),
                ),
            ),
        )
        # The booking being handed out first, however far ahead it lies; then the
        # earliest: the loan (it started before any reservation) and the next one.
        .order_by(
            sa.case((Booking.id == (expected.id if expected else None), 0), else_=1),
            Booking.starts_at, Booking.id,
        )
        .limit(UPCOMING_LIMIT)
    ).all()
    rows = sorted(found, key=lambda row: (row[0].starts_at, row[0].id))
    names = can(actor, "participants.view")

    def shown(row: Any) -> DeskBooking:
        booking, name, email = row
        holders = [p.display_name for p in booking.participants] if names else []
        return DeskBooking(booking, name or email or "—", holders)

    loan = next((shown(r) for r in rows if r[0].status == BookingStatus.CHECKED_OUT.value), None)
    upcoming = [shown(r) for r in rows if r[0].status == BookingStatus.RESERVED.value]
    result = DeskScan(unit=unit, loan=loan, next=upcoming[0] if upcoming else None)
    if expected is not None and expected.equipment_id != unit.id:
        result.wrong_for = expected
    elif expected is not None:
        result.to_hand_out = next((b for b in upcoming if b.booking.id == expected.id), None)
    else:
        result.to_hand_out = result.next
    if loan is not None or not unit.loanable:
        result.to_hand_out = None
    return result


def wrong_unit_message(scanned: Equipment, expected: Booking) -> str:
    """What the desk says when the scanned kit is not the one of the booking being handed out."""
    return _(
        "Wrong kit: you scanned %(scanned)s (%(scanned_code)s), but booking #%(id)d is for "
        "%(expected)s (%(expected_code)s).",
        scanned=scanned.name,
        scanned_code=scanned.code,
        id=expected.id,
        expected=expected.equipment.name,
        expected_code=expected.equipment.code,
    )
