"""Making, changing and cancelling bookings; the lists pages and the API show.

The checks themselves are in ``bookings.rules``; free times in
``bookings.availability``; lending kits in ``bookings.loans``.

Services only flush; the caller commits once. A refusal raises ``Invalid``
(422: rules 1, 4, 5, 6, unknown ids) or ``Conflict`` (409: rules 2, 3, 7)
before anything is written, so several calls can share one transaction
(a workshop session reserving units) and be rolled back together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from makerlab import clock
from makerlab.auth.models import User
from makerlab.bookings import recurrence as rec
from makerlab.bookings.models import Booking, BookingSeries, booking_participants
from makerlab.bookings.recurrence import Interval
from makerlab.bookings.rules import (
    GRACE,
    ParticipantCheck,
    Surroundings,
    flush_guarded,
    in_the_way,
    local_iso,
    occurrence_problems,
    on_day,
    overlap_reasons,
    overlapping_each_other,
    raise_overlap,
    time_problems,
)
from makerlab.db import hold_write_lock, referenced_row_exists
from makerlab.enums import BookingStatus
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import site_of
from makerlab.errors import Conflict, Invalid, NotFound
from makerlab.extensions import db
from makerlab.participants.models import Participant
from makerlab.sites.models import Site

SCOPES = ("this", "following", "series")
EDITABLE = ("starts_at", "ends_at", "purpose", "participant_ids", "equipment_id")


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
    Booking.attention,
    Booking.return_missing,
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


def series_bookings(series_id: int) -> list[Booking]:
    """Every occurrence of a series, earliest first."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.series_id == series_id)
            .order_by(Booking.starts_at, Booking.id)
        )
    )


# --- what a request names ------------------------------------------------------------


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
    if session_id is None:
        return
    column = Booking.__table__.c.session_id
    if not isinstance(session_id, int) or not referenced_row_exists(db.session, column, session_id):
        raise Invalid({"session_id": [_("Unknown workshop session.")]})


def _check_series(series_id: Any, recurrence: Any) -> None:
    """A single booking may join an existing series; a recurring one starts its own."""
    if series_id is None:
        return
    if recurrence is not None:
        raise Invalid({"series_id": [_("A recurring booking starts a new series.")]})
    if not isinstance(series_id, int) or db.session.get(BookingSeries, series_id) is None:
        raise Invalid({"series_id": [_("Unknown series.")]})


def _clean_purpose(purpose: str) -> str:
    purpose = purpose.strip()
    if len(purpose) > 500:
        raise Invalid({"purpose": [_("At most 500 characters.")]})
    return purpose


def _skipped(
    interval: Interval, tz: str, conflicts: list[dict[str, Any]], reasons: list[str]
) -> dict[str, Any]:
    """How an occurrence left out by ``skip_conflicts`` is reported."""
    starts_at, ends_at = interval
    return {
        "starts_at": local_iso(starts_at, tz),
        "ends_at": local_iso(ends_at, tz),
        "conflicts": conflicts,
        "reasons": reasons,
    }


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
    first = (clock.as_utc(starts_at, tz, "starts_at"), clock.as_utc(ends_at, tz, "ends_at"))
    participants = _load_participants(participant_ids)
    _check_session(session_id)
    _check_series(series_id, recurrence)
    purpose = _clean_purpose(purpose or "")
    clean_recurrence = rec.normalise(recurrence) if recurrence is not None else None

    intervals = _occurrences(unit, site, first, clean_recurrence)
    valid, skipped = _passing_rules(unit, site, intervals, participants, skip_conflicts)
    free, clashing = _free_of_conflicts(unit, valid)
    if clashing and (not skip_conflicts or not free):
        raise_overlap(unit, tz, clashing)
    skipped += [
        _skipped(interval, tz, found, [c["reason"] for c in found if c.get("reason")])
        for interval, found in clashing
    ]
    skipped.sort(key=lambda item: item["starts_at"])

    made = _insert(
        actor,
        unit,
        free,
        purpose=purpose,
        participants=participants,
        session_id=session_id,
        series_id=series_id,
        recurrence=clean_recurrence,
    )
    return BookingOutcome(bookings=made, skipped=skipped)


def _insert(
    actor: User,
    unit: Equipment,
    free: list[Interval],
    *,
    purpose: str,
    participants: list[Participant],
    session_id: int | None,
    series_id: int | None,
    recurrence: dict[str, Any] | None,
) -> list[Booking]:
    """Write the bookings (and their new series); a race lost on PostgreSQL is the same 409."""
    made: list[Booking] = []

    def insert() -> None:
        target_series = series_id
        if recurrence is not None:
            series = BookingSeries(recurrence=recurrence, created_by_id=actor.id)
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
                blocked_until=e + dt.timedelta(minutes=unit.buffer_minutes),
                purpose=purpose,
                status=BookingStatus.RESERVED.value,
                series_id=target_series,
                session_id=session_id,
            )
            booking.participants = list(participants)
            db.session.add(booking)
            made.append(booking)

    flush_guarded({unit.id: unit}, [(unit.id, s, e, ()) for s, e in free], insert)
    return made


