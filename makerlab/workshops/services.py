"""Workshops, sessions and enrolments: SPEC rules 8-11.

Seats are a per-session resource: every check-then-write on a session's
seats first takes the session's lock (:func:`lock_session`), so concurrent
enrolments and cancellations never push a session over capacity.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from makerlab import categories, clock, email_addresses
from makerlab.auth.models import User
from makerlab.auth.permissions import STAFF, is_teacher
from makerlab.bookings.availability import free_units
from makerlab.bookings.models import Booking
from makerlab.bookings.services import cancel_booking, create_booking
from makerlab.categories import is_slug
from makerlab.db import hold_write_lock, is_possible_id, lock_for_update
from makerlab.enums import EnrolmentStatus, SessionStatus
from makerlab.errors import Conflict, Forbidden, Invalid, NotFound
from makerlab.extensions import db
from makerlab.participants.models import Participant
from makerlab.participants.rules import consent_and_age_problems
from makerlab.schools.models import School
from makerlab.sites.models import Site
from makerlab.sites.services import find_site
from makerlab.workshops import mails
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession, class_key

CONFIRMED = EnrolmentStatus.CONFIRMED.value
WAITLISTED = EnrolmentStatus.WAITLISTED.value
CANCELLED = EnrolmentStatus.CANCELLED.value
ACTIVE = (CONFIRMED, WAITLISTED)
MAX_UNITS_PER_CATEGORY = 100
# Teachers and helpers with one class: more than a bus-load is a typing mistake.
MAX_ADULTS = 50
WORKSHOP_FIELDS = (
    "title",
    "description",
    "min_age",
    "max_age",
    "facilitator_id",
    "equipment_needs",
)


def _refuse_nul(**values: Any) -> None:
    """Text with NUL characters cannot be stored (PostgreSQL refuses it): 422, not 500."""
    bad = {
        k: [_("Contains characters that are not allowed.")]
        for k, v in values.items()
        if isinstance(v, str) and "\x00" in v
    }
    if bad:
        raise Invalid(bad)


# --------------------------------------------------------------------------- workshops


def visible_workshops(actor: User) -> sa.Select[Workshop]:
    """Every workshop (the programme is public to all roles)."""
    return sa.select(Workshop).order_by(Workshop.title, Workshop.id)


def get_workshop(actor: User, workshop_id: int) -> Workshop:
    """One workshop, or 404."""
    workshop = db.session.get(Workshop, workshop_id) if is_possible_id(workshop_id) else None
    if workshop is None:
        raise NotFound(_("No such workshop."))
    return workshop


def clean_equipment_needs(needs: Any) -> dict[str, int]:
    """``{category: units}`` with slug keys and positive whole numbers (zeros dropped)."""
    if needs is None:
        return {}
    if not isinstance(needs, dict):
        raise Invalid({"equipment_needs": [_("Expected an object of category: units.")]})
    clean: dict[str, int] = {}
    problems: list[str] = []
    for category, units in needs.items():
        if not is_slug(category):
            problems.append(_("%(category)s is not a valid category.", category=category))
            continue
        if isinstance(units, bool) or not isinstance(units, int):
            problems.append(_("Units for %(category)s must be a whole number.", category=category))
            continue
        if units < 0 or units > MAX_UNITS_PER_CATEGORY:
            problems.append(
                _(
                    "Units for %(category)s must be between 0 and %(max)d.",
                    category=category,
                    max=MAX_UNITS_PER_CATEGORY,
                )
            )
            continue
        if units:
            clean[category] = units
    if problems:
        raise Invalid({"equipment_needs": problems})
    return clean


def _check_workshop_values(values: dict[str, Any], workshop: Workshop | None) -> None:
    _refuse_nul(title=values.get("title"), description=values.get("description"))
    errors: dict[str, list[str]] = {}
    if "title" in values and not str(values["title"] or "").strip():
        errors["title"] = [_("Please enter a title.")]
    min_age = values.get("min_age", workshop.min_age if workshop else None)
    max_age = values.get("max_age", workshop.max_age if workshop else None)
    for key, age in (("min_age", min_age), ("max_age", max_age)):
        if age is not None and not 0 <= age <= 120:
            errors[key] = [_("Please enter an age between 0 and 120.")]
    if min_age is not None and max_age is not None and min_age > max_age:
        errors.setdefault("max_age", []).append(
            _("The maximum age cannot be below the minimum age.")
        )
    facilitator_id = values.get("facilitator_id")
    if facilitator_id is not None:
        user = db.session.get(User, facilitator_id) if is_possible_id(facilitator_id) else None
        if user is None or not user.active or user.role not in STAFF:
            errors["facilitator_id"] = [_("The facilitator must be an active staff account.")]
    if errors:
        raise Invalid(errors)


def create_workshop(actor: User, **values: Any) -> Workshop:
    """Add a workshop (title, description, age range, facilitator, equipment needs)."""
    values = {k: v for k, v in values.items() if k in WORKSHOP_FIELDS}
    values.setdefault("title", "")
    values["equipment_needs"] = clean_equipment_needs(values.get("equipment_needs"))
    _check_workshop_values(values, None)
    values["title"] = values["title"].strip()
    values["description"] = values.get("description") or ""
    workshop = Workshop(**values)
    db.session.add(workshop)
    db.session.flush()
    return workshop


def update_workshop(actor: User, workshop: Workshop, **changes: Any) -> Workshop:
    """Change a workshop; new equipment needs apply to sessions planned or moved later."""
    changes = {k: v for k, v in changes.items() if k in WORKSHOP_FIELDS}
    if "equipment_needs" in changes:
        changes["equipment_needs"] = clean_equipment_needs(changes["equipment_needs"])
    _check_workshop_values(changes, workshop)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    for key, value in changes.items():
        setattr(workshop, key, value)
    db.session.flush()
    return workshop


# --------------------------------------------------------------------------- sessions


@dataclasses.dataclass
class SessionView:
    """A session with its derived seat figures (what the API and pages show)."""

    session: WorkshopSession
    seats_taken: int
    waitlist: list[int]

    @property
    def seats_free(self) -> int:
        return max(self.session.capacity - self.seats_taken, 0)

    @property
    def started(self) -> bool:
        """Begun (or over): free seats are no news, enrolments are closed."""
        return self.session.starts_at <= clock.now()

    @property
    def over(self) -> bool:
        """Ended: it can no longer be cancelled."""
        return self.session.ends_at <= clock.now()

    def __getattr__(self, name: str) -> Any:
        # Everything else reads through to the session (id, starts_at, ...).
        return getattr(self.session, name)


def session_views(sessions: Sequence[WorkshopSession]) -> list[SessionView]:
    """Seat figures for many sessions in two queries."""
    ids = [s.id for s in sessions]
    taken: dict[int, int] = {}
    waitlists: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        taken = {
            sid: int(total or 0)
            for sid, total in db.session.execute(
                sa.select(Enrolment.session_id, sa.func.sum(Enrolment.seats))
                .where(Enrolment.session_id.in_(ids), Enrolment.status == CONFIRMED)
                .group_by(Enrolment.session_id)
            )
        }
        for sid, eid in db.session.execute(
            sa.select(Enrolment.session_id, Enrolment.id)
            .where(Enrolment.session_id.in_(ids), Enrolment.status == WAITLISTED)
            .order_by(Enrolment.created_at, Enrolment.id)
        ):
            waitlists[sid].append(eid)
    return [SessionView(s, taken.get(s.id, 0), waitlists[s.id]) for s in sessions]


def session_view(session: WorkshopSession) -> SessionView:
    """Seat figures of one session."""
    return session_views([session])[0]


def get_session(actor: User, session_id: int) -> WorkshopSession:
    """One session (every role may see the programme), or 404."""
    session = (
        db.session.get(WorkshopSession, session_id, options=[joinedload(WorkshopSession.workshop)])
        if is_possible_id(session_id)
        else None
    )
    if session is None:
        raise NotFound(_("No such session."))
    return session


def sessions_of(workshop: Workshop, *, upcoming_only: bool = False) -> sa.Select[WorkshopSession]:
    """A workshop's sessions in date order."""
    stmt = (
        sa.select(WorkshopSession)
        .where(WorkshopSession.workshop_id == workshop.id)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    )
    if upcoming_only:
        stmt = stmt.where(WorkshopSession.ends_at > clock.now())
    return stmt


