"""The checks of a booking (SPEC rules 1-7): they read, never write, and say what is wrong.

Rules 1, 4, 5 and 6 (times, opening hours, length, participants) come back
as field errors for a 422; rules 2 and 3 (other bookings, closures,
maintenance, the unit's status) as ``conflicts`` entries for a 409.

Overlap is kept out by the database too: on SQLite the check and the insert
run inside a transaction holding the write lock (``BEGIN IMMEDIATE``); on
PostgreSQL the exclusion constraint ``ex_bookings_no_overlap`` refuses the
second of two racing inserts, which :func:`flush_guarded` reports as the same
409.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab import clock, dates
from makerlab.bookings.models import Booking
from makerlab.bookings.recurrence import Interval
from makerlab.db import is_postgres
from makerlab.enums import EquipmentStatus
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import maintenance_between, site_of
from makerlab.errors import Conflict
from makerlab.extensions import db
from makerlab.labels import status_label
from makerlab.participants import rules as people_rules
from makerlab.participants.models import Participant
from makerlab.sites import services as sites
from makerlab.sites.models import Site

GRACE = dt.timedelta(minutes=5)
Problems = dict[str, list[str]]


def local_iso(instant: dt.datetime, tz: str) -> str:
    """An instant as ISO 8601 in the site's zone, with its offset (as the API shows it)."""
    return clock.to_local(instant, tz).isoformat()


def conflict_entry(booking: Booking | sa.Row[Any], tz: str) -> dict[str, Any]:
    """How a booking in the way is listed in a 409."""
    return {
        "booking_id": booking.id,
        "starts_at": local_iso(booking.starts_at, tz),
        "ends_at": local_iso(booking.ends_at, tz),
    }


# --- rules 1, 4, 5, 6: the request itself (422) ------------------------------------


def time_problems(
    unit: Equipment,
    site: Site,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    check_start_past: bool = True,
    check_end_past: bool = True,
) -> Problems:
    """Rules 1, 4 and 5 for one interval."""
    errors: Problems = {}
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


class ParticipantCheck:
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
            ids = [p.id for p in self.participants]
            self._inducted[day] = people_rules.inducted_categories(ids, day)
        for person in self.participants:
            found.extend(
                people_rules.consent_and_age_problems(person, day, min_age=self.unit.min_age)
            )
            if self.unit.requires_induction:
                problem = people_rules.induction_problem(
                    person, self.unit.category, self._inducted[day].get(person.id, set())
                )
                if problem:
                    found.append(problem)
        return found


def occurrence_problems(
    unit: Equipment,
    site: Site,
    interval: Interval,
    people: ParticipantCheck,
    **past_checks: bool,
) -> Problems:
    """Rules 1, 4, 5 and 6 for one occurrence (``past_checks``: see :func:`time_problems`)."""
    starts_at, ends_at = interval
    errors = time_problems(unit, site, starts_at, ends_at, **past_checks)
    found = people.problems(starts_at, site.timezone)
    if found:
        errors.setdefault("participant_ids", []).extend(found)
    return errors


def on_day(errors: Problems, starts_at: dt.datetime, tz: str) -> Problems:
    """The problems of a later occurrence, each naming its day."""
    day = dates.day(starts_at, tz=tz)
    return {
        field: [_("Occurrence on %(day)s: %(problem)s", day=day, problem=m) for m in messages]
        for field, messages in errors.items()
    }


def overlapping_each_other(spans: Iterable[Interval]) -> bool:
    """True if any two of the spans (buffer included) overlap."""
    ordered = sorted(spans)
    return any(s2 < b1 for (_s1, b1), (s2, _b2) in zip(ordered, ordered[1:], strict=False))


