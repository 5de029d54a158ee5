"""Bookings and kit loans: every booking rule of SPEC (1-7) lives here.

Services only flush; the caller commits once. A refusal raises ``Invalid``
(422: rules 1, 4, 5, 6, unknown ids) or ``Conflict`` (409: rules 2, 3, 7)
before anything is written, so several calls can share one transaction
(a workshop session reserving units) and be rolled back together.

Overlap is kept out by the database too: on SQLite the check and the insert
run inside a transaction holding the write lock (``BEGIN IMMEDIATE``); on
PostgreSQL the exclusion constraint ``ex_bookings_no_overlap`` refuses the
second of two racing inserts, which is reported as the same 409.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from makerlab import clock
from makerlab.auth.models import User
from makerlab.bookings import recurrence as rec
from makerlab.bookings.models import Booking, BookingSeries, booking_participants
from makerlab.db import hold_write_lock, is_postgres
from makerlab.enums import BookingStatus, EquipmentStatus, Role
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import maintenance_between, site_of
from makerlab.errors import Conflict, Invalid, NotFound
from makerlab.extensions import db
from makerlab.participants import rules
from makerlab.participants.models import Participant
from makerlab.sites import services as sites
from makerlab.sites.models import Site

GRACE = dt.timedelta(minutes=5)
SCOPES = ("this", "following", "series")
CONDITIONS = ("ok", "damaged")
EDITABLE = ("starts_at", "ends_at", "purpose", "participant_ids", "equipment_id")
Interval = tuple[dt.datetime, dt.datetime]


@dataclass
class BookingOutcome:
    """What a booking request produced: the bookings made and occurrences skipped."""

    bookings: list[Booking]
    skipped: list[dict[str, Any]] = field(default_factory=list)


# --- reading -------------------------------------------------------------------


def get_booking(actor: User, booking_id: int) -> Booking:
    """One booking by id (404 if unknown)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(_("No such booking."))
    return booking


def list_bookings_stmt(
    *,
    equipment_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    status: str | None = None,
    booked_by_id: int | None = None,
    category: str | None = None,
    site_id: int | None = None,
) -> sa.Select[Booking]:
    """Bookings overlapping ``[start, end)``, with unit and participants loaded."""
    return (
        sa.select(Booking)
        .options(
            joinedload(Booking.equipment),
            selectinload(Booking.participants),
        )
        .where(
            *_list_filters(
                equipment_id=equipment_id,
                start=start,
                end=end,
                status=status,
                booked_by_id=booked_by_id,
                category=category,
                site_id=site_id,
            )
        )
        .order_by(Booking.starts_at, Booking.id)
    )


# What a booking in the API's list shows: its columns, its participants' ids as
# text ("3,1", or NULL) and its unit's site time zone. ``schemas.booking_items``
# unpacks the rows in this order.
LIST_COLUMNS = (
    Booking.id,
    Booking.equipment_id,
    Booking.starts_at,
    Booking.ends_at,
    Booking.purpose,
    Booking.status,
    Booking.series_id,
    Booking.session_id,
    Booking.booked_by_id,
    Booking.checked_out_at,
    Booking.returned_at,
    Booking.created_at,
    Booking.return_condition,
    sa.select(
        sa.func.aggregate_strings(sa.cast(booking_participants.c.participant_id, sa.String), ",")
    )
    .where(booking_participants.c.booking_id == Booking.id)
    .scalar_subquery()
    .label("participant_ids"),
    Site.timezone,
)


def booking_rows_stmt(
    *,
    equipment_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    status: str | None = None,
) -> sa.Select[*tuple[Any, ...]]:
    """The bookings of ``list_bookings_stmt`` as plain rows (``LIST_COLUMNS``), for JSON.

    Rows, not ``Booking`` objects: a page of 500 spent most of its time
    building an object graph it only turned into JSON.
    """
    return (
        sa.select(*LIST_COLUMNS)
        .join(Equipment, Equipment.id == Booking.equipment_id)
        .join(Site, Site.id == Equipment.site_id)
        .where(*_list_filters(equipment_id=equipment_id, start=start, end=end, status=status))
        .order_by(Booking.starts_at, Booking.id)
    )


def _list_filters(
    *,
    equipment_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    status: str | None = None,
    booked_by_id: int | None = None,
    category: str | None = None,
    site_id: int | None = None,
) -> list[sa.ColumnElement[bool]]:
    """Which bookings a list shows; a booking overlapping the range counts."""
    where: list[sa.ColumnElement[bool]] = []
    if equipment_id is not None:
        where.append(Booking.equipment_id == equipment_id)
    if start is not None:
        where.append(Booking.ends_at > start)
    if end is not None:
        where.append(Booking.starts_at < end)
    if status:
        where.append(Booking.status == status)
    if booked_by_id is not None:
        where.append(Booking.booked_by_id == booked_by_id)
    if category is not None or site_id is not None:
        units = sa.select(Equipment.id)
        if category is not None:
            units = units.where(Equipment.category == category)
        if site_id is not None:
            units = units.where(Equipment.site_id == site_id)
        where.append(Booking.equipment_id.in_(units))
    return where