def upcoming_sessions(*, limit: int | None = None) -> list[SessionView]:
    """Scheduled sessions that have not ended yet, soonest first, with seat figures."""
    stmt = (
        sa.select(WorkshopSession)
        .options(joinedload(WorkshopSession.workshop))
        .where(
            WorkshopSession.status == SessionStatus.SCHEDULED.value,
            WorkshopSession.ends_at > clock.now(),
        )
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    )
    if limit:
        stmt = stmt.limit(limit)
    return session_views(db.session.scalars(stmt).all())


def _site_for(site_id: int | None) -> Site:
    if site_id is None:
        site = db.session.scalar(sa.select(Site).order_by(Site.id).limit(1))
        if site is None:
            raise Invalid({"site_id": [_("No site exists yet.")]})
        return site
    site = find_site(site_id) if is_possible_id(site_id) else None
    if site is None:
        raise Invalid({"site_id": [_("Unknown site.")]})
    return site


def session_day(session: WorkshopSession) -> dt.date:
    """The site-local calendar day a session starts on."""
    site = find_site(session.site_id)
    tz = site.timezone if site else current_app.config["TIMEZONE"]
    return clock.to_local(session.starts_at, tz).date()


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid({"ends_at": [_("The end must be after the start.")]})


def create_session(
    actor: User,
    workshop: Workshop,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    site_id: int | None = None,
    location: str = "",
) -> WorkshopSession:
    """Plan a dated run of a workshop and reserve its equipment (rule 8, all or nothing)."""
    _refuse_nul(location=location)
    hold_write_lock(db.session)
    site = _site_for(site_id)
    starts_at = clock.as_utc(starts_at, site.timezone, "starts_at")
    ends_at = clock.as_utc(ends_at, site.timezone, "ends_at")
    _check_times(starts_at, ends_at)
    if capacity < 0:
        raise Invalid({"capacity": [_("The capacity cannot be negative.")]})
    with db.session.begin_nested():
        session = WorkshopSession(
            workshop_id=workshop.id,
            site_id=site.id,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            location=(location or "").strip(),
            status=SessionStatus.SCHEDULED.value,
        )
        session.workshop = workshop
        db.session.add(session)
        db.session.flush()
        reserve_equipment(actor, session)
    return session