def _occurrences(
    unit: Equipment, site: Site, first: Interval, recurrence: dict[str, Any] | None
) -> list[Interval]:
    """The intervals a request asks for: the first, or every occurrence of its recurrence."""
    if recurrence is None:
        return [first]
    starts_at, ends_at = first
    if ends_at <= starts_at:
        raise Invalid(time_problems(unit, site, starts_at, ends_at))
    intervals = rec.occurrences(starts_at, ends_at, recurrence, site.timezone)
    buffer = dt.timedelta(minutes=unit.buffer_minutes)
    if overlapping_each_other((s, e + buffer) for s, e in intervals):
        raise Invalid(
            {"recurrence": [_("The occurrences would overlap each other (buffer included).")]}
        )
    return intervals


def _passing_rules(
    unit: Equipment,
    site: Site,
    intervals: list[Interval],
    participants: list[Participant],
    skip_conflicts: bool,
) -> tuple[list[Interval], list[dict[str, Any]]]:
    """The occurrences passing rules 1, 4, 5 and 6, and those skipped (422 if none may be)."""
    people = ParticipantCheck(unit, participants)
    valid: list[Interval] = []
    skipped: list[dict[str, Any]] = []
    refused: dict[str, list[str]] = {}
    for index, interval in enumerate(intervals):
        errors = occurrence_problems(unit, site, interval, people)
        if not errors:
            valid.append(interval)
        elif index == 0 or not skip_conflicts:
            for name, messages in (
                errors if index == 0 else on_day(errors, interval[0], site.timezone)
            ).items():
                refused.setdefault(name, []).extend(messages)
        else:
            reasons = [m for messages in errors.values() for m in messages]
            skipped.append(_skipped(interval, site.timezone, [], reasons))
    if refused:
        raise _refusal(unit, intervals, refused)
    return valid, skipped


def _refusal(unit: Equipment, intervals: list[Interval], refused: dict[str, list[str]]) -> Invalid:
    """A 422 with every reason at once: the rules broken, and what else is in the way.

    Someone whose participant is too young and whose time is taken hears of
    both, so the next attempt is not refused again for the other reason.
    """
    if any(e <= s for s, e in intervals):
        return Invalid(refused)
    _free, clashing = _free_of_conflicts(unit, intervals)
    flat = in_the_way(clashing)
    if not flat:
        return Invalid(refused)
    refused.setdefault("starts_at", []).extend(overlap_reasons(unit, flat))
    return Invalid(refused, conflicts=flat)


def _free_of_conflicts(
    unit: Equipment, intervals: list[Interval]
) -> tuple[list[Interval], list[tuple[Interval, list[dict[str, Any]]]]]:
    """Rules 2 and 3: the intervals nothing stands in, and the others with what is in the way."""
    around = Surroundings.load(unit, intervals[0][0], max(e for _s, e in intervals))
    free: list[Interval] = []
    clashing: list[tuple[Interval, list[dict[str, Any]]]] = []
    for interval in intervals:
        found = around.conflicts(*interval)
        if found:
            clashing.append((interval, found))
        else:
            free.append(interval)
    return free, clashing


# --- editing and cancelling ---------------------------------------------------------


class _Move(NamedTuple):
    """One booking of an update: where it goes (unit and interval)."""

    booking: Booking
    unit: Equipment
    interval: Interval


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
    _check_changeable(booking, changes)
    new_unit = (
        _load_unit(changes["equipment_id"]) if changes.get("equipment_id") is not None else None
    )
    participants = (
        _load_participants(changes["participant_ids"])
        if changes.get("participant_ids") is not None
        else None
    )
    purpose = _clean_purpose(changes["purpose"]) if changes.get("purpose") is not None else None

    targets = _scope_targets(booking, scope, for_cancel=False)
    new_times = _new_times(booking, new_unit, changes)
    moves = _plan_moves(booking, targets, new_unit, new_times)
    _check_rules_and_room(booking, moves, participants, new_unit or booking.equipment)

    # Apply in an order that never overlaps a not-yet-moved occurrence
    # (the PostgreSQL constraint is checked row by row).
    forward = new_times[0] >= booking.starts_at
    ordered = sorted(moves, key=lambda move: move.booking.starts_at, reverse=forward)

    def apply() -> None:
        for target, unit, (s, e) in ordered:
            target.equipment = unit
            target.starts_at, target.ends_at = s, e
            target.blocked_until = e + dt.timedelta(minutes=unit.buffer_minutes)
            target.attention = []  # every rule passed again: nothing left to look at
            if purpose is not None:
                target.purpose = purpose
            if participants is not None:
                target.participants = list(participants)
            db.session.flush()

    moving = [move.booking.id for move in moves]
    units = {move.unit.id: move.unit for move in moves}
    flush_guarded(units, [(u.id, s, e, moving) for _b, u, (s, e) in moves], apply)
    return [move.booking for move in moves]