@dataclass
class LoanDesk:
    """The loan desk: kits out now (overdue first) and kits to hand out today.

    Each row is ``(booking, booker's name, booker's e-mail)``.
    """

    out: list[Any]
    pickup: list[Any]


def loan_desk() -> LoanDesk:
    """What the loan desk needs now; "today" is each kit's own site's day."""
    now = clock.now()
    day_ends = {
        site.id: clock.local_day_end(clock.today(site.timezone), site.timezone)
        for site in sites.list_sites()
    }
    rows = db.session.execute(
        sa.select(Booking, User.name, User.email)
        .options(joinedload(Booking.equipment))
        .join(Equipment, Equipment.id == Booking.equipment_id)
        .outerjoin(User, User.id == Booking.booked_by_id)
        .where(
            sa.or_(
                Booking.status == BookingStatus.CHECKED_OUT.value,
                sa.and_(
                    Booking.status == BookingStatus.RESERVED.value,
                    Equipment.loanable.is_(True),
                    Booking.starts_at < max(day_ends.values(), default=now),
                    Booking.ends_at > now,
                ),
            )
        )
        .order_by(Booking.ends_at, Booking.id)
    ).all()
    out = [r for r in rows if r[0].status == BookingStatus.CHECKED_OUT.value]
    pickup = sorted(
        (
            r
            for r in rows
            if r[0].status == BookingStatus.RESERVED.value
            and r[0].starts_at < day_ends.get(r[0].equipment.site_id, now)
        ),
        key=lambda r: (r[0].starts_at, r[0].id),
    )
    return LoanDesk(out=out, pickup=pickup)


