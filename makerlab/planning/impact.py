"""What a change elsewhere does to future bookings and sessions, found and recorded in one place.

A closure, a maintenance block, a unit taken out of service, a kit returned
damaged, new opening hours, a withdrawn consent, a lapsed induction or a
changed birth date can make commitments already made impossible. Every entry
point (pages, API, CLI, jobs, signal subscribers) describes its change as one
of the ``Change`` classes below and calls :func:`find_impact` (what it hits,
for a preview) and :func:`record_impact` (the ``attention`` on each hit and
the notifications), or both at once through :func:`replan`.

"Future" means not yet over (``ends_at`` after now) and still on: active
bookings, scheduled sessions. Site-wide changes (closures, opening hours)
hit a session as a whole and leave out the bookings holding its units;
changes to one unit hit those bookings themselves (they are what is moved).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from makerlab import clock, messages
from makerlab.auth.models import User
from makerlab.bookings.models import Booking, booking_participants
from makerlab.enums import AttentionReason, EnrolmentStatus, EquipmentStatus, SessionStatus
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.equipment.services import site_of
from makerlab.extensions import db
from makerlab.participants import rules as people_rules
from makerlab.participants.models import Induction, Participant
from makerlab.planning.hits import Impact, Item
from makerlab.planning.notices import tell_people
from makerlab.sites import services as sites
from makerlab.sites.models import Closure, Site
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

ACTIVE_ENROLMENTS = (EnrolmentStatus.CONFIRMED.value, EnrolmentStatus.WAITLISTED.value)


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class ClosureChange:
    """A site closed from ``starts_on`` to ``ends_on`` (inclusive); ``key`` once saved."""

    site: Site
    starts_on: dt.date
    ends_on: dt.date
    reason: str = ""
    key: str = "closure:new"

    @classmethod
    def of(cls, closure: Closure, site: Site) -> ClosureChange:
        key = f"closure:{closure.id}"
        return cls(site, closure.starts_on, closure.ends_on, closure.reason, key)


@dataclass(frozen=True)
class MaintenanceChange:
    """A unit blocked for ``[starts_at, ends_at)``."""

    unit: Equipment
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str = ""
    key: str = "maintenance:new"

    @classmethod
    def of(cls, block: MaintenanceBlock, unit: Equipment) -> MaintenanceChange:
        return cls(unit, block.starts_at, block.ends_at, block.reason, f"maintenance:{block.id}")


@dataclass(frozen=True)
class UnitChange:
    """A unit out of service: its status set to maintenance or retired, or returned damaged.

    ``before``: its status before; a unit already out, or back to available,
    hits nothing. ``returned_by``: the booking whose damaged return put it out
    (not itself hit).
    """

    unit: Equipment
    before: str
    key: str
    returned_by: Booking | None = None
    note: str = ""

    @classmethod
    def status_set(cls, unit: Equipment, before: str) -> UnitChange:
        """``unit``'s status just changed from ``before`` (or not: then it hits nothing)."""
        stamp = clock.now().isoformat(timespec="seconds")
        return cls(unit, before, f"unit-status:{unit.id}:{unit.status}:{stamp}")

    @classmethod
    def damaged(cls, booking: Booking, note: str = "") -> UnitChange:
        """``booking``'s kit came back damaged and went into maintenance."""
        unit = booking.equipment
        return cls(unit, EquipmentStatus.AVAILABLE.value, f"damaged:{booking.id}", booking, note)


@dataclass(frozen=True)
class OpeningHoursChange:
    """A site's opening hours changed from ``before`` to the site's current ones."""

    site: Site
    before: dict[str, Any]
    after: dict[str, Any]
    key: str


def opening_hours_change(site: Site, before: dict[str, Any]) -> OpeningHoursChange:
    """The change from ``before`` to the site's current hours (hitting nothing if the same)."""
    after = dict(site.opening_hours or {})
    stamp = clock.now().isoformat(timespec="seconds")
    return OpeningHoursChange(site, before, after, f"opening-hours:{site.id}:{stamp}")


