"""The report's two statements over the data: one pass over the period's bookings,
one over its sessions and enrolments. Their row shapes are read by
:mod:`makerlab.reports.services`, which turns them into the report.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from makerlab.bookings.models import Booking, booking_participants
from makerlab.db import UTCDateTime, planned_for_their_values, read_beside
from makerlab.enums import BookingStatus, EnrolmentStatus, EquipmentStatus, SessionStatus
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.participants.models import Participant
from makerlab.reports.periods import Period
from makerlab.reports.sql import bucket, epoch_seconds, greatest, least, span_overlaps
from makerlab.schools.models import School
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

AGE_BANDS = ("<10", "10-13", "14-17", "18+")
Interval = tuple[dt.datetime, dt.datetime]


class Windows:
    """Period start/end per site as SQL expressions (a CASE only if the zones differ)."""

    def __init__(self, windows: dict[int, Interval]) -> None:
        self.windows = windows
        self.lo = min(start for start, _end in windows.values())
        self.hi = max(end for _start, end in windows.values())
        self.uniform = len(set(windows.values())) == 1

    def _pick(self, site_col: Any, index: int) -> Any:
        if self.uniform:
            return sa.literal(next(iter(self.windows.values()))[index], UTCDateTime())
        return sa.case(
            {sid: sa.literal(w[index], UTCDateTime()) for sid, w in self.windows.items()},
            value=site_col,
        )

    def start(self, site_col: Any) -> Any:
        return self._pick(site_col, 0)

    def end(self, site_col: Any) -> Any:
        return self._pick(site_col, 1)

    def start_epoch(self, site_col: Any) -> Any:
        if self.uniform:
            return sa.literal(int(self.lo.timestamp()), sa.BigInteger())
        return sa.case(
            {sid: sa.literal(int(w[0].timestamp()), sa.BigInteger())
             for sid, w in self.windows.items()},
            value=site_col,
        )


class Months:
    """Which month of the period an instant or an offset falls in, in SQL.

    ``starts[sid]`` are the UTC instants the period's months begin at, in the
    site's zone (the first is the period's start).
    """

    def __init__(self, starts: dict[int, list[dt.datetime]]) -> None:
        self.starts = starts
        self.uniform = len({tuple(s) for s in starts.values()}) == 1

    def _per_site(self, site_col: Any, of_site: Any) -> Any:
        if self.uniform:
            return of_site(next(iter(self.starts)))
        return sa.case({sid: of_site(sid) for sid in self.starts}, value=site_col)

    def _offsets(self, sid: int) -> list[Any]:
        first = self.starts[sid][0]
        return [sa.literal(int((s - first).total_seconds()), sa.BigInteger())
                for s in self.starts[sid][1:]]

    def of_instant(self, instant: Any, site_col: Any) -> Any:
        """Month index (0 ..) of an instant column."""
        def of_site(sid: int) -> Any:
            later = [sa.literal(s, UTCDateTime()) for s in self.starts[sid][1:]]
            return bucket(instant, *later) if later else sa.literal(0, sa.Integer())
        return self._per_site(site_col, of_site)

    def of_offset(self, seconds: Any, site_col: Any) -> Any:
        """Month index (0 ..) of seconds since the site's period start."""
        def of_site(sid: int) -> Any:
            later = self._offsets(sid)
            return bucket(seconds, *later) if later else sa.literal(0, sa.Integer())
        return self._per_site(site_col, of_site)

    def ending_by(self, seconds: Any, site_col: Any) -> Any:
        """For a whole-second end offset: the first month boundary at or after it (1 ..)."""
        def of_site(sid: int) -> Any:
            later = self._offsets(sid)
            if not later:
                return sa.literal(1, sa.Integer())
            return bucket(seconds - 1, *later) + 1
        return self._per_site(site_col, of_site)


def _site_scope(stmt: Any, site_id: int | None, win: Windows) -> Any:
    """Join the unit when its site matters (one site asked for, or zones differ)."""
    if site_id is None and win.uniform:
        return stmt
    stmt = stmt.join(Equipment, Equipment.id == Booking.equipment_id)
    if site_id is not None:
        stmt = stmt.where(Equipment.site_id == site_id)
    return stmt


