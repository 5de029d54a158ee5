"""Telling people that a plan changed: once per change and person, through the outbox.

The booker of each affected booking hears in their own language, every
contact of an affected session's enrolments in German (class contacts have
no account). After a booking is moved, :func:`notify_moved` tells its booker
the new unit or time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import selectinload

from makerlab.auth.models import User
from makerlab.bookings.models import Booking
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.labels import attention_label
from makerlab.notifications.emails import mail_language, queue_email, when
from makerlab.planning.hits import Impact, Item, detail_of
from makerlab.sites.services import find_site
from makerlab.workshops.mails import contact_of
from makerlab.workshops.models import Enrolment, WorkshopSession

ACTIVE_ENROLMENTS = ("confirmed", "waitlisted")


def _who(address: str) -> str:
    """A short stable stand-in for an address in a dedupe key (keys are at most 200 long)."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


def _tz(site_id: int) -> str:
    site = find_site(site_id)
    return site.timezone if site else str(current_app.config["TIMEZONE"])


def _reasons(items: list[Item], locale: str | None) -> list[dict[str, Any]]:
    """Each item's label and detail in the reader's language and date style."""
    # The label is lazy: it is translated while the mail renders, in the reader's language.
    with force_locale(mail_language(locale)):
        return [
            {"label": attention_label(i.reason), "detail": detail_of(i.as_json())} for i in items
        ]


def tell_people(impact: Impact) -> int:
    """Queue one e-mail per person for ``impact``; returns how many were new."""
    return _tell_bookers(impact) + _tell_contacts(impact)


def _tell_bookers(impact: Impact) -> int:
    mine: dict[int, list[Booking]] = defaultdict(list)
    for booking in impact.bookings:
        if booking.booked_by_id is not None:
            mine[booking.booked_by_id].append(booking)
    if not mine:
        return 0
    people = db.session.scalars(
        sa.select(User).where(User.id.in_(mine), User.active.is_(True)).order_by(User.id)
    ).all()
    queued = 0
    for person in people:
        locale = person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        rows = []
        for booking in sorted(mine[person.id], key=lambda b: (b.starts_at, b.id)):
            unit: Equipment = booking.equipment
            rows.append(
                {
                    "id": booking.id,
                    "unit": unit.name,
                    "when": when(booking.starts_at, booking.ends_at, _tz(unit.site_id), locale),
                    "reasons": _reasons(impact.bookings[booking], locale),
                }
            )
        note = queue_email(
            dedupe_key=f"attention:{impact.key}:user:{person.id}",
            to=person.email,
            template="attention_bookings",
            locale=locale,
            user_name=person.name or person.email,
            rows=rows,
        )
        queued += note is not None
    return queued


def _tell_contacts(impact: Impact) -> int:
    if not impact.sessions:
        return 0
    by_id = {s.id: s for s in impact.sessions}
    stmt = (
        sa.select(Enrolment)
        .options(selectinload(Enrolment.participant), selectinload(Enrolment.school))
        .where(Enrolment.session_id.in_(by_id), Enrolment.status.in_(ACTIVE_ENROLMENTS))
        .order_by(Enrolment.id)
    )
    if impact.participant_id is not None:
        stmt = stmt.where(Enrolment.participant_id == impact.participant_id)
    enrolments = db.session.scalars(stmt).all()
    told: dict[str, list[tuple[WorkshopSession, Enrolment]]] = defaultdict(list)
    for enrolment in enrolments:
        address = contact_of(enrolment)
        if address:
            told[address.strip()].append((by_id[enrolment.session_id], enrolment))
    locale = str(current_app.config["BABEL_DEFAULT_LOCALE"])  # contacts read German
    queued = 0
    for address, pairs in sorted(told.items()):
        rows = [
            {
                "title": session.workshop.title,
                "when": when(session.starts_at, session.ends_at, _tz(session.site_id), locale),
                "class_name": enrolment.class_name,
                "school_name": enrolment.school.name if enrolment.school else "",
                "reasons": _reasons(impact.sessions[session], locale),
            }
            for session, enrolment in sorted(pairs, key=lambda p: (p[0].starts_at, p[1].id))
        ]
        note = queue_email(
            dedupe_key=f"attention:{impact.key}:contact:{_who(address)}",
            to=address,
            template="attention_sessions",
            locale=locale,
            rows=rows,
        )
        queued += note is not None
    return queued


# --------------------------------------------------------------------------- moves


@dataclass(frozen=True)
class BookingPlace:
    """Where and when a booking was: taken before a move, for :func:`notify_moved`."""

    equipment_id: int
    unit_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    @classmethod
    def of(cls, booking: Booking) -> BookingPlace:
        return cls(booking.equipment_id, booking.equipment.name, booking.starts_at, booking.ends_at)


def notify_moved(booking: Booking, before: BookingPlace) -> bool:
    """Tell the booker (in their language) a booking's new unit or time; once per move.

    Call after the move is flushed, in the same transaction. Returns whether a
    mail was queued (nothing moved, an unknown or inactive booker: no mail).
    """
    after = BookingPlace.of(booking)
    if after == before or booking.booked_by_id is None:
        return False
    person = db.session.get(User, booking.booked_by_id)
    if person is None or not person.active:
        return False
    locale = person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    unit: Equipment = booking.equipment
    tz = _tz(unit.site_id)
    stamps = (before.starts_at, after.starts_at, after.ends_at)
    was, now, until = (int(t.timestamp()) for t in stamps)
    key = f"moved:{booking.id}:{before.equipment_id}:{was}:{after.equipment_id}:{now}:{until}"
    note = queue_email(
        dedupe_key=key,
        to=person.email,
        template="booking_moved",
        locale=locale,
        user_name=person.name or person.email,
        booking_id=booking.id,
        before_unit=before.unit_name,
        before_when=when(before.starts_at, before.ends_at, tz, locale),
        after_unit=after.unit_name,
        after_when=when(after.starts_at, after.ends_at, tz, locale),
        unit_changed=after.equipment_id != before.equipment_id,
        time_changed=(after.starts_at, after.ends_at) != (before.starts_at, before.ends_at),
        session_id=booking.session_id,
    )
    return note is not None