def _cancelled(session: WorkshopSession) -> bool:
    return session.status == SessionStatus.CANCELLED.value


def update_session(actor: User, session: WorkshopSession, **changes: Any) -> WorkshopSession:
    """Move, resize or relocate a session; moving re-reserves its equipment (all or nothing)."""
    _refuse_nul(location=changes.get("location"))
    lock_session(session)
    if _cancelled(session):
        raise Conflict(_("This session has been cancelled."))
    site = _site_for(changes["site_id"]) if changes.get("site_id") is not None else None
    tz_site = site or _site_for(session.site_id)
    starts_at = clock.as_utc(
        changes.get("starts_at") or session.starts_at, tz_site.timezone, "starts_at"
    )
    ends_at = clock.as_utc(changes.get("ends_at") or session.ends_at, tz_site.timezone, "ends_at")
    _check_times(starts_at, ends_at)
    moved = (
        starts_at != session.starts_at
        or ends_at != session.ends_at
        or (site is not None and site.id != session.site_id)
    )
    capacity = changes.get("capacity")
    if capacity is not None:
        if capacity < 0:
            raise Invalid({"capacity": [_("The capacity cannot be negative.")]})
        taken = session_view(session).seats_taken
        if capacity < taken:
            raise Conflict(
                _(
                    "%(taken)d seats are confirmed; the capacity cannot go below that. "
                    "Cancel enrolments first.",
                    taken=taken,
                ),
                errors={"capacity": [_("At least %(taken)d seats are needed.", taken=taken)]},
            )
    relocated = changes.get("location") is not None and changes["location"].strip() != (
        session.location or "")
    with db.session.begin_nested():
        if moved:
            release_equipment(actor, session)
            session.starts_at, session.ends_at = starts_at, ends_at
            if site is not None:
                session.site_id = site.id
            db.session.flush()
            reserve_equipment(actor, session)
        if capacity is not None:
            session.capacity = capacity
        if changes.get("location") is not None:
            session.location = changes["location"].strip()
        if moved or relocated:
            session.sequence += 1
        session.attention = []  # changed: whoever changed it has looked at it
        db.session.flush()
    if moved or relocated:
        mails.session_changed(active_enrolments(session), session)
    if capacity is not None:
        promote_waitlist(session)
    return session