def _check_changeable(booking: Booking, changes: dict[str, Any]) -> None:
    """Only active bookings change; a kit handed over keeps its start and unit."""
    if not booking.is_active:
        raise Conflict(_("Only reserved or checked-out bookings can be changed."))
    if booking.status == BookingStatus.CHECKED_OUT.value and (
        {"starts_at", "equipment_id"} & set(changes)
    ):
        field_name = "starts_at" if "starts_at" in changes else "equipment_id"
        raise Invalid(
            {field_name: [_("The kit has been handed over already; only the end can change.")]}
        )


def _new_times(booking: Booking, new_unit: Equipment | None, changes: dict[str, Any]) -> Interval:
    """The changed booking's new start and end (naive times are its site's wall clock)."""
    tz = site_of(new_unit or booking.equipment).timezone
    starts_at = changes.get("starts_at")
    ends_at = changes.get("ends_at")
    new_start = clock.as_utc(starts_at, tz, "starts_at") if starts_at else booking.starts_at
    new_end = clock.as_utc(ends_at, tz, "ends_at") if ends_at else booking.ends_at
    if new_end <= new_start:
        raise Invalid({"ends_at": [_("The end must be after the start.")]})
    return new_start, new_end


def _plan_moves(
    booking: Booking, targets: list[Booking], new_unit: Equipment | None, new_times: Interval
) -> list[_Move]:
    """Where each target goes: ``booking``'s change carried over in local wall-clock time."""
    old_times = (booking.starts_at, booking.ends_at)
    moves = []
    for target in targets:
        unit = new_unit or target.equipment
        interval = rec.shift_wall_clock(
            (target.starts_at, target.ends_at), old_times, new_times, site_of(unit).timezone
        )
        moves.append(_Move(target, unit, interval))
    return moves


def _check_moves(
    booking: Booking, moves: list[_Move], participants: list[Participant] | None
) -> None:
    """Rules 1, 4, 5 and 6 for every occurrence touched (422, naming each later one's day).

    Only a time that moves is checked against "not in the past".
    """
    refused: dict[str, list[str]] = {}
    for target, unit, (s, e) in moves:
        site = site_of(unit)
        chosen = participants if participants is not None else list(target.participants)
        people = ParticipantCheck(unit, chosen)
        errors = occurrence_problems(
            unit,
            site,
            (s, e),
            people,
            check_start_past=s != target.starts_at,
            check_end_past=e != target.ends_at,
        )
        named = errors if target.id == booking.id else on_day(errors, s, site.timezone)
        for name, messages in named.items():
            refused.setdefault(name, []).extend(messages)
    if refused:
        raise Invalid(refused)


def _check_rules_and_room(
    booking: Booking, moves: list[_Move], participants: list[Participant] | None,
    anchor_unit: Equipment,
) -> None:
    """Rules 1, 4-6 (422), then 2 and 3 (409); a 422 also tells what else is in the way."""
    try:
        _check_moves(booking, moves, participants)
    except Invalid as refused:
        if any(e <= s for _t, _u, (s, e) in moves):
            raise
        try:
            _check_room(moves, anchor_unit)
        except Conflict as taken:
            refused.errors.setdefault("starts_at", []).append(taken.detail)
            raise Invalid(refused.errors, conflicts=taken.conflicts) from None
        raise
    _check_room(moves, anchor_unit)


def _check_room(moves: list[_Move], anchor_unit: Equipment) -> None:
    """Rules 2 and 3 against everything but the bookings being moved, then among them."""
    moving = [move.booking.id for move in moves]
    clashing: list[tuple[Interval, list[dict[str, Any]]]] = []
    for move in moves:
        s, e = move.interval
        in_the_way = Surroundings.load(move.unit, s, e, exclude_ids=moving).conflicts(s, e)
        if in_the_way:
            clashing.append(((s, e), in_the_way))
    by_unit: dict[int, list[Interval]] = {}
    for _target, unit, (s, e) in moves:
        by_unit.setdefault(unit.id, []).append((s, e + dt.timedelta(minutes=unit.buffer_minutes)))
    if any(overlapping_each_other(spans) for spans in by_unit.values()):
        raise Invalid(
            {"starts_at": [_("The occurrences would overlap each other (buffer included).")]}
        )
    if clashing:
        raise_overlap(anchor_unit, site_of(anchor_unit).timezone, clashing)


def bookings_to_cancel(booking: Booking, scope: str = "this") -> list[Booking]:
    """What :func:`cancel_booking` would cancel now: the reserved bookings in ``scope``.

    Asked before cancelling, so the question can say how many and when; a
    kit handed over (409) or nothing left to cancel (409) is said at once.
    """
    if scope not in SCOPES:
        raise Invalid({"scope": [_("Scope must be this, following or series.")]})
    if booking.status in (BookingStatus.CHECKED_OUT.value, BookingStatus.RETURNED.value):
        raise Conflict(_("A kit that has been handed over is returned, not cancelled."))
    targets = _scope_targets(booking, scope, for_cancel=True)
    reserved = [t for t in targets if t.status == BookingStatus.RESERVED.value]
    if not reserved:
        raise Conflict(_("This booking has been cancelled already."))
    return reserved


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
            target.attention = []
    db.session.flush()
    return targets