def _period_bookings(win: Windows, site_id: int | None, now: dt.datetime) -> Any:
    """The bookings that matter to the period, with their clipped offsets, as a materialised CTE.

    Overlapping the period (``in_period``, clipped start ``s`` and end ``e`` in
    seconds from the period's start), handed out in it (``loan``) or overdue
    during it (``overdue``); found through the report span, so bounded by the period.
    """
    # 32-bit columns: offsets within a period of at most five years fit, and
    # PostgreSQL sums integers in a 64-bit accumulator, but bigints in a
    # 128-bit (or numeric) state: a tenth of a year's statement.
    small = sa.Integer()
    zero, one = sa.literal(0, small), sa.literal(1, small)
    site = Equipment.site_id
    overlaps = sa.and_(Booking.starts_at < win.end(site), Booking.ends_at > win.start(site))
    if win.uniform:
        overlaps = sa.and_(Booking.starts_at < win.hi, Booking.ends_at > win.lo)
    handed_out = sa.and_(
        Booking.checked_out_at >= win.start(site), Booking.checked_out_at < win.end(site)
    )
    out_until = sa.func.coalesce(Booking.returned_at, sa.literal(now, UTCDateTime()))
    overdue = sa.and_(
        Booking.checked_out_at.is_not(None),
        Booking.ends_at < win.end(site),
        out_until > win.start(site),
        out_until > Booking.ends_at,
    )
    start_epoch = win.start_epoch(site)
    clip_start = epoch_seconds(greatest(Booking.starts_at, win.start(site))) - start_epoch
    clip_end = epoch_seconds(least(Booking.ends_at, win.end(site))) - start_epoch
    selected = _site_scope(
        sa.select(
            Booking.id.label("id"),
            # "+ 0": grouping by the bare column tempts SQLite into walking the
            # whole (equipment_id, starts_at) index in order; a plain scan is faster.
            (Booking.equipment_id + 0).label("equipment_id"),
            # The site only when the zones differ (every column costs a year's pass).
            *([] if win.uniform else [site.label("site_id")]),
            sa.case((overlaps, one), else_=zero).label("in_period"),
            sa.case((overlaps, sa.cast(clip_start, small)), else_=zero).label("s"),
            sa.case((overlaps, sa.cast(clip_end, small)), else_=zero).label("e"),
            sa.case((handed_out, one), else_=zero).label("loan"),
            sa.case((overdue, one), else_=zero).label("overdue"),
        ),
        site_id, win,
    ).where(
        Booking.status != BookingStatus.CANCELLED.value,
        # A superset of the three cases above; the CASEs decide exactly.
        span_overlaps(sa.literal(win.lo, UTCDateTime()), sa.literal(win.hi, UTCDateTime())),
    )
    return selected.cte("period_bookings").prefix_with("MATERIALIZED")


def _reached_participants(win: Windows, by_month: Months, site_id: int | None, pb: Any,
                          start_month: Any) -> Any:
    """Named participants reached, with the month: enrolled in a session or on a booking."""
    sessions = _period_sessions(win, by_month, site_id).subquery("reach_sessions")
    from_enrolments = (
        sa.select(Enrolment.participant_id.label("pid"), sessions.c.month.label("month"))
        .join(sessions, sessions.c.id == Enrolment.session_id)
        .where(
            Enrolment.participant_id.is_not(None),
            Enrolment.status != EnrolmentStatus.CANCELLED.value,
            _reached(Enrolment.status),
        )
    )
    from_bookings = (
        sa.select(booking_participants.c.participant_id.label("pid"), start_month.label("month"))
        .join(pb, pb.c.id == booking_participants.c.booking_id)
        # "> 0", not "= 1": PostgreSQL guesses that an equality on a CTE column
        # keeps 0.5 % of its rows and then probes the link table once per
        # booking; for an inequality it guesses a third and hash-joins.
        .where(pb.c.in_period > 0)
    )
    return sa.union(from_enrolments, from_bookings).cte("reached")


def _age_band(period: Period) -> Any:
    """A participant's age band in the middle of the period (``unknown`` without birth year)."""
    age = sa.literal(period.middle.year, sa.Integer()) - Participant.birth_year
    return sa.case(
        (Participant.birth_year.is_(None), "unknown"),
        (age < 10, AGE_BANDS[0]),
        (age <= 13, AGE_BANDS[1]),
        (age <= 17, AGE_BANDS[2]),
        else_=AGE_BANDS[3],
    )


def _units_branch(unit_site_ids: list[int]) -> Any:
    """The report's units in the shape of :func:`booking_figures`' union (kind ``unit``)."""
    big = sa.BigInteger()
    zero, one = sa.literal(0, big), sa.literal(1, big)
    return sa.select(
        sa.literal("unit").label("kind"), Equipment.id.label("a"),
        Equipment.site_id.label("b"),
        sa.case((Equipment.status == EquipmentStatus.RETIRED.value, one), else_=zero).label("c"),
        Equipment.name.label("name"), Equipment.category.label("category"),
        sa.case((Equipment.loanable, one), else_=zero).label("v1"),
        zero.label("v2"), zero.label("v3"), zero.label("v4"), zero.label("v5"),
    ).where(Equipment.site_id.in_(unit_site_ids))


