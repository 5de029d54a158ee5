"""Moving one booking to another unit or time (re-planning after a change elsewhere).

A move is an edit of one occurrence (``update_booking`` with scope ``this``):
every rule of a new booking is checked again, the booking keeps its id and
its series, and the audit records the old and new unit and times. A unit a
workshop session reserved may only be swapped for another unit of the same
kind at the same site and time; the session's time is changed on the session.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from makerlab import clock
from makerlab.auth.models import User
from makerlab.bookings.models import Booking
from makerlab.bookings.services import get_booking, update_booking
from makerlab.db import hold_write_lock
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import site_of
from makerlab.errors import Invalid
from makerlab.extensions import db


def move_booking(
    actor: User,
    booking: Booking,
    *,
    equipment_id: int | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
) -> Booking:
    """Move one booking (one occurrence of a series) to another unit and/or time.

    A new start without a new end keeps the booking's length. Every rule is
    checked as for a new booking (422, 409) and nothing changes when one
    refuses; the booking keeps its id and ``series_id``. Flushes, never commits.
    """
    if equipment_id is None and starts_at is None and ends_at is None:
        raise Invalid({"equipment_id": [_("Choose another unit, another time or both.")]})
    hold_write_lock(db.session)
    booking = get_booking(actor, booking.id)
    unit = _target_unit(booking, equipment_id)
    new_start, new_end = _target_times(booking, unit, starts_at, ends_at)
    if booking.session_id is not None:
        _check_session_unit(booking, unit, (new_start, new_end))
    changes: dict[str, object] = {}
    if unit.id != booking.equipment_id:
        changes["equipment_id"] = unit.id
    if new_start != booking.starts_at:
        changes["starts_at"] = new_start
    if new_end != booking.ends_at:
        changes["ends_at"] = new_end
    if not changes:
        raise Invalid({"equipment_id": [_("The booking is already at this unit and time.")]})
    update_booking(actor, booking, scope="this", **changes)
    return booking


def _target_unit(booking: Booking, equipment_id: int | None) -> Equipment:
    """The unit the booking goes to: the one named, or its own."""
    if equipment_id is None or equipment_id == booking.equipment_id:
        return booking.equipment
    unit = db.session.get(Equipment, equipment_id) if isinstance(equipment_id, int) else None
    if unit is None:
        raise Invalid({"equipment_id": [_("Unknown equipment.")]})
    return unit


def _target_times(
    booking: Booking,
    unit: Equipment,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
) -> tuple[dt.datetime, dt.datetime]:
    """The new start and end in UTC (naive times are the unit's site wall clock)."""
    tz = site_of(unit).timezone
    start = clock.as_utc(starts_at, tz, "starts_at") if starts_at is not None else None
    end = clock.as_utc(ends_at, tz, "ends_at") if ends_at is not None else None
    if start is not None and end is None:
        end = start + (booking.ends_at - booking.starts_at)
    start = start or booking.starts_at
    end = end or booking.ends_at
    if end <= start:
        raise Invalid({"ends_at": [_("The end must be after the start.")]})
    return start, end


def _check_session_unit(
    booking: Booking, unit: Equipment, times: tuple[dt.datetime, dt.datetime]
) -> None:
    """A session's reserved unit changes only for one of the same kind, at the session's time."""
    if times != (booking.starts_at, booking.ends_at):
        field = "starts_at" if times[0] != booking.starts_at else "ends_at"
        raise Invalid(
            {
                field: [
                    _(
                        "This unit is reserved for a workshop session and keeps the session's "
                        "time; change the session to move it."
                    )
                ]
            }
        )
    current = booking.equipment
    if unit.category != current.category or unit.site_id != current.site_id:
        raise Invalid(
            {
                "equipment_id": [
                    _(
                        "A workshop session needs a unit of the same kind at the same site "
                        "instead of %(unit)s.",
                        unit=current.name,
                    )
                ]
            }
        )