def active_enrolments(session: WorkshopSession) -> list[Enrolment]:
    """Confirmed and waitlisted enrolments of a session, in enrolment order."""
    return list(db.session.scalars(
        sa.select(Enrolment)
        .options(selectinload(Enrolment.participant), selectinload(Enrolment.school))
        .where(Enrolment.session_id == session.id, Enrolment.status.in_(ACTIVE))
        .order_by(Enrolment.created_at, Enrolment.id)
    ))


@dataclasses.dataclass
class SessionCancellation:
    """What cancelling a session ends: its enrolments, the contacts told, the units freed."""

    enrolments: list[Enrolment]
    contacts: list[str]
    units: list[str]

    @property
    def classes(self) -> int:
        return sum(1 for e in self.enrolments if e.participant_id is None)

    @property
    def participants(self) -> int:
        return sum(1 for e in self.enrolments if e.participant_id is not None)

    @property
    def seats(self) -> int:
        return sum(e.seats for e in self.enrolments)


def session_cancellation(session: WorkshopSession) -> SessionCancellation:
    """What :func:`cancel_session` would end now (asked before; 409 if it is cancelled)."""
    if _cancelled(session):
        raise Conflict(_("This session has been cancelled already."))
    enrolments = active_enrolments(session)
    contacts = sorted({c for c in map(mails.contact_of, enrolments) if c})
    units = [b.equipment.name for b in session_bookings(session)]
    return SessionCancellation(enrolments, contacts, units)


def cancel_session(actor: User, session: WorkshopSession, reason: str = "") -> WorkshopSession:
    """Cancel a session: free its equipment and tell every enrolled contact (with ``reason``)."""
    _refuse_nul(reason=reason)
    reason = (reason or "").strip()[:500]
    lock_session(session)
    if _cancelled(session):
        raise Conflict(_("This session has been cancelled already."))
    if session.ends_at <= clock.now():
        raise Conflict(_("This session is over; it can no longer be cancelled."))
    release_equipment(actor, session)
    now = clock.now()
    session.status = SessionStatus.CANCELLED.value
    session.cancelled_at = now
    session.sequence += 1
    session.attention = []
    for enrolment in active_enrolments(session):
        enrolment.status = CANCELLED
        enrolment.cancelled_at = now
        mails.session_cancelled(enrolment, session, reason)
    db.session.flush()
    return session


# --------------------------------------------------------------------------- equipment (rule 8)


def equipment_check(
    needs: dict[str, int], site_id: int, starts_at: dt.datetime, ends_at: dt.datetime
) -> list[dict[str, Any]]:
    """Per needed category: units needed, the free units, and whether it is enough."""
    rows = []
    for category, needed in sorted(needs.items()):
        units = free_units(category, site_id, starts_at, ends_at)
        rows.append(
            {
                "category": category,
                "needed": needed,
                "free": len(units),
                "units": units,
                "enough": len(units) >= needed,
            }
        )
    return rows