def series_bookings(series_id: int) -> list[Booking]:
    """Every occurrence of a series, earliest first."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.series_id == series_id)
            .order_by(Booking.starts_at, Booking.id)
        )
    )


# --- rule checks -------------------------------------------------------------------


def _fmt(instant: dt.datetime, tz: str) -> str:
    return clock.to_local(instant, tz).isoformat()


def _human(instant: dt.datetime, tz: str) -> str:
    return str(format_datetime(clock.to_local(instant, tz).replace(tzinfo=None), "short"))


def conflict_entry(booking: Booking | sa.Row[Any], tz: str) -> dict[str, Any]:
    """How a booking in the way is listed in a 409."""
    return {
        "booking_id": booking.id,
        "starts_at": _fmt(booking.starts_at, tz),
        "ends_at": _fmt(booking.ends_at, tz),
    }


# What the rules need of a booking near a window: read as plain rows, since
# building ORM objects costs more than the query on the busiest routes.
NEARBY_COLUMNS = (
    Booking.id,
    Booking.equipment_id,
    Booking.starts_at,
    Booking.ends_at,
    Booking.blocked_until,
    Booking.status,
)


def active_bookings_near(
    unit_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    exclude_ids: Iterable[int] = (),
) -> list[sa.Row[Any]]:
    """Active bookings of the units whose blocked range ``[starts_at, blocked_until)`` meets
    ``[start, end)``, as rows of ``NEARBY_COLUMNS``.

    Two index range scans instead of one scan over a unit's whole history:
    the bookings starting inside the window, plus, per unit, the last one
    starting before it. Active bookings of a unit never overlap, so no earlier
    one can reach into the window.
    """
    ids, excluded = list(unit_ids), list(exclude_ids)
    if not ids:
        return []
    params: dict[str, Any] = {"ids": ids, "start": start, "end": end, "excluded": excluded}
    params.update({f"unit_{i}": unit_id for i, unit_id in enumerate(ids)})
    found = db.session.execute(_nearby_stmt(len(ids), bool(excluded)), params).all()
    return sorted(found, key=lambda b: (b.starts_at, b.id))


@functools.cache
def _nearby_stmt(units: int, excluding: bool) -> sa.CompoundSelect:
    """The statement of ``active_bookings_near`` for ``units`` units, built once.

    Building it (operators, coercions, the cache key) cost more than running
    it; the values come as parameters: ``ids``, ``unit_0``.., ``start``,
    ``end`` and ``excluded``.
    """
    active = Booking.is_active
    not_excluded = (
        Booking.id.not_in(sa.bindparam("excluded", expanding=True)) if excluding else sa.true()
    )
    inside = sa.select(*NEARBY_COLUMNS).where(
        Booking.equipment_id.in_(sa.bindparam("ids", expanding=True)),
        active,
        Booking.starts_at >= sa.bindparam("start"),
        Booking.starts_at < sa.bindparam("end"),
        not_excluded,
    )
    latest = [
        sa.select(Booking.id)
        .where(
            Booking.equipment_id == sa.bindparam(f"unit_{i}"),
            active,
            Booking.starts_at < sa.bindparam("start"),
            not_excluded,
        )
        .order_by(Booking.starts_at.desc())
        .limit(1)
        .scalar_subquery()
        for i in range(units)
    ]
    before_start = sa.select(*NEARBY_COLUMNS).where(
        Booking.id.in_(latest), Booking.blocked_until > sa.bindparam("start")
    )
    return sa.union_all(inside, before_start)


@dataclass
class _Surroundings:
    """What stands around a unit in a time window: closures, blocks, bookings."""

    unit: Equipment
    site: Site
    closures: list[sa.Row[Any]]  # rows of Closure's columns
    blocks: list[sa.Row[Any]]  # rows of MaintenanceBlock's columns
    bookings: list[sa.Row[Any]]  # rows of NEARBY_COLUMNS

    @classmethod
    def load(
        cls,
        unit: Equipment,
        site: Site,
        start: dt.datetime,
        end: dt.datetime,
        exclude_ids: Iterable[int] = (),
    ) -> _Surroundings:
        return cls(
            unit=unit,
            site=site,
            closures=sites.closed_days(site, start, end),
            blocks=maintenance_between([unit.id], start, end),
            bookings=active_bookings_near([unit.id], start, end, exclude_ids),
        )

    def conflicts(self, starts_at: dt.datetime, ends_at: dt.datetime) -> list[dict[str, Any]]:
        """Rules 2 and 3 for ``[starts_at, ends_at)`` on this unit."""
        tz = self.site.timezone
        blocked_until = ends_at + dt.timedelta(minutes=self.unit.buffer_minutes)
        found: list[dict[str, Any]] = []
        if self.unit.status != EquipmentStatus.AVAILABLE.value:
            found.append(
                {
                    "booking_id": None,
                    "kind": "status",
                    "starts_at": None,
                    "ends_at": None,
                    "reason": _(
                        "%(unit)s is not available (status: %(status)s).",
                        unit=self.unit.name,
                        status=self.unit.status,
                    ),
                }
            )
        first = clock.to_local(starts_at, tz).date()
        last = clock.to_local(ends_at - dt.timedelta(microseconds=1), tz).date()
        for closure in self.closures:
            if closure.starts_on <= last and closure.ends_on >= first:
                found.append(
                    {
                        "booking_id": None,
                        "kind": "closure",
                        "closure_id": closure.id,
                        "starts_at": _fmt(clock.local_midnight(closure.starts_on, tz), tz),
                        "ends_at": _fmt(clock.local_day_end(closure.ends_on, tz), tz),
                        "reason": _(
                            "%(site)s is closed from %(first)s to %(last)s.",
                            site=self.site.name,
                            first=closure.starts_on.isoformat(),
                            last=closure.ends_on.isoformat(),
                        )
                        + (f" ({closure.reason})" if closure.reason else ""),
                    }
                )
        for block in self.blocks:
            if block.starts_at < ends_at and block.ends_at > starts_at:
                found.append(
                    {
                        "booking_id": None,
                        "kind": "maintenance",
                        "maintenance_id": block.id,
                        "starts_at": _fmt(block.starts_at, tz),
                        "ends_at": _fmt(block.ends_at, tz),
                        "reason": _(
                            "%(unit)s is in maintenance from %(start)s to %(end)s.",
                            unit=self.unit.name,
                            start=_human(block.starts_at, tz),
                            end=_human(block.ends_at, tz),
                        )
                        + (f" ({block.reason})" if block.reason else ""),
                    }
                )
        for other in self.bookings:
            if other.starts_at < blocked_until and other.blocked_until > starts_at:
                found.append(conflict_entry(other, tz))
        return found


def _time_problems(
    unit: Equipment,
    site: Site,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    check_start_past: bool = True,
    check_end_past: bool = True,
) -> dict[str, list[str]]:
    """Rules 1, 4 and 5 for one interval."""
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
        return errors
    earliest = clock.now() - GRACE
    if check_start_past and starts_at < earliest:
        errors.setdefault("starts_at", []).append(_("A booking cannot start in the past."))
    elif check_end_past and ends_at < earliest:
        errors.setdefault("ends_at", []).append(_("A booking cannot end in the past."))
    if unit.loanable:
        if not sites.is_open_at(site, starts_at):
            errors.setdefault("starts_at", []).append(
                _("Pick-up must be within the opening hours of %(site)s.", site=site.name)
            )
        if not sites.is_open_at(site, ends_at):
            errors.setdefault("ends_at", []).append(
                _("Return must be within the opening hours of %(site)s.", site=site.name)
            )
    elif not sites.within_opening_hours(site, starts_at, ends_at):
        errors.setdefault("starts_at", []).append(
            _(
                "%(unit)s can only be booked within the opening hours of %(site)s.",
                unit=unit.name,
                site=site.name,
            )
        )
    minutes = (ends_at - starts_at).total_seconds() / 60
    if unit.max_booking_minutes is not None and minutes > unit.max_booking_minutes:
        errors.setdefault("ends_at", []).append(
            _(
                "%(unit)s can be booked for at most %(minutes)d minutes.",
                unit=unit.name,
                minutes=unit.max_booking_minutes,
            )
        )
    return errors


class _ParticipantCheck:
    """Rule 6, with induction lookups cached per day."""

    def __init__(self, unit: Equipment, participants: Sequence[Participant]) -> None:
        self.unit = unit
        self.participants = participants
        self._inducted: dict[dt.date, dict[int, set[str]]] = {}

    def problems(self, starts_at: dt.datetime, tz: str) -> list[str]:
        if not self.participants:
            return []
        day = clock.to_local(starts_at, tz).date()
        found: list[str] = []
        if self.unit.requires_induction and day not in self._inducted:
            self._inducted[day] = rules.inducted_categories([p.id for p in self.participants], day)
        for person in self.participants:
            found.extend(rules.consent_and_age_problems(person, day, min_age=self.unit.min_age))
            if self.unit.requires_induction:
                problem = rules.induction_problem(
                    person, self.unit.category, self._inducted[day].get(person.id, set())
                )
                if problem:
                    found.append(problem)
        return found


def _load_unit(equipment_id: Any) -> Equipment:
    unit = db.session.get(Equipment, equipment_id) if isinstance(equipment_id, int) else None
    if unit is None:
        raise Invalid({"equipment_id": [_("Unknown equipment.")]})
    return unit


def _load_participants(participant_ids: Iterable[Any]) -> list[Participant]:
    ids = list(dict.fromkeys(participant_ids or ()))
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise Invalid({"participant_ids": [_("Participant ids must be numbers.")]})
    if not ids:
        return []
    found = list(
        db.session.scalars(
            sa.select(Participant).where(Participant.id.in_(ids)).order_by(Participant.id)
        )
    )
    missing = sorted(set(ids) - {p.id for p in found})
    if missing:
        raise Invalid(
            {
                "participant_ids": [
                    _("Unknown participants: %(ids)s.", ids=", ".join(str(i) for i in missing))
                ]
            }
        )
    return found


def _check_session(session_id: Any) -> None:
    from makerlab.workshops.models import WorkshopSession

    if session_id is None:
        return
    if not isinstance(session_id, int) or db.session.get(WorkshopSession, session_id) is None:
        raise Invalid({"session_id": [_("Unknown workshop session.")]})


def _flush_guarded(
    units: dict[int, Equipment],
    planned: list[tuple[int, dt.datetime, dt.datetime, Sequence[int]]],
    work: Callable[[], None],
) -> None:
    """Run ``work`` (which adds or moves bookings) and flush; an exclusion violation is a 409.

    ``planned`` lists (unit id, start, end, ids to ignore) of what is written,
    to name the bookings in the way. On PostgreSQL the flush runs in a
    savepoint, so after the constraint refused it the transaction can still
    look them up.
    """
    if not is_postgres(db.session):
        work()
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            work()
    except sa.exc.IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != "23P01":
            raise
        conflicts: list[dict[str, Any]] = []
        for unit_id, start, end, ignore in planned:
            unit = units[unit_id]
            around = _Surroundings.load(
                unit,
                site_of(unit),
                start,
                end + dt.timedelta(minutes=unit.buffer_minutes),
                exclude_ids=ignore,
            )
            for found in around.conflicts(start, end):
                if found.get("booking_id") is not None and found not in conflicts:
                    conflicts.append(found)
        raise Conflict(
            _("Another booking for this time was made at the same moment."), conflicts
        ) from None


def _raise_overlap(
    unit: Equipment,
    tz: str,
    occurrences: list[tuple[Interval, list[dict[str, Any]]]],
) -> None:
    """409 listing everything in the way (``conflicts``) and, per occurrence, what blocks it."""
    flat: list[dict[str, Any]] = []
    for _interval, found in occurrences:
        for c in found:
            if c not in flat:
                flat.append(c)
    reasons = [c["reason"] for c in flat if c.get("reason")]
    taken = [c for c in flat if c.get("booking_id") is not None]
    parts = []
    if taken:
        parts.append(
            _(
                "%(unit)s is already booked at this time (the buffer of %(buffer)d minutes "
                "after each booking included).",
                unit=unit.name,
                buffer=unit.buffer_minutes,
            )
            if unit.buffer_minutes
            else _("%(unit)s is already booked at this time.", unit=unit.name)
        )
    parts.extend(dict.fromkeys(reasons))
    per_occurrence = [
        {"starts_at": _fmt(s, tz), "ends_at": _fmt(e, tz), "conflicts": found}
        for (s, e), found in occurrences
    ]
    raise Conflict(" ".join(parts), flat, occurrences=per_occurrence)


# --- creating -------------------------------------------------------------------


def create_booking(
    actor: User,
    *,
    equipment_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    purpose: str = "",
    participant_ids: Iterable[int] = (),
    recurrence: dict[str, Any] | None = None,
    skip_conflicts: bool = False,
    session_id: int | None = None,
    series_id: int | None = None,
) -> BookingOutcome:
    """Book a unit (once or recurring) after checking every rule; flushes, never commits.

    ``series_id`` adds a single booking to an existing series, e.g. an
    occurrence that was skipped when the series was made. A closure day
    anywhere in ``[starts_at, ends_at)`` refuses the booking, loans included.
    With ``skip_conflicts`` later occurrences breaking a 422 rule (say a
    closed weekday) are skipped too, with their ``reasons``; the first
    occurrence must always pass rules 1, 4, 5 and 6.
    """
    hold_write_lock(db.session)
    unit = _load_unit(equipment_id)
    site = site_of(unit)
    tz = site.timezone
    if not isinstance(starts_at, dt.datetime) or not isinstance(ends_at, dt.datetime):
        raise Invalid({"starts_at": [_("Start and end are required.")]})
    starts_at = clock.as_utc(starts_at, tz, "starts_at")
    ends_at = clock.as_utc(ends_at, tz, "ends_at")
    participants = _load_participants(participant_ids)
    _check_session(session_id)
    if series_id is not None:
        if recurrence is not None:
            raise Invalid({"series_id": [_("A recurring booking starts a new series.")]})
        if not isinstance(series_id, int) or db.session.get(BookingSeries, series_id) is None:
            raise Invalid({"series_id": [_("Unknown series.")]})
    purpose = (purpose or "").strip()
    if len(purpose) > 500:
        raise Invalid({"purpose": [_("At most 500 characters.")]})

    clean_recurrence = rec.normalise(recurrence) if recurrence is not None else None
    if clean_recurrence is None:
        intervals = [(starts_at, ends_at)]
    else:
        first_problems = _time_problems(unit, site, starts_at, ends_at)
        if "ends_at" in first_problems and ends_at <= starts_at:
            raise Invalid(first_problems)
        intervals = rec.occurrences(starts_at, ends_at, clean_recurrence, tz)
        buffer = dt.timedelta(minutes=unit.buffer_minutes)
        for (_s1, e1), (s2, _e2) in zip(intervals, intervals[1:], strict=False):
            if s2 < e1 + buffer:
                raise Invalid(
                    {
                        "recurrence": [
                            _("The occurrences would overlap each other (buffer included).")
                        ]
                    }
                )

    checker = _ParticipantCheck(unit, participants)
    skipped: list[dict[str, Any]] = []
    valid: list[Interval] = []
    for index, (s, e) in enumerate(intervals):
        errors = _time_problems(unit, site, s, e)
        people = checker.problems(s, tz)
        if people:
            errors.setdefault("participant_ids", []).extend(people)
        if not errors:
            valid.append((s, e))
            continue
        if index == 0 or not skip_conflicts:
            if index > 0:
                errors = {
                    k: [
                        _(
                            "Occurrence on %(day)s: %(problem)s",
                            day=clock.to_local(s, tz).date().isoformat(),
                            problem=m,
                        )
                        for m in v
                    ]
                    for k, v in errors.items()
                }
            raise Invalid(errors)
        skipped.append(
            {
                "starts_at": _fmt(s, tz),
                "ends_at": _fmt(e, tz),
                "conflicts": [],
                "reasons": [m for v in errors.values() for m in v],
            }
        )

    around = _Surroundings.load(
        unit,
        site,
        valid[0][0],
        max(e for _s, e in valid) + dt.timedelta(minutes=unit.buffer_minutes),
    )
    clashing: list[tuple[Interval, list[dict[str, Any]]]] = []
    free: list[Interval] = []
    for s, e in valid:
        found = around.conflicts(s, e)
        if found:
            clashing.append(((s, e), found))
        else:
            free.append((s, e))
    if clashing and (not skip_conflicts or not free):
        _raise_overlap(unit, tz, clashing)
    for (s, e), found in clashing:
        skipped.append(
            {
                "starts_at": _fmt(s, tz),
                "ends_at": _fmt(e, tz),
                "conflicts": found,
                "reasons": [c["reason"] for c in found if c.get("reason")],
            }
        )
    skipped.sort(key=lambda item: item["starts_at"])

    made: list[Booking] = []
    blocked = dt.timedelta(minutes=unit.buffer_minutes)

    def work() -> None:
        target_series = series_id
        if clean_recurrence is not None:
            series = BookingSeries(recurrence=clean_recurrence, created_by_id=actor.id)
            db.session.add(series)
            db.session.flush()
            target_series = series.id
        for s, e in free:
            booking = Booking(
                equipment=unit,  # held, so the answer finds the unit's site without a query
                equipment_id=unit.id,
                booked_by_id=actor.id,
                starts_at=s,
                ends_at=e,
                blocked_until=e + blocked,
                purpose=purpose,
                status=BookingStatus.RESERVED.value,
                series_id=target_series,
                session_id=session_id,
            )
            booking.participants = list(participants)
            db.session.add(booking)
            made.append(booking)

    _flush_guarded({unit.id: unit}, [(unit.id, s, e, ()) for s, e in free], work)
    return BookingOutcome(bookings=made, skipped=skipped)


# --- editing and cancelling ---------------------------------------------------------


def _scope_targets(booking: Booking, scope: str, *, for_cancel: bool) -> list[Booking]:
    if scope not in SCOPES:
        raise Invalid({"scope": [_("Scope must be this, following or series.")]})
    if scope == "this" or booking.series_id is None:
        return [booking]
    now = clock.now()
    others = [
        b
        for b in series_bookings(booking.series_id)
        if b.id != booking.id
        and b.status == BookingStatus.RESERVED.value
        and (b.ends_at > now if for_cancel else b.starts_at > now - GRACE)
        and (scope == "series" or b.starts_at >= booking.starts_at)
    ]
    return sorted([booking, *others], key=lambda b: (b.starts_at, b.id))


def update_booking(
    actor: User, booking: Booking, *, scope: str = "this", **changes: Any
) -> list[Booking]:
    """Change one booking, this and the following, or the whole series; every rule re-checked.

    Time changes carry over to the other occurrences in local wall-clock time
    (moving a weekly 10:00 slot to 11:00 gives 11:00 on every date). Only
    reserved occurrences that have not started are changed along; past ones
    stay as they were. A checked-out loan can only change its end, purpose
    and participants.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    if scope not in SCOPES:
        raise Invalid({"scope": [_("Scope must be this, following or series.")]})
    hold_write_lock(db.session)
    booking = get_booking(actor, booking.id)
    if not booking.is_active:
        raise Conflict(_("Only reserved or checked-out bookings can be changed."))
    checked_out = booking.status == BookingStatus.CHECKED_OUT.value
    if checked_out and ({"starts_at", "equipment_id"} & set(changes)):
        field_name = "starts_at" if "starts_at" in changes else "equipment_id"
        raise Invalid(
            {field_name: [_("The kit has been handed over already; only the end can change.")]}
        )

    new_unit = (
        _load_unit(changes["equipment_id"]) if changes.get("equipment_id") is not None else None
    )
    participants = (
        _load_participants(changes["participant_ids"])
        if changes.get("participant_ids") is not None
        else None
    )
    purpose = changes.get("purpose")
    if purpose is not None:
        purpose = purpose.strip()
        if len(purpose) > 500:
            raise Invalid({"purpose": [_("At most 500 characters.")]})

    targets = _scope_targets(booking, scope, for_cancel=False)
    anchor_unit = new_unit or booking.equipment
    anchor_tz = site_of(anchor_unit).timezone
    old_anchor = (booking.starts_at, booking.ends_at)
    new_start = (
        clock.as_utc(changes["starts_at"], anchor_tz, "starts_at")
        if changes.get("starts_at")
        else booking.starts_at
    )
    new_end = (
        clock.as_utc(changes["ends_at"], anchor_tz, "ends_at")
        if changes.get("ends_at")
        else booking.ends_at
    )
    new_anchor = (new_start, new_end)
    if new_end <= new_start:
        raise Invalid({"ends_at": [_("The end must be after the start.")]})

    plans: list[tuple[Booking, Equipment, Interval]] = []
    for target in targets:
        unit = new_unit or target.equipment
        tz = site_of(unit).timezone
        interval = rec.shift_wall_clock(
            (target.starts_at, target.ends_at), old_anchor, new_anchor, tz
        )
        plans.append((target, unit, interval))

    # 422 first (rules 1, 4, 5, 6), for every occurrence touched.
    for target, unit, (s, e) in plans:
        site = site_of(unit)
        moved_start = s != target.starts_at
        moved_end = e != target.ends_at
        errors = _time_problems(
            unit, site, s, e, check_start_past=moved_start, check_end_past=moved_end
        )
        people = participants if participants is not None else list(target.participants)
        found = _ParticipantCheck(unit, people).problems(s, site.timezone)
        if found:
            errors.setdefault("participant_ids", []).extend(found)
        if errors:
            if target.id != booking.id:
                day = clock.to_local(s, site.timezone).date().isoformat()
                errors = {
                    k: [_("Occurrence on %(day)s: %(problem)s", day=day, problem=m) for m in v]
                    for k, v in errors.items()
                }
            raise Invalid(errors)

    # Then 409 (rules 2, 3), against everything but the bookings being moved.
    moving = [t.id for t, _u, _i in plans]
    clashing: list[tuple[Interval, list[dict[str, Any]]]] = []
    for _target, unit, (s, e) in plans:
        around = _Surroundings.load(
            unit,
            site_of(unit),
            s,
            e + dt.timedelta(minutes=unit.buffer_minutes),
            exclude_ids=moving,
        )
        in_the_way = around.conflicts(s, e)
        if in_the_way:
            clashing.append(((s, e), in_the_way))
    by_unit: dict[int, list[Interval]] = {}
    for _t, unit, (s, e) in plans:
        by_unit.setdefault(unit.id, []).append((s, e + dt.timedelta(minutes=unit.buffer_minutes)))
    for spans in by_unit.values():
        spans.sort()
        for (_s1, b1), (s2, _b2) in zip(spans, spans[1:], strict=False):
            if s2 < b1:
                raise Invalid(
                    {
                        "starts_at": [
                            _("The occurrences would overlap each other (buffer included).")
                        ]
                    }
                )
    if clashing:
        _raise_overlap(anchor_unit, anchor_tz, clashing)

    # Apply in an order that never overlaps a not-yet-moved occurrence
    # (the PostgreSQL constraint is checked row by row).
    forward = new_anchor[0] >= old_anchor[0]
    ordered = sorted(plans, key=lambda p: p[0].starts_at, reverse=forward)

    def work() -> None:
        for target, unit, (s, e) in ordered:
            target.equipment = unit
            target.starts_at, target.ends_at = s, e
            target.blocked_until = e + dt.timedelta(minutes=unit.buffer_minutes)
            if purpose is not None:
                target.purpose = purpose
            if participants is not None:
                target.participants = list(participants)
            db.session.flush()

    _flush_guarded(
        {u.id: u for _t, u, _i in plans}, [(u.id, s, e, moving) for _t, u, (s, e) in plans], work
    )
    return [t for t, _u, _i in plans]


