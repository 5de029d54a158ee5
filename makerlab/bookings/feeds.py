"""iCalendar feeds: one per unit and one per user ("my bookings").

UIDs are stable (``booking-<id>@makerlab``), so calendar apps update events
in place; cancelled bookings stay in the feed with ``STATUS:CANCELLED`` so
subscribers see them disappear. Times are written in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import sqlalchemy as sa
from flask import Blueprint, Response, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from makerlab import clock, ical
from makerlab.auth.permissions import can
from makerlab.auth.services import user_for_token
from makerlab.bookings.models import Booking
from makerlab.enums import BookingStatus
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.extensions import db

# How far back a feed reaches: calendar apps keep what they already have.
FEED_HISTORY = dt.timedelta(days=90)


def booking_uid(booking_id: int) -> str:
    return f"booking-{booking_id}@makerlab"


def _feed_user() -> Any:
    """The session's user, or the owner of ``?token=``; 401 without either."""
    token = request.args.get("token")
    if token:
        user = user_for_token(token)
        if user is None:
            abort(401)
        return user
    if current_user.is_authenticated:
        return current_user
    abort(401)


def _event_for_booking(booking: Booking, unit: Equipment) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", booking_uid(booking.id))
    event.add("dtstamp", booking.updated_at or booking.created_at)
    event.add("last-modified", booking.updated_at or booking.created_at)
    event.add("created", booking.created_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    summary = unit.name + (f": {booking.purpose}" if booking.purpose else "")
    event.add("summary", summary)
    if unit.location:
        event.add("location", unit.location)
    cancelled = booking.status == BookingStatus.CANCELLED.value
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("url", url_for("bookings.detail", booking_id=booking.id, _external=True))
    return event


def _event_for_block(block: MaintenanceBlock, unit: Equipment) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"maintenance-{block.id}@makerlab")
    event.add("dtstamp", block.created_at)
    event.add("dtstart", block.starts_at)
    event.add("dtend", block.ends_at)
    event.add(
        "summary",
        _("Maintenance: %(unit)s", unit=unit.name) + (f" ({block.reason})" if block.reason else ""),
    )
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def equipment_feed(equipment_id: int) -> Response:
    """Bookings and maintenance of one unit (staff session or ``?token=``)."""
    user = _feed_user()
    if not can(user, "bookings.view"):
        abort(403)
    unit = db.session.get(Equipment, equipment_id)
    if unit is None:
        abort(404)
    since = clock.now() - FEED_HISTORY
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(Booking.equipment_id == unit.id, Booking.ends_at > since)
        .order_by(Booking.starts_at)
    ).all()
    blocks = db.session.scalars(
        sa.select(MaintenanceBlock)
        .where(MaintenanceBlock.equipment_id == unit.id, MaintenanceBlock.ends_at > since)
        .order_by(MaintenanceBlock.starts_at)
    ).all()
    events = [_event_for_booking(b, unit) for b in bookings]
    events += [_event_for_block(b, unit) for b in blocks]
    return _response(
        ical.document(events, name=f"Makerlab: {unit.name}"), f"equipment-{unit.id}.ics"
    )


def my_feed() -> Response:
    """The bookings the token's (or session's) user made."""
    user = _feed_user()
    if not can(user, "bookings.view"):
        abort(403)
    since = clock.now() - FEED_HISTORY
    rows = db.session.execute(
        sa.select(Booking, Equipment)
        .join(Equipment, Equipment.id == Booking.equipment_id)
        .where(Booking.booked_by_id == user.id, Booking.ends_at > since)
        .order_by(Booking.starts_at)
    ).all()
    events = [_event_for_booking(b, unit) for b, unit in rows]
    name = _("Makerlab: my bookings")
    return _response(ical.document(events, name=name), "my-bookings.ics")


# The authorization matrix reads this: staff, by session or by token.
equipment_feed.required_permission = "bookings.view"  # type: ignore[attr-defined]


def register(bp: Blueprint) -> None:
    """Add the feed routes to the bookings blueprint."""
    bp.add_url_rule("/calendar/equipment/<int:equipment_id>.ics", "equipment_feed", equipment_feed)
    bp.add_url_rule("/calendar/me.ics", "my_feed", my_feed)