@dataclass(frozen=True)
class ParticipantChange:
    """Something about a participant changed; ``reasons`` says which rules to check again."""

    participant: Participant
    reasons: frozenset[str]
    key: str
    # An induction counted as gone already: what deleting it would do, asked before.
    without_induction: int | None = None

    @classmethod
    def induction_deleted(cls, induction: Induction, participant: Participant) -> ParticipantChange:
        """``induction`` deleted (or about to be): bookings that needed it."""
        reasons = frozenset({AttentionReason.INDUCTION.value})
        return cls(participant, reasons, f"induction-deleted:{induction.id}", induction.id)


Change = ClosureChange | MaintenanceChange | UnitChange | OpeningHoursChange | ParticipantChange


def find_impact(change: Change) -> Impact:
    """The future bookings and sessions ``change`` makes impossible, with why; writes nothing."""
    if isinstance(change, ClosureChange):
        return _closure_impact(change)
    if isinstance(change, MaintenanceChange):
        return _maintenance_impact(change)
    if isinstance(change, UnitChange):
        return _unit_impact(change)
    if isinstance(change, OpeningHoursChange):
        return _opening_hours_impact(change)
    return _participant_impact(change)


def _future_bookings(*where: sa.ColumnElement[bool]) -> list[Booking]:
    """Active bookings not yet over matching ``where``, with unit and participants."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .options(joinedload(Booking.equipment), selectinload(Booking.participants))
            .join(Equipment, Equipment.id == Booking.equipment_id)
            .where(Booking.is_active, Booking.ends_at > clock.now(), *where)
            .order_by(Booking.starts_at, Booking.id)
        ).unique()
    )


def _future_sessions(*where: sa.ColumnElement[bool]) -> list[WorkshopSession]:
    """Scheduled sessions not yet over matching ``where``, with their workshop."""
    return list(
        db.session.scalars(
            sa.select(WorkshopSession)
            .options(joinedload(WorkshopSession.workshop))
            .where(
                WorkshopSession.status == SessionStatus.SCHEDULED.value,
                WorkshopSession.ends_at > clock.now(),
                *where,
            )
            .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        )
    )


def _closure_impact(change: ClosureChange) -> Impact:
    site, tz = change.site, change.site.timezone
    start = clock.local_midnight(change.starts_on, tz)
    end = clock.local_day_end(change.ends_on, tz)
    item = Item.of(
        AttentionReason.CLOSURE.value, "closure", site=site.name,
        days=messages.days(change.starts_on, change.ends_on), note=change.reason,
    )
    impact = Impact(change.key)
    for booking in _future_bookings(
        Equipment.site_id == site.id,
        Booking.session_id.is_(None),
        Booking.starts_at < end,
        Booking.ends_at > start,
    ):
        impact.add_booking(booking, item)
    for session in _future_sessions(
        WorkshopSession.site_id == site.id,
        WorkshopSession.starts_at < end,
        WorkshopSession.ends_at > start,
    ):
        impact.add_session(session, item)
    return impact


def _maintenance_impact(change: MaintenanceChange) -> Impact:
    unit = change.unit
    tz = site_of(unit).timezone
    item = Item.of(
        AttentionReason.MAINTENANCE.value, "maintenance", unit=unit.name,
        start=messages.moment(change.starts_at, tz), end=messages.moment(change.ends_at, tz),
        note=change.reason,
    )
    impact = Impact(change.key)
    for booking in _future_bookings(
        Booking.equipment_id == unit.id,
        Booking.starts_at < change.ends_at,
        Booking.ends_at > change.starts_at,
    ):
        impact.add_booking(booking, item)
    return impact


def _unit_impact(change: UnitChange) -> Impact:
    unit = change.unit
    if unit.status == EquipmentStatus.AVAILABLE.value or change.before != (
        EquipmentStatus.AVAILABLE.value
    ):
        return Impact(change.key)  # back in service, or out already: nothing new
    reason = AttentionReason.UNIT_UNAVAILABLE.value
    if change.returned_by is not None:
        item = Item.of(reason, "damaged", unit=unit.name, note=change.note)
    elif unit.status == EquipmentStatus.RETIRED.value:
        item = Item.of(reason, "retired", unit=unit.name)
    else:
        item = Item.of(reason, "out_of_service", unit=unit.name)
    impact = Impact(change.key)
    where = [Booking.equipment_id == unit.id]
    if change.returned_by is not None:
        where.append(Booking.id != change.returned_by.id)
    for booking in _future_bookings(*where):
        impact.add_booking(booking, item)
    return impact


def _hours_site(site: Site, hours: dict[str, Any]) -> Site:
    """A stand-in for ``site`` with other opening hours (never added to the session)."""
    return Site(id=site.id, name=site.name, timezone=site.timezone, opening_hours=hours)


def _fits(site: Site, booking: Booking) -> bool:
    """Whether a booking keeps to the opening hours (rule 4, closures aside)."""
    if booking.equipment.loanable:
        return sites.is_open_at(site, booking.starts_at) and sites.is_open_at(
            site, booking.ends_at
        )
    return sites.within_opening_hours(site, booking.starts_at, booking.ends_at)


def _opening_hours_impact(change: OpeningHoursChange) -> Impact:
    site = change.site
    if sites.validate_opening_hours(change.before) == sites.validate_opening_hours(change.after):
        return Impact(change.key)
    before, after = _hours_site(site, change.before), _hours_site(site, change.after)
    item = Item.of(AttentionReason.OPENING_HOURS.value, "opening_hours", site=site.name)
    impact = Impact(change.key)
    for booking in _future_bookings(
        Equipment.site_id == site.id, Booking.session_id.is_(None)
    ):
        if _fits(before, booking) and not _fits(after, booking):  # this change left it out
            impact.add_booking(booking, item)
    for session in _future_sessions(WorkshopSession.site_id == site.id):
        if sites.within_opening_hours(
            before, session.starts_at, session.ends_at
        ) and not sites.within_opening_hours(after, session.starts_at, session.ends_at):
            impact.add_session(session, item)
    return impact


# --------------------------------------------------------------------------- people


def _local_day(instant: dt.datetime, site_id: int) -> dt.date:
    site = sites.find_site(site_id)
    tz = site.timezone if site else str(current_app.config["TIMEZONE"])
    return clock.to_local(instant, tz).date()


def _person_items(
    person: Participant,
    day: dt.date,
    reasons: frozenset[str],
    *,
    min_age: int | None,
    max_age: int | None = None,
) -> list[Item]:
    """Consent and age problems of ``person`` on ``day`` (the rules of ``participants.rules``)."""
    found: list[Item] = []
    name = person.display_name
    age = person.age_on(day)
    too_young = age is not None and min_age is not None and age < min_age
    too_old = age is not None and max_age is not None and age > max_age
    if AttentionReason.AGE in reasons and (age is None or too_young or too_old):
        problems = people_rules.consent_and_age_findings(
            person, day, min_age=min_age, max_age=max_age
        )
        if problems:
            found.append(Item.of(AttentionReason.AGE.value, problems[0].message,
                                 **problems[0].params))
        else:
            found.append(Item.of(AttentionReason.AGE.value, "age_limit", name=name))
    if (
        AttentionReason.CONSENT in reasons
        and age is not None
        and age < people_rules.ADULT_AGE
        and not person.guardian_consent
    ):
        found.append(Item.of(AttentionReason.CONSENT.value, "minor_without_consent", name=name))
    return found


def _participant_impact(change: ParticipantChange) -> Impact:
    person = change.participant
    impact = Impact(change.key, participant_id=person.id)
    booked = _future_bookings(
        Booking.id.in_(
            sa.select(booking_participants.c.booking_id).where(
                booking_participants.c.participant_id == person.id
            )
        )
    )
    found = _booking_items(booked, [person], change.reasons, change.without_induction)
    for booking, _person, item in found:
        impact.add_booking(booking, item)
    if change.reasons & {AttentionReason.CONSENT, AttentionReason.AGE}:
        sessions = _future_sessions(
            WorkshopSession.id.in_(
                sa.select(Enrolment.session_id).where(
                    Enrolment.participant_id == person.id,
                    Enrolment.status.in_(ACTIVE_ENROLMENTS),
                )
            )
        )
        for session in sessions:
            workshop: Workshop = session.workshop
            day = _local_day(session.starts_at, session.site_id)
            for item in _person_items(
                person, day, change.reasons, min_age=workshop.min_age, max_age=workshop.max_age
            ):
                # A session's attention is seen by teachers too: the enrolment, not the name.
                impact.add_session(session, _session_item(item, person))
    return impact


def _session_item(item: Item, person: Participant) -> Item:
    if item.reason == AttentionReason.CONSENT:
        return Item.of(item.reason, "session_consent", id=person.id)
    return Item.of(item.reason, "session_age", id=person.id)


def _booking_items(
    bookings: Sequence[Booking],
    people: Sequence[Participant],
    reasons: frozenset[str],
    without_induction: int | None = None,
) -> Iterable[tuple[Booking, Participant, Item]]:
    """Per booking of ``people``: their consent, age and induction problems on its day."""
    wanted = {p.id for p in people}
    inducted = (
        _inducted_by_day(bookings, wanted, without_induction)
        if AttentionReason.INDUCTION in reasons
        else {}
    )
    for booking in bookings:
        unit = booking.equipment
        day = _local_day(booking.starts_at, unit.site_id)
        for person in booking.participants:
            if person.id not in wanted:
                continue
            for item in _person_items(person, day, reasons, min_age=unit.min_age):
                yield booking, person, item
            if AttentionReason.INDUCTION in reasons and unit.requires_induction:
                problem = people_rules.induction_finding(
                    person, unit.category, inducted.get((person.id, day), set())
                )
                if problem:
                    yield booking, person, Item.of(
                        AttentionReason.INDUCTION.value, problem.message, **problem.params
                    )


def _inducted_by_day(
    bookings: Sequence[Booking], participant_ids: set[int], without: int | None = None
) -> dict[tuple[int, dt.date], set[str]]:
    """(participant, day) -> categories with a valid induction that day; one query."""
    rows = db.session.execute(
        sa.select(
            Induction.participant_id, Induction.category, Induction.completed_on,
            Induction.valid_until,
        ).where(Induction.participant_id.in_(participant_ids), Induction.id != (without or 0))
    ).all()
    result: dict[tuple[int, dt.date], set[str]] = {}
    for booking in bookings:
        day = _local_day(booking.starts_at, booking.equipment.site_id)
        for pid in participant_ids:
            result[(pid, day)] = {
                category
                for who, category, completed_on, until in rows
                if who == pid and completed_on <= day and (until is None or until >= day)
            }
    return result


def lapsed_inductions() -> list[Impact]:
    """Future bookings whose participants lack a valid induction for the unit (the daily check).

    One ``Impact`` per participant and category, keyed by the participant's
    latest ``valid_until`` for it, so a run repeated the same day (or the next)
    tells nobody twice, and a renewed and lapsed again induction tells again.
    """
    bookings = _future_bookings(
        Equipment.requires_induction.is_(True),
        Booking.id.in_(sa.select(booking_participants.c.booking_id)),
    )
    people = {p.id: p for b in bookings for p in b.participants}
    latest = _latest_validity(set(people))
    impacts: dict[tuple[int, str], Impact] = {}
    hits = list(
        _booking_items(
            bookings, list(people.values()), frozenset({AttentionReason.INDUCTION.value})
        )
    )
    for booking, person, item in hits:
        category = booking.equipment.category
        until = latest.get((person.id, category))
        key = f"induction:{person.id}:{category}:{until.isoformat() if until else 'none'}"
        impacts.setdefault((person.id, category), Impact(key)).add_booking(booking, item)
    return list(impacts.values())


def flag_lapsed_inductions(now: dt.datetime | None = None) -> int:
    """The daily job: flag and tell what lapsed inductions hit; how many bookings were hit."""
    impacts = lapsed_inductions()
    for impact in impacts:
        record_impact(impact)
    return len({b.id for impact in impacts for b in impact.bookings})


def _latest_validity(participant_ids: set[int]) -> dict[tuple[int, str], dt.date | None]:
    if not participant_ids:
        return {}
    rows = db.session.execute(
        sa.select(Induction.participant_id, Induction.category, Induction.valid_until).where(
            Induction.participant_id.in_(participant_ids)
        )
    )
    latest: dict[tuple[int, str], dt.date | None] = {}
    for pid, category, until in rows:
        known = latest.get((pid, category))
        latest[(pid, category)] = max(filter(None, (known, until)), default=None)
    return latest


# --------------------------------------------------------------------------- recording


def _merged(current: list[dict[str, Any]] | None, items: list[Item]) -> list[dict[str, Any]]:
    merged = list(current or [])
    for item in items:
        if not any(item.matches(stored) for stored in merged):
            merged.append(item.as_json())
    return merged


def record_impact(impact: Impact, actor: User | None = None) -> Impact:
    """Put ``impact``'s items on each booking and session and tell the people once; flushes."""
    for booking, items in impact.bookings.items():
        booking.attention = _merged(booking.attention, items)  # a new list: JSON sees the change
    for session, items in impact.sessions.items():
        session.attention = _merged(session.attention, items)
    db.session.flush()
    tell_people(impact)
    return impact