def booking_figures(win: Windows, by_month: Months, site_id: int | None, period: Period,
                     now: dt.datetime, unit_site_ids: list[int]) -> dict[str, list[Any]]:
    """One statement, one pass over the period's bookings: every booking-based figure.

    The bookings that matter (overlapping the period, handed out in it, or
    overdue during it) are read once into a materialised CTE, found through
    their report span (on PostgreSQL an index, see ``reports/sql.py``), so the
    pass is bounded by the period, not by the table. From it come sums of
    starts and ends per unit and month and per site and hour (from which
    :mod:`makerlab.reports.services` gets booked time, see below), loans,
    overdue returns, and the named participants reached. The result shapes
    share one ``UNION ALL``, told apart by ``kind``.

    Not split further: the branches below share the CTE, its month and hour
    expressions and the column shape of the one ``UNION ALL``.
    """
    big = sa.BigInteger()
    zero = sa.literal(0, big)
    pb = _period_bookings(win, site_id, now)
    booked = pb.c.in_period == 1
    site_of = (sa.literal(unit_site_ids[0], sa.Integer()) if win.uniform
               else pb.c.site_id)
    start_month = by_month.of_offset(pb.c.s, site_of)
    end_month = by_month.ending_by(pb.c.e, site_of)
    start_hour = sa.cast(pb.c.s // 3600, big)
    end_hour = sa.cast((pb.c.e + 3599) // 3600, big)

    reached = _reached_participants(win, by_month, site_id, pb, start_month)
    band = _age_band(period)
    no_text = sa.cast(sa.null(), sa.String())
    # Every branch has the same columns: kind, a, b, c, name, category, v1 .. v5.
    units_q = _units_branch(unit_site_ids)
    # Booked time needs no hour-by-hour expansion: the time booked before an
    # offset T is T * (bookings started before T) - (sum of their starts)
    # - T * (bookings ended by T) + (sum of their ends). So it is enough to sum
    # starts and ends per unit and month (months, units) and per site and hour
    # (heat map); grouping by the start's and the end's bucket together gives
    # both sums in one pass (most bookings start and end in the same bucket).
    unit_months = sa.select(
        sa.literal("unit_months"), pb.c.equipment_id, start_month, sa.cast(end_month, big),
        no_text, no_text, sa.func.sum(pb.c.in_period), sa.func.sum(pb.c.s),
        sa.func.sum(pb.c.e), sa.func.sum(pb.c.loan), sa.func.sum(pb.c.overdue),
    ).group_by(pb.c.equipment_id, start_month, end_month)
    hours = sa.select(
        sa.literal("hours"), site_of, start_hour, end_hour, no_text, no_text,
        sa.func.count(), sa.func.sum(pb.c.s), sa.func.sum(pb.c.e), zero, zero,
    ).where(booked).group_by(site_of, start_hour, end_hour)
    # Distinct participants first (hashed), then one count per band: a
    # "count(DISTINCT ..)" per band sorts every (participant, month) pair.
    reached_once = sa.select(reached.c.pid).distinct().subquery("reached_once")
    age_q = (
        sa.select(sa.literal("age"), zero, zero, zero, band, no_text,
                  sa.func.count(), zero, zero, zero, zero)
        .join(reached_once, reached_once.c.pid == Participant.id)
        .group_by(band)
    )
    month_age_q = (
        sa.select(sa.literal("month_age"), zero, reached.c.month, zero, band, no_text,
                  sa.func.count(), zero, zero, zero, zero)
        .join(reached, reached.c.pid == Participant.id)
        .group_by(reached.c.month, band)
    )
    stmt = sa.union_all(
        units_q, unit_months, hours, age_q, month_age_q
    ).order_by("kind", "category", "name", "a", "b")
    found: dict[str, list[Any]] = defaultdict(list)
    with planned_for_their_values(db.session):
        rows = db.session.execute(stmt).all()  # fetchall: a year has thousands of rows
    for row in rows:
        found[row.kind].append(row)
    return found


def _period_sessions(win: Windows, by_month: Months, site_id: int | None) -> Any:
    """The period's sessions (not cancelled, starting in it) with the month they start in."""
    conditions = [
        WorkshopSession.status != SessionStatus.CANCELLED.value,
        WorkshopSession.starts_at >= win.start(WorkshopSession.site_id),
        WorkshopSession.starts_at < win.end(WorkshopSession.site_id),
    ]
    if site_id is not None:
        conditions.append(WorkshopSession.site_id == site_id)
    return sa.select(
        WorkshopSession.id, WorkshopSession.capacity, WorkshopSession.workshop_id,
        by_month.of_instant(WorkshopSession.starts_at, WorkshopSession.site_id).label("month"),
    ).where(*conditions)


def _reached(enrolment_status: Any) -> Any:
    return sa.or_(
        enrolment_status == EnrolmentStatus.CONFIRMED.value, Enrolment.attended_count > 0
    )


def workshop_rows(win: Windows, by_month: Months,
                  site_id: int | None) -> Callable[[], dict[str, list[Any]]]:
    """One statement over the period's sessions and enrolments, by month, workshop and school.

    Started at once (``db.read_beside``: beside the bookings statement where
    it can); call the result for the rows, grouped by kind.

    Not split: the branches of the one ``UNION ALL`` share the CTE and the
    column shape, and each is a named local read in the order of the result.
    """
    sessions = _period_sessions(win, by_month, site_id).cte("period_sessions")
    big = sa.BigInteger()
    zero = sa.literal(0, big)
    no_text = sa.cast(sa.null(), sa.String())
    # The period's enrolments with their session's month and workshop, read
    # once (found from its sessions through the index on session_id) for
    # the four branches below.
    enrolments = (
        sa.select(
            Enrolment.school_id, Enrolment.session_id, Enrolment.status, Enrolment.seats,
            sa.func.coalesce(Enrolment.attended_count, 0).label("attended"),
            # "+ 0": a bare "participant_id IS NULL" tempts SQLite into walking
            # every class enrolment ever made through that column's index.
            (Enrolment.participant_id + 0).is_(None).label("is_class"),
            _reached(Enrolment.status).label("reached"),
            sessions.c.month, sessions.c.workshop_id,
        )
        .join(sessions, sessions.c.id == Enrolment.session_id)
        .where(Enrolment.session_id.in_(sa.select(sessions.c.id)))
        .cte("period_enrolments")
        .prefix_with("MATERIALIZED")
    )
    confirmed = enrolments.c.status == EnrolmentStatus.CONFIRMED.value
    counted = enrolments.c.status != EnrolmentStatus.CANCELLED.value
    is_class = enrolments.c.is_class
    school_reached = sa.and_(counted, is_class, enrolments.c.reached)

    def total(expr: Any, where: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((where, expr), else_=0)), 0)

    def enrolment_figures(kind: str, key: Any) -> Any:
        return (
            sa.select(
                sa.literal(kind), key, no_text,
                total(enrolments.c.seats, confirmed),
                total(enrolments.c.attended, counted),
                total(enrolments.c.attended, sa.and_(counted, is_class)),
                sa.func.count(sa.distinct(sa.case((school_reached, enrolments.c.school_id)))),
            )
            .group_by(key)
        )

    month_sessions = sa.select(
        sa.literal("month_sessions"), sessions.c.month, no_text, sa.func.count(),
        sa.func.coalesce(sa.func.sum(sessions.c.capacity), 0), zero, zero,
    ).group_by(sessions.c.month)
    workshop_sessions = (
        sa.select(
            sa.literal("workshop_sessions"), sessions.c.workshop_id, Workshop.title,
            sa.func.count(), sa.func.coalesce(sa.func.sum(sessions.c.capacity), 0), zero, zero,
        )
        .join(Workshop, Workshop.id == sessions.c.workshop_id)
        .group_by(sessions.c.workshop_id, Workshop.title)
    )
    schools = (
        sa.select(
            sa.literal("school"), enrolments.c.school_id, School.name,
            sa.func.count(sa.distinct(enrolments.c.session_id)), sa.func.count(),
            sa.func.coalesce(sa.func.sum(enrolments.c.attended), 0),
            sa.func.coalesce(sa.func.sum(sa.case((confirmed, enrolments.c.seats), else_=0)), 0),
        )
        .join(School, School.id == enrolments.c.school_id)
        .where(school_reached)
        .group_by(enrolments.c.school_id, School.name)
    )
    schools_total = (
        sa.select(
            sa.literal("schools_total"), zero, no_text,
            sa.func.count(sa.distinct(enrolments.c.school_id)), zero, zero, zero,
        )
        .where(school_reached)
    )
    stmt = sa.union_all(
        month_sessions,
        enrolment_figures("month_enrolments", enrolments.c.month),
        workshop_sessions,
        enrolment_figures("workshop_enrolments", enrolments.c.workshop_id),
        schools,
        schools_total,
    )
    read = read_beside(db.session, stmt)

    def grouped() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = defaultdict(list)
        for row in read():
            found[row[0]].append(row)
        return found

    return grouped