# --- rules 2 and 3: what is in the way (409) ----------------------------------------

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
class Surroundings:
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
        start: dt.datetime,
        end: dt.datetime,
        exclude_ids: Iterable[int] = (),
    ) -> Surroundings:
        """Everything that could stand in the way of bookings of ``unit`` in ``[start, end)``.

        ``end`` is extended by the unit's buffer: a booking must end that
        long before the next one starts.
        """
        site = site_of(unit)
        end += dt.timedelta(minutes=unit.buffer_minutes)
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
        found = self._status()
        first = clock.to_local(starts_at, tz).date()
        last = clock.to_local(ends_at - dt.timedelta(microseconds=1), tz).date()
        found += [
            self._closure(closure)
            for closure in self.closures
            if closure.starts_on <= last and closure.ends_on >= first
        ]
        found += [
            self._maintenance(block)
            for block in self.blocks
            if block.starts_at < ends_at and block.ends_at > starts_at
        ]
        found += [
            conflict_entry(other, tz)
            for other in self.bookings
            if other.starts_at < blocked_until and other.blocked_until > starts_at
        ]
        return found

    def _status(self) -> list[dict[str, Any]]:
        if self.unit.status == EquipmentStatus.AVAILABLE.value:
            return []
        reason = _(
            "%(unit)s is not available (status: %(status)s).",
            unit=self.unit.name,
            status=status_label(self.unit.status),
        )
        entry = {"booking_id": None, "kind": "status", "starts_at": None, "ends_at": None}
        return [{**entry, "reason": reason}]

    def _closure(self, closure: sa.Row[Any]) -> dict[str, Any]:
        tz = self.site.timezone
        reason = _(
            "%(site)s is closed: %(days)s",
            site=self.site.name,
            days=dates.day_range(closure.starts_on, closure.ends_on),
        )
        return {
            "booking_id": None,
            "kind": "closure",
            "closure_id": closure.id,
            "starts_at": local_iso(clock.local_midnight(closure.starts_on, tz), tz),
            "ends_at": local_iso(clock.local_day_end(closure.ends_on, tz), tz),
            "reason": reason + (f" ({closure.reason})" if closure.reason else ""),
        }

    def _maintenance(self, block: sa.Row[Any]) -> dict[str, Any]:
        tz = self.site.timezone
        reason = _(
            "%(unit)s is in maintenance: %(when)s.",
            unit=self.unit.name,
            when=dates.span(block.starts_at, block.ends_at, tz=tz),
        )
        return {
            "booking_id": None,
            "kind": "maintenance",
            "maintenance_id": block.id,
            "starts_at": local_iso(block.starts_at, tz),
            "ends_at": local_iso(block.ends_at, tz),
            "reason": reason + (f" ({block.reason})" if block.reason else ""),
        }


def raise_overlap(
    unit: Equipment,
    tz: str,
    occurrences: list[tuple[Interval, list[dict[str, Any]]]],
) -> None:
    """409 listing everything in the way (``conflicts``) and, per occurrence, what blocks it."""
    flat = in_the_way(occurrences)
    per_occurrence = [
        {"starts_at": local_iso(s, tz), "ends_at": local_iso(e, tz), "conflicts": found}
        for (s, e), found in occurrences
    ]
    raise Conflict(" ".join(overlap_reasons(unit, flat)), flat, occurrences=per_occurrence)


def in_the_way(occurrences: list[tuple[Interval, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Everything in the way of any occurrence, each once."""
    flat: list[dict[str, Any]] = []
    for _interval, found in occurrences:
        for c in found:
            if c not in flat:
                flat.append(c)
    return flat


def overlap_reasons(unit: Equipment, flat: list[dict[str, Any]]) -> list[str]:
    """Rules 2 and 3 in words: the unit taken (buffer included), closures, maintenance."""
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
    return parts


def flush_guarded(
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
            around = Surroundings.load(units[unit_id], start, end, exclude_ids=ignore)
            for found in around.conflicts(start, end):
                if found.get("booking_id") is not None and found not in conflicts:
                    conflicts.append(found)
        raise Conflict(
            _("Another booking for this time was made at the same moment."), conflicts
        ) from None