def cancel_booking(actor: User, booking: Booking, *, scope: str = "this") -> list[Booking]:
    """Cancel one booking, this and the following, or the rest of a series.

    Cancelling an already cancelled booking changes nothing; a kit that is
    checked out or returned cannot be cancelled (409). With a series scope,
    only reserved occurrences that have not ended yet are cancelled.
    """
    if scope not in SCOPES:
        raise Invalid({"scope": [_("Scope must be this, following or series.")]})
    hold_write_lock(db.session)
    if booking.status in (BookingStatus.CHECKED_OUT.value, BookingStatus.RETURNED.value):
        raise Conflict(_("A kit that has been handed over is returned, not cancelled."))
    targets = _scope_targets(booking, scope, for_cancel=True)
    now = clock.now()
    for target in targets:
        if target.status == BookingStatus.RESERVED.value:
            target.status = BookingStatus.CANCELLED.value
            target.cancelled_at = now
    db.session.flush()
    return targets


# --- loans -------------------------------------------------------------------------


def check_out(actor: User, booking: Booking) -> Booking:
    """Hand a loanable kit over (any time before the booking ends; early hand-over is recorded).

    Only loanable units are checked out: other units stay in the building,
    so checking one out is refused with 409, as is a booking that is not
    reserved or already over.
    """
    hold_write_lock(db.session)
    if not booking.equipment.loanable:
        raise Conflict(
            _(
                "%(unit)s is not lent out; only loanable kits are checked out.",
                unit=booking.equipment.name,
            )
        )
    if booking.status != BookingStatus.RESERVED.value:
        raise Conflict(
            _(
                "Only a reserved booking can be checked out (this one is %(status)s).",
                status=booking.status,
            )
        )
    now = clock.now()
    if now >= booking.ends_at:
        raise Conflict(_("This booking is over; it can no longer be checked out."))
    booking.status = BookingStatus.CHECKED_OUT.value
    booking.checked_out_at = now
    db.session.flush()
    return booking


