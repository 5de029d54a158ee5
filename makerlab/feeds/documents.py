"""What each feed holds, as iCalendar documents built by :mod:`makerlab.ical`.

UIDs are stable (``booking-<id>@makerlab``, ``session-<id>@<host>``), so
calendar apps update events in place; cancelled ones stay in the feed with
``STATUS:CANCELLED`` so subscribers see them go. No feed names a
participant: bookings show the unit and purpose, sessions the workshop and,
for a school, its classes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import icalendar
import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from makerlab import clock, ical
from makerlab.bookings.models import Booking
from makerlab.enums import EnrolmentStatus, SessionStatus
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.extensions import db
from makerlab.sites.models import Site
from makerlab.workshops.models import Enrolment, WorkshopSession

# How far back a feed reaches: calendar apps keep what they already have.
FEED_HISTORY = dt.timedelta(days=90)


def booking_uid(booking_id: int) -> str:
    return f"booking-{booking_id}@makerlab"


def _booking_event(booking: Booking, unit: Equipment) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", booking_uid(booking.id))
    event.add("dtstamp", booking.updated_at or booking.created_at)
    event.add("last-modified", booking.updated_at or booking.created_at)
    event.add("created", booking.created_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", unit.name + (f": {booking.purpose}" if booking.purpose else ""))
    if unit.location:
        event.add("location", unit.location)
    cancelled = booking.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("url", url_for("bookings.detail", booking_id=booking.id, _external=True))
    return event


def _block_event(block: MaintenanceBlock, unit: Equipment) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"maintenance-{block.id}@makerlab")
    event.add("dtstamp", block.created_at)
    event.add("dtstart", block.starts_at)
    event.add("dtend", block.ends_at)
    summary = _("Maintenance: %(unit)s", unit=unit.name)
    event.add("summary", summary + (f" ({block.reason})" if block.reason else ""))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def unit_calendar(unit: Equipment) -> bytes:
    """Bookings and maintenance of one unit."""
    since = clock.now() - FEED_HISTORY
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(Booking.equipment_id == unit.id, Booking.ends_at > since)
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    blocks = db.session.scalars(
        sa.select(MaintenanceBlock)
        .where(MaintenanceBlock.equipment_id == unit.id, MaintenanceBlock.ends_at > since)
        .order_by(MaintenanceBlock.starts_at, MaintenanceBlock.id)
    ).all()
    events = [_booking_event(b, unit) for b in bookings] + [_block_event(b, unit) for b in blocks]
    return ical.document(events, name=f"Makerlab: {unit.name}")


def bookings_of(user_id: int) -> bytes:
    """The bookings one user made."""
    since = clock.now() - FEED_HISTORY
    rows = db.session.execute(
        sa.select(Booking, Equipment)
        .join(Equipment, Equipment.id == Booking.equipment_id)
        .where(Booking.booked_by_id == user_id, Booking.ends_at > since)
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    events = [_booking_event(b, unit) for b, unit in rows]
    return ical.document(events, name=_("Makerlab: my bookings"))


def _session_events(
    sessions: Sequence[WorkshopSession], notes: dict[int, list[str]] | None = None
) -> list[icalendar.Event]:
    sites = {s.id: s for s in db.session.scalars(sa.select(Site))}
    stamp = clock.now()
    return [
        ical.session_event(
            s,
            sites.get(s.site_id),
            stamp=stamp,
            notes=(notes or {}).get(s.id, []),
            url=url_for("workshops.session", session_id=s.id, _external=True),
        )
        for s in sessions
    ]


def _recent_sessions() -> sa.Select[WorkshopSession]:
    return (
        sa.select(WorkshopSession)
        .options(sa.orm.joinedload(WorkshopSession.workshop))
        .where(WorkshopSession.ends_at > clock.now() - FEED_HISTORY)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    )


def school_sessions(school_id: int) -> bytes:
    """The sessions a school has classes enrolled in (or had, if the session was cancelled)."""
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .join(WorkshopSession, WorkshopSession.id == Enrolment.session_id)
        .where(
            Enrolment.school_id == school_id,
            Enrolment.participant_id.is_(None),
            WorkshopSession.ends_at > clock.now() - FEED_HISTORY,
            sa.or_(
                Enrolment.status != EnrolmentStatus.CANCELLED.value,
                WorkshopSession.status == SessionStatus.CANCELLED.value,
            ),
        )
        .order_by(Enrolment.created_at, Enrolment.id)
    ).all()
    notes: dict[int, list[str]] = {}
    for enrolment in enrolments:
        notes.setdefault(enrolment.session_id, []).append(_class_note(enrolment))
    sessions = db.session.scalars(_recent_sessions().where(WorkshopSession.id.in_(notes))).all()
    return ical.document(_session_events(sessions, notes), name=_("Makerlab: our workshops"))


def _class_note(enrolment: Enrolment) -> str:
    status = {
        EnrolmentStatus.CONFIRMED.value: _("confirmed"),
        EnrolmentStatus.WAITLISTED.value: _("waitlisted"),
        EnrolmentStatus.CANCELLED.value: _("cancelled"),
    }[enrolment.status]
    return _(
        "Class %(name)s, %(seats)d seats: %(status)s",
        name=enrolment.class_name,
        seats=enrolment.seats,
        status=status,
    )


def programme() -> bytes:
    """The public programme: every session, no enrolments."""
    sessions = db.session.scalars(_recent_sessions()).all()
    return ical.document(_session_events(sessions), name=_("Makerlab: workshop programme"))