def replan(change: Change, actor: User | None = None, *, preview: bool = False) -> Impact:
    """Find what ``change`` hits and, unless ``preview``, record it and tell the people.

    A unit back in service takes its ``unit_unavailable`` items off its future
    bookings (nothing to tell: the bookings hold again).
    """
    impact = find_impact(change)
    if not preview:
        record_impact(impact, actor)
        lift_undone(change)
    return impact


def lift_undone(change: Change) -> None:
    """A unit back in service: its future bookings lose their ``unit_unavailable`` items."""
    if (isinstance(change, UnitChange) and change.unit.status == EquipmentStatus.AVAILABLE.value
            and change.before != EquipmentStatus.AVAILABLE.value):
        _lift(_future_bookings(Booking.equipment_id == change.unit.id),
              lambda item: item.get("reason") == AttentionReason.UNIT_UNAVAILABLE.value)


def reopen(closure: Closure, site: Site) -> None:
    """Before a closure is deleted: take the items it put on bookings and sessions off them.

    Another closure of the same days and reason (which made the same item)
    keeps them.
    """
    twins = db.session.scalar(
        sa.select(sa.func.count()).select_from(Closure).where(
            Closure.site_id == site.id, Closure.id != closure.id,
            Closure.starts_on == closure.starts_on, Closure.ends_on == closure.ends_on,
            Closure.reason == closure.reason,
        )
    )
    if twins:
        return
    impact = find_impact(ClosureChange.of(closure, site))
    for booking, items in impact.bookings.items():
        _lift([booking], _matching(items))
    for session, items in impact.sessions.items():
        _lift([session], _matching(items))


def _matching(items: list[Item]) -> Callable[[dict[str, Any]], bool]:
    """Whether a stored ``attention`` entry is one of ``items``."""
    return lambda stored: any(item.matches(stored) for item in items)


def _lift(entities: Sequence[Booking | WorkshopSession],
          lifted: Callable[[dict[str, Any]], bool]) -> None:
    """Drop the attention items ``lifted(item)`` is true for; flushes."""
    for entity in entities:
        kept = [item for item in entity.attention or [] if not lifted(item)]
        if kept != (entity.attention or []):
            entity.attention = kept  # a new list: JSON sees the change
    db.session.flush()


def merge_affected(*found: dict[str, list[int]]) -> dict[str, list[int]]:
    """Several ``affected`` answers as one."""
    return {
        kind: sorted({i for affected in found for i in affected[kind]})
        for kind in ("bookings", "sessions")
    }


def replan_closures(
    closures: Iterable[Closure], site: Site, actor: User | None = None
) -> dict[str, list[int]]:
    """:func:`replan` each closure just added (holidays, a calendar import); what they hit."""
    return merge_affected(
        *(replan(ClosureChange.of(closure, site), actor).affected for closure in closures)
    )