def return_booking(
    actor: User, booking: Booking, *, condition: str = "ok", note: str = ""
) -> Booking:
    """Take a kit back; ``damaged`` puts the unit into maintenance and tells the coordinators."""
    if condition not in CONDITIONS:
        raise Invalid({"condition": [_("Condition must be ok or damaged.")]})
    note = (note or "").strip()
    hold_write_lock(db.session)
    if booking.status != BookingStatus.CHECKED_OUT.value:
        raise Conflict(
            _(
                "Only a checked-out kit can be returned (this booking is %(status)s).",
                status=booking.status,
            )
        )
    now = clock.now()
    booking.status = BookingStatus.RETURNED.value
    booking.returned_at = now
    booking.return_condition = condition
    booking.return_note = note
    if condition == "damaged":
        unit = booking.equipment
        unit.status = EquipmentStatus.MAINTENANCE.value
        _notify_damage(actor, booking, unit, note)
    db.session.flush()
    return booking


def _notify_damage(actor: User, booking: Booking, unit: Equipment, note: str) -> None:
    """Queue an e-mail to every coordinator, each in their own language."""
    from makerlab.notifications.emails import queue_email

    tz = site_of(unit).timezone
    booker = db.session.get(User, booking.booked_by_id) if booking.booked_by_id else None
    coordinators = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.COORDINATOR.value, User.active.is_(True))
        .order_by(User.id)
    ).all()

    def local(instant: dt.datetime) -> str:
        return clock.to_local(instant, tz).strftime("%Y-%m-%d %H:%M")

    # Lazy texts are translated while the template renders, in the recipient's locale.
    for person in coordinators:
        queue_email(
            dedupe_key=f"kit-damaged:{booking.id}:{person.id}",
            to=person.email,
            template="kit_damaged",
            locale=person.locale or current_app.config["BABEL_DEFAULT_LOCALE"],
            subject=_l("Damaged on return: %(unit)s", unit=unit.name),
            intro=_l(
                "%(unit)s (%(category)s) was returned damaged on %(when)s and is now "
                "in maintenance.",
                unit=unit.name,
                category=unit.category,
                when=local(booking.returned_at or clock.now()),
            ),
            booking_line=_l(
                "Booking #%(id)d by %(booker)s, %(start)s – %(end)s.",
                id=booking.id,
                booker=booker.name if booker else "-",
                start=local(booking.starts_at),
                end=local(booking.ends_at),
            ),
            returned_by=_l("Return recorded by %(name)s.", name=actor.name or "-"),
            note_label=_l("Note:"),
            note=note,
            action=_l("Please check the unit and set it back to available when it is repaired."),
        )