def reserve_equipment(actor: User, session: WorkshopSession) -> list[Booking]:
    """Book ``equipment_needs`` units per category for the session: all or nothing (409)."""
    needs = clean_equipment_needs(session.workshop.equipment_needs)
    if not needs:
        return []
    check = equipment_check(needs, session.site_id, session.starts_at, session.ends_at)
    missing = [
        {"category": r["category"], "needed": r["needed"], "free": r["free"]}
        for r in check
        if not r["enough"]
    ]
    if missing:
        raise _missing_conflict(missing)
    bookings = []
    purpose = _("Workshop: %(title)s", title=session.workshop.title)[:500]
    try:
        with db.session.begin_nested():
            for row in check:
                for unit in row["units"][: row["needed"]]:
                    outcome = create_booking(
                        actor,
                        equipment_id=unit.id,
                        starts_at=session.starts_at,
                        ends_at=session.ends_at,
                        purpose=purpose,
                        session_id=session.id,
                    )
                    bookings.extend(outcome.bookings)
    except Conflict as exc:
        # A unit was taken between the check and the booking (or a rule the
        # booking service knows refused it): nothing of this session is kept.
        raise Conflict(
            _(
                "The equipment for this session could not be reserved: %(reason)s",
                reason=exc.detail,
            ),
            conflicts=exc.conflicts,
            errors={"equipment_needs": [exc.detail]},
        ) from exc
    except Invalid as exc:
        raise Invalid(
            {"equipment_needs": [m for msgs in exc.errors.values() for m in msgs]}
        ) from exc
    return bookings


def _missing_conflict(missing: list[dict[str, Any]]) -> Conflict:
    """409 naming each category short of units (in ``errors.equipment_needs``)."""
    parts = [
        _(
            "%(category)s: %(needed)d needed, %(free)d free",
            category=categories.label(m["category"]),
            needed=m["needed"],
            free=m["free"],
        )
        for m in missing
    ]
    text = _("Not enough free equipment for this session: %(parts)s.", parts="; ".join(parts))
    return Conflict(text, errors={"equipment_needs": parts})


def session_bookings(session: WorkshopSession) -> list[Booking]:
    """The active bookings that hold equipment for this session."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .options(joinedload(Booking.equipment))
            .where(Booking.session_id == session.id, Booking.is_active)
            .order_by(Booking.id)
        ).all()
    )


def release_equipment(actor: User, session: WorkshopSession) -> None:
    """Cancel the session's equipment bookings through the booking service."""
    bookings = session_bookings(session)
    for booking in bookings:
        cancel_booking(actor, booking)
    db.session.flush()


# --------------------------------------------------------------------------- enrolments


def lock_session(session: WorkshopSession) -> WorkshopSession:
    """Serialise seat changes of one session and see its seats as last committed."""
    return lock_for_update(db.session, session)


def visible_enrolments(actor: User) -> sa.Select[Enrolment]:
    """Enrolments the actor may see: teachers only their own school's classes.

    A single participant's enrolment is not the school's, and it names a
    child: teachers get no participant data at all.
    """
    stmt = sa.select(Enrolment)
    if is_teacher(actor):
        stmt = stmt.where(Enrolment.school_id == actor.school_id)
    return stmt


def enrolments_of(actor: User, session: WorkshopSession) -> sa.Select[Enrolment]:
    """A session's enrolments the actor may see, in enrolment order."""
    return (
        visible_enrolments(actor)
        .where(Enrolment.session_id == session.id)
        .options(selectinload(Enrolment.school), selectinload(Enrolment.participant))
        .order_by(Enrolment.created_at, Enrolment.id)
    )


