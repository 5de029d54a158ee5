"""What needs someone's attention: future bookings and sessions a change made impossible.

Reads the ``attention`` the re-planning left on bookings and workshop
sessions, adds up to three suggestions per booking (``bookings.suggestions``)
and says who booked what. Lives above bookings and workshops because it
reads both; a page of items costs the same statements as one item.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from makerlab import clock
from makerlab.auth.models import User
from makerlab.bookings.models import Booking
from makerlab.bookings.moves import move_booking
from makerlab.bookings.services import cancel_booking
from makerlab.bookings.suggestions import Suggestion, suggest_moves
from makerlab.enums import AttentionReason, SessionStatus
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.notifications.emails import queue_email, when
from makerlab.planning.notices import BookingPlace, notify_moved
from makerlab.sites.services import find_site
from makerlab.workshops.models import WorkshopSession

# Reasons a different unit or time can cure; consent, inductions and age are
# about the people on a booking, so moving it suggests nothing.
PLACE_REASONS = frozenset(
    {
        AttentionReason.CLOSURE.value,
        AttentionReason.MAINTENANCE.value,
        AttentionReason.UNIT_UNAVAILABLE.value,
        AttentionReason.OPENING_HOURS.value,
    }
)


@dataclass
class AttentionItem:
    """One booking or session that needs attention, with its reasons and where it could go."""

    kind: str  # "booking" | "session"
    id: int
    site_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reasons: list[dict[str, str]]
    booking: Booking | None = None
    session: WorkshopSession | None = None
    booked_by: User | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    units: dict[int, Equipment] = field(default_factory=dict)  # the suggested units by id

    @property
    def booked_by_id(self) -> int | None:
        return self.booking.booked_by_id if self.booking is not None else None


def move_and_tell(
    actor: User,
    booking: Booking,
    *,
    equipment_id: int | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
) -> Booking:
    """Move one booking (``bookings.moves.move_booking``) and tell its booker the new unit or
    time through the outbox, unless they moved it themselves. Flushes, never commits."""
    before = BookingPlace.of(booking)
    move_booking(actor, booking, equipment_id=equipment_id, starts_at=starts_at, ends_at=ends_at)
    if booking.booked_by_id != actor.id:
        notify_moved(booking, before)
    return booking


def cancel_and_tell(
    actor: User, booking: Booking, *, scope: str = "this", reason: str = ""
) -> list[Booking]:
    """Cancel (``bookings.services.cancel_booking``); with a ``reason``, someone else's
    booking's booker gets one e-mail saying what was cancelled and why. Flushes only."""
    reason = " ".join((reason or "").split())[:500]
    started = clock.now()
    targets = cancel_booking(actor, booking, scope=scope)
    cancelled = [t for t in targets if t.cancelled_at is not None and t.cancelled_at >= started]
    if reason and cancelled and booking.booked_by_id not in (None, actor.id):
        _tell_cancelled(booking, cancelled, reason)
    return targets


def _tell_cancelled(booking: Booking, cancelled: list[Booking], reason: str) -> None:
    person = db.session.get(User, booking.booked_by_id)
    if person is None or not person.active:
        return
    locale = person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    site = find_site(booking.equipment.site_id)
    tz = site.timezone if site else str(current_app.config["TIMEZONE"])
    ids = ",".join(str(b.id) for b in cancelled)
    queue_email(
        dedupe_key=f"cancelled:{ids}"[:200],
        to=person.email,
        template="booking_cancelled",
        locale=locale,
        user_name=person.name or person.email,
        unit=booking.equipment.name,
        dates=[when(b.starts_at, b.ends_at, tz, locale) for b in cancelled],
        reason=reason,
    )


def _flagged(column: Any) -> sa.ColumnElement[bool]:
    """A non-empty ``attention`` list (JSON on both databases)."""
    return sa.func.json_array_length(column) > 0


def attention_items(
    *, site_id: int | None = None, mine_first: int | None = None
) -> list[AttentionItem]:
    """Every future booking and session needing attention, soonest first (``mine_first``: that
    user's bookings before the others); a session's own units follow the session."""
    now = clock.now()
    sessions = _flagged_sessions(now, site_id)
    covered = {s.id for s in sessions}
    bookings = [
        b
        for b in _flagged_bookings(now, site_id)
        if b.session_id is None or b.session_id not in covered
    ]
    users = _users({b.booked_by_id for b in bookings if b.booked_by_id is not None})
    items = [
        AttentionItem(
            kind="booking",
            id=b.id,
            site_id=b.equipment.site_id,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            reasons=list(b.attention),
            booking=b,
            booked_by=users.get(b.booked_by_id) if b.booked_by_id is not None else None,
        )
        for b in bookings
    ]
    items += [
        AttentionItem(
            kind="session",
            id=s.id,
            site_id=s.site_id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            reasons=list(s.attention),
            session=s,
        )
        for s in sessions
    ]
    items.sort(
        key=lambda i: (
            i.booked_by_id != mine_first if mine_first else False,
            i.starts_at,
            i.kind,
            i.id,
        )
    )
    return items


def add_suggestions(items: list[AttentionItem]) -> list[AttentionItem]:
    """Fill in up to three suggestions for each booking whose problem is its place or time."""
    movable = [
        i.booking
        for i in items
        if i.booking is not None and any(r.get("reason") in PLACE_REASONS for r in i.reasons)
    ]
    found = suggest_moves(movable)
    unit_ids = {s.equipment_id for found_for in found.values() for s in found_for}
    units = (
        {
            u.id: u
            for u in db.session.scalars(sa.select(Equipment).where(Equipment.id.in_(unit_ids)))
        }
        if unit_ids
        else {}
    )
    for item in items:
        item.suggestions = found.get(item.id, []) if item.kind == "booking" else []
        item.units = {s.equipment_id: units[s.equipment_id] for s in item.suggestions}
    return items


def _flagged_bookings(now: dt.datetime, site_id: int | None) -> list[Booking]:
    stmt = (
        sa.select(Booking)
        .join(Equipment, Equipment.id == Booking.equipment_id)
        .options(joinedload(Booking.equipment))
        .where(Booking.is_active, Booking.ends_at > now, _flagged(Booking.attention))
        .order_by(Booking.starts_at, Booking.id)
    )
    if site_id is not None:
        stmt = stmt.where(Equipment.site_id == site_id)
    return list(db.session.scalars(stmt))


def _flagged_sessions(now: dt.datetime, site_id: int | None) -> list[WorkshopSession]:
    stmt = (
        sa.select(WorkshopSession)
        .options(joinedload(WorkshopSession.workshop))
        .where(
            WorkshopSession.status == SessionStatus.SCHEDULED.value,
            WorkshopSession.ends_at > now,
            _flagged(WorkshopSession.attention),
        )
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    )
    if site_id is not None:
        stmt = stmt.where(WorkshopSession.site_id == site_id)
    return list(db.session.scalars(stmt))


def _users(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