# --- availability --------------------------------------------------------------------


def _subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for begin, finish in free:
        pieces = [(begin, finish)]
        for b_start, b_end in busy:
            next_pieces = []
            for p_start, p_end in pieces:
                if b_end <= p_start or b_start >= p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < b_start:
                    next_pieces.append((p_start, b_start))
                if b_end < p_end:
                    next_pieces.append((b_end, p_end))
            pieces = next_pieces
        result.extend(pieces)
    return result


def free_intervals(unit: Equipment, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """Where a booking of ``unit`` could go within ``[start, end)``.

    Opening hours minus closures, maintenance blocks and active bookings;
    each booking also blocks its buffer after it, and the unit's buffer
    before it (a new booking must end that long before the next one starts).
    """
    if end <= start or unit.status != EquipmentStatus.AVAILABLE.value:
        return []
    site = site_of(unit)
    buffer = dt.timedelta(minutes=unit.buffer_minutes)
    open_time = sites.merge(sites.open_intervals(site, start, end))
    busy: list[Interval] = [
        (b.starts_at, b.ends_at) for b in maintenance_between([unit.id], start, end)
    ]
    nearby = active_bookings_near([unit.id], start, end + buffer)
    busy.extend((b.starts_at - buffer, b.blocked_until) for b in nearby)
    busy.sort()
    return [(s, e) for s, e in _subtract(open_time, busy) if s < e]


def free_units(
    category: str, site_id: int | None, start: dt.datetime, end: dt.datetime
) -> list[Equipment]:
    """Available units of ``category`` at the site with nothing in the way during ``[start, end)``.

    Bookings (with buffers), maintenance blocks and closures count. Units that
    stay in the building are only listed if the site is open at some time
    in the range (a whole day asks "is it free while we are open"); the
    booking itself checks the exact opening hours (rule 4).
    """
    site_id = sites.resolve_site_id(site_id)
    site = sites.find_site(site_id)
    assert site is not None
    if end <= start:
        return []
    units = list(
        db.session.scalars(
            sa.select(Equipment)
            .where(
                Equipment.category == category,
                Equipment.site_id == site_id,
                Equipment.status == EquipmentStatus.AVAILABLE.value,
            )
            .order_by(Equipment.name, Equipment.id)
        )
    )
    if not units or sites.closed_days(site, start, end):
        return []
    if not sites.open_intervals(site, start, end, skip_closed_days=False):
        units = [u for u in units if u.loanable]
        if not units:
            return []
    ids = [u.id for u in units]
    longest = dt.timedelta(minutes=max(u.buffer_minutes for u in units))
    blocked = {b.equipment_id for b in maintenance_between(ids, start, end)}
    buffers = {u.id: dt.timedelta(minutes=u.buffer_minutes) for u in units}
    for booking in active_bookings_near(ids, start, end + longest):
        if booking.starts_at < end + buffers[booking.equipment_id]:
            blocked.add(booking.equipment_id)
    return [u for u in units if u.id not in blocked]


def to_instant(value: dt.datetime | dt.date, tz: str, field: str = "from") -> dt.datetime:
    """A query bound: a date means local midnight, a naive time is local."""
    if isinstance(value, dt.datetime):
        return clock.as_utc(value, tz, field)
    clock.check_year(value, field)
    return clock.local_midnight(value, tz)


def default_timezone() -> str:
    """The default site's time zone (for ranges that name no unit)."""
    try:
        return sites.default_site().timezone
    except NotFound:
        return str(current_app.config["TIMEZONE"])