def get_enrolment(actor: User, enrolment_id: int) -> Enrolment:
    """One enrolment; another school's answers 404 to teachers (never reveal existence)."""
    enrolment = (
        db.session.scalar(visible_enrolments(actor).where(Enrolment.id == enrolment_id))
        if is_possible_id(enrolment_id)
        else None
    )
    if enrolment is None:
        raise NotFound(_("No such enrolment."))
    return enrolment


def waitlist_position(enrolment: Enrolment) -> int | None:
    """1-based place of a waitlisted enrolment in its session's waitlist."""
    if enrolment.status != WAITLISTED:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Enrolment)
        .where(
            Enrolment.session_id == enrolment.session_id,
            Enrolment.status == WAITLISTED,
            sa.or_(
                Enrolment.created_at < enrolment.created_at,
                sa.and_(Enrolment.created_at == enrolment.created_at, Enrolment.id < enrolment.id),
            ),
        )
    )
    return int(ahead or 0) + 1


def _class_values(
    actor: User,
    school_id: int | None,
    class_name: str | None,
    headcount: int | None,
    contact_email: str | None,
    accompanying_adults: int | None,
) -> dict[str, Any]:
    _refuse_nul(class_name=class_name, contact_email=contact_email)
    errors: dict[str, list[str]] = {}
    if is_teacher(actor) and school_id is None:
        school_id = actor.school_id
    school = (
        db.session.get(School, school_id)
        if school_id is not None and is_possible_id(school_id)
        else None
    )
    if school_id is None:
        errors["school_id"] = [_("Please choose a school.")]
    elif school is None or (is_teacher(actor) and school.id != actor.school_id):
        # Teachers naming another school get the answer an unknown id gets.
        errors["school_id"] = [_("No such school.")]
    name = (class_name or "").strip()
    if not name:
        errors["class_name"] = [_("Please name the class.")]
    if headcount is None or headcount < 1:
        errors["headcount"] = [_("The class needs at least one pupil.")]
    if accompanying_adults is not None and not 0 <= accompanying_adults <= MAX_ADULTS:
        errors["accompanying_adults"] = [
            _("Between 0 and %(max)d accompanying adults, please.", max=MAX_ADULTS)
        ]
    email = (contact_email or "").strip()
    if not email:
        email = (
            (actor.email if is_teacher(actor) else None)
            or (school.contact_email if school else "")
            or ""
        )
    if not email:
        errors["contact_email"] = [_("Please give a contact e-mail address.")]
    elif problem := email_addresses.problem(email):
        errors["contact_email"] = [problem]
    if errors:
        raise Invalid(errors)
    assert school is not None and headcount is not None
    return {
        "school_id": school.id,
        "class_name": name,
        "headcount": headcount,
        "seats": headcount,
        "contact_email": email,
        "accompanying_adults": accompanying_adults or 0,
    }


def _refuse_second_class(session: WorkshopSession, values: dict[str, Any]) -> None:
    """The same class of the same school once per session (cancelled enrolments aside): 409."""
    duplicate = db.session.scalar(
        sa.select(Enrolment.id).where(
            Enrolment.session_id == session.id,
            Enrolment.school_id == values["school_id"],
            Enrolment.class_key == class_key(values["class_name"]),
            Enrolment.status.in_(ACTIVE),
        )
    )
    if duplicate is not None:
        raise Conflict(
            _(
                "Class %(name)s of this school is enrolled in this session already.",
                name=values["class_name"],
            ),
            enrolment_id=duplicate,
        )


def _participant_values(session: WorkshopSession, participant_id: int) -> dict[str, Any]:
    participant = (
        db.session.get(Participant, participant_id) if is_possible_id(participant_id) else None
    )
    if participant is None:
        raise Invalid({"participant_id": [_("No such participant.")]})
    workshop = session.workshop
    problems = consent_and_age_problems(
        participant, session_day(session), min_age=workshop.min_age, max_age=workshop.max_age
    )
    if problems:
        raise Invalid({"participant_id": problems})
    return {"participant_id": participant.id, "seats": 1}


def enrol(
    actor: User,
    session: WorkshopSession,
    *,
    school_id: int | None = None,
    class_name: str | None = None,
    headcount: int | None = None,
    contact_email: str | None = None,
    participant_id: int | None = None,
    accompanying_adults: int | None = None,
) -> Enrolment:
    """Enrol a class or a participant: confirmed if the seats fit, else waitlisted (rule 9).

    A class's ``accompanying_adults`` are counted apart: they take no seats.
    """
    is_class = any(
        v is not None for v in (school_id, class_name, headcount, contact_email)
    ) or bool(accompanying_adults)
    if participant_id is not None and is_teacher(actor):
        raise Forbidden(_("Teachers enrol whole classes of their own school."))
    if participant_id is not None and is_class:
        raise Invalid({"participant_id": [_("Enrol either a class or one participant, not both.")]})
    if participant_id is None and not is_class and not is_teacher(actor):
        raise Invalid({"_schema": [_("Enrol either a class or one participant.")]})
    lock_session(session)
    if _cancelled(session):
        raise Conflict(_("This session has been cancelled."))
    if not enrolment_open(session, actor):
        raise Conflict(_("This session has started; enrolments are closed."))
    if participant_id is not None:
        values = _participant_values(session, participant_id)
        duplicate = db.session.scalar(
            sa.select(Enrolment.id).where(
                Enrolment.session_id == session.id,
                Enrolment.participant_id == participant_id,
                Enrolment.status.in_(ACTIVE),
            )
        )
        if duplicate is not None:
            raise Conflict(
                _("This participant is enrolled in this session already."), enrolment_id=duplicate
            )
    else:
        values = _class_values(
            actor, school_id, class_name, headcount, contact_email, accompanying_adults
        )
        _refuse_second_class(session, values)
    seats_free = session_view(session).seats_free
    enrolment = Enrolment(
        session_id=session.id,
        status=CONFIRMED if values["seats"] <= seats_free else WAITLISTED,
        enrolled_by_id=actor.id,
        created_at=clock.now(),
        **values,
    )
    enrolment.session = session
    db.session.add(enrolment)
    db.session.flush()
    mails.enrolment_received(enrolment, session, waitlist_position(enrolment))
    return enrolment


def enrolment_open(session: WorkshopSession, actor: User) -> bool:
    """Enrolments are taken until a session starts, and never for a cancelled one.

    Staff may still add a class or a participant afterwards: recording who
    came without having enrolled, so that attendance and reports are right.
    """
    if _cancelled(session):
        return False
    return clock.now() < session.starts_at or actor.role in STAFF


@dataclasses.dataclass
class EnrolmentCancellation:
    """What cancelling an enrolment frees, and who would move up from the waitlist."""

    enrolment: Enrolment
    seats_freed: int
    promoted: list[Enrolment]


def enrolment_cancellation(enrolment: Enrolment) -> EnrolmentCancellation:
    """What :func:`cancel_enrolment` would do now (asked before; 409 if already cancelled)."""
    if enrolment.status == CANCELLED:
        raise Conflict(_("This enrolment has been cancelled already."))
    session = enrolment.session
    if enrolment.status != CONFIRMED or _cancelled(session):
        return EnrolmentCancellation(enrolment, 0, [])
    free = session_view(session).seats_free + enrolment.seats
    waiting = [e for e in _waitlist(session) if e.id != enrolment.id]
    return EnrolmentCancellation(enrolment, enrolment.seats, _first_fit(waiting, free))


def cancel_enrolment(actor: User, enrolment: Enrolment) -> list[Enrolment]:
    """Cancel an enrolment; freed seats go to the waitlist, first fit. Returns those promoted."""
    session = enrolment.session
    lock_session(session)
    db.session.refresh(enrolment)
    if enrolment.status == CANCELLED:
        raise Conflict(_("This enrolment has been cancelled already."))
    if session.starts_at <= clock.now() and is_teacher(actor):
        # Staff may still correct the list (who came); a school's history stays as it was.
        raise Conflict(_("This session has started; enrolments can no longer be cancelled."))
    was_confirmed = enrolment.status == CONFIRMED
    enrolment.status = CANCELLED
    enrolment.cancelled_at = clock.now()
    db.session.flush()
    if was_confirmed:
        mails.enrolment_cancelled(enrolment, session)
    return promote_waitlist(session)


def promote_waitlist(session: WorkshopSession) -> list[Enrolment]:
    """Confirm waitlisted enrolments in waitlist order, each one that fits; notify them.

    The caller holds the session's lock (:func:`lock_session`).
    """
    if _cancelled(session):
        return []
    promoted = _first_fit(_waitlist(session), session_view(session).seats_free)
    for enrolment in promoted:
        enrolment.status = CONFIRMED
    db.session.flush()
    for enrolment in promoted:
        mails.enrolment_promoted(enrolment, session)
    return promoted


def attendance_open(session: WorkshopSession) -> bool:
    """Attendance exists only once a session has started (and it was not cancelled)."""
    return not _cancelled(session) and session.starts_at <= clock.now()


def check_attendance_open(session: WorkshopSession) -> None:
    """409 before the session starts: who came is not known yet (and would count in reports)."""
    if _cancelled(session):
        raise Conflict(_("This session has been cancelled."))
    if not attendance_open(session):
        raise Conflict(_("Attendance can be recorded once the session has started."))


def _waitlist(session: WorkshopSession) -> list[Enrolment]:
    """A session's waitlisted enrolments in waitlist order."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .options(selectinload(Enrolment.participant), selectinload(Enrolment.school))
            .where(Enrolment.session_id == session.id, Enrolment.status == WAITLISTED)
            .order_by(Enrolment.created_at, Enrolment.id)
        )
    )


def _first_fit(waiting: Sequence[Enrolment], free: int) -> list[Enrolment]:
    """Who moves up into ``free`` seats: in waitlist order, each one that fits (rule 9)."""
    chosen = []
    for enrolment in waiting:
        if free <= 0:
            break
        if enrolment.seats <= free:
            free -= enrolment.seats
            chosen.append(enrolment)
    return chosen


def record_attendance(actor: User, enrolment: Enrolment, attended_count: int) -> Enrolment:
    """Record how many of the enrolment's seats were filled on the day (once it has begun)."""
    problem = _attendance_problem(enrolment, attended_count)
    if problem:
        raise Invalid({"attended_count": [problem]})
    if enrolment.status != CONFIRMED:
        raise Conflict(_("Attendance can only be recorded for confirmed enrolments."))
    check_attendance_open(enrolment.session)
    enrolment.attended_count = attended_count
    db.session.flush()
    return enrolment


def record_roster(actor: User, counts: Sequence[tuple[Enrolment, int]]) -> int:
    """Record the attendance of several enrolments at once: all rows or none.

    A refusal lists every refused row under its enrolment id (422); rows
    that are not confirmed are refused as well.
    """
    problems: dict[str, list[str]] = {}
    for enrolment, attended_count in counts:
        problem = (
            _("Attendance can only be recorded for confirmed enrolments.")
            if enrolment.status != CONFIRMED
            else _attendance_problem(enrolment, attended_count)
        )
        if problem:
            problems[str(enrolment.id)] = [problem]
    if problems:
        raise Invalid(problems)
    for session in {enrolment.session for enrolment, _count in counts}:
        check_attendance_open(session)
    for enrolment, attended_count in counts:
        enrolment.attended_count = attended_count
    db.session.flush()
    return len(counts)


def _attendance_problem(enrolment: Enrolment, attended_count: int) -> str | None:
    if attended_count < 0 or attended_count > enrolment.seats:
        return _("Enter a number between 0 and %(max)d.", max=enrolment.seats)
    return None
