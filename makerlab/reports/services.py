"""The weekly usage report: one builder for the page, PDF, CSV, XLSX, JSON and CLI.

Definitions (ISO week ``YYYY-Www`` in each site's local time, so a week with a
DST change has 167 or 169 hours):

- ``booked_hours``: non-cancelled bookings of the unit clipped to the week.
- ``open_hours``: the site's opening hours in the week minus closure days
  (maintenance blocks do not reduce it).
- ``utilization``: booked / open (0 when open is 0). Loans that run over
  nights count in full, so a kit can exceed 100 %.
- ``bookings``: non-cancelled bookings overlapping the week.
- ``loans``: non-cancelled bookings of the unit handed out (``checked_out_at``)
  during the week, early hand-overs included.
- ``overdue_returns``: checked-out bookings that were overdue at some moment
  of the week: the time from ``ends_at`` until the return (or until now, if
  still out) is non-empty and overlaps the week. A kit returned late inside
  the week counts, as does one still out past ``ends_at``.
- workshops: ``sessions`` not cancelled that start in the week;
  ``seats_offered`` their capacity; ``seats_confirmed`` the seats of their
  confirmed enrolments; ``attended`` the recorded ``attended_count`` of their
  enrolments that are not cancelled.
- ``schools_reached``: distinct schools with a class enrolment (not cancelled)
  in those sessions that is confirmed or has attendance above zero.
- named participants reached: distinct participants with an individual
  enrolment in those sessions that is confirmed or attended, or on a
  non-cancelled booking overlapping the week. ``participants_reached`` is
  their number plus the attended headcounts of class enrolments.
- ``age_bands``: those named participants by age, where age is the ISO year
  of the week (the year of its Thursday) minus ``birth_year``; ``birth_year``
  survives erasure, so a past week's report does not change when someone is
  erased. Participants without a birth year are counted in ``age_unknown``.

No names of participants appear anywhere (SPEC 14). Everything is computed
with a fixed number of SQL statements (six), whatever the amount of data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab import clock
from makerlab.bookings.models import Booking, booking_participants
from makerlab.db import UTCDateTime
from makerlab.enums import BookingStatus, EnrolmentStatus, EquipmentStatus, SessionStatus
from makerlab.equipment.models import Equipment
from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.participants.models import Participant
from makerlab.reports.sql import epoch_seconds, greatest, least
from makerlab.sites.models import Closure, Site
from makerlab.sites.services import open_intervals
from makerlab.workshops.models import Enrolment, WorkshopSession

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")
AGE_BANDS = ("<10", "10-13", "14-17", "18+")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIGURES = ("booked_hours", "open_hours", "utilization", "bookings", "loans", "overdue_returns")


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: ``year`` is the ISO year (the year of the week's Thursday)."""

    year: int
    number: int

    @classmethod
    def containing(cls, day: dt.date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def thursday(self) -> dt.date:
        return self.monday + dt.timedelta(days=3)

    def shifted(self, weeks: int) -> Week:
        return Week.containing(self.monday + dt.timedelta(weeks=weeks))

    def a_year_earlier(self) -> Week:
        """The same week number a year before (week 52 if that year has no week 53)."""
        last = dt.date(self.year - 1, 12, 28).isocalendar().week
        return Week(self.year - 1, min(self.number, last))

    def window(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """Monday 00:00 to the next Monday 00:00, site-local, as UTC instants."""
        return (
            clock.local_midnight(self.monday, timezone),
            clock.local_midnight(self.monday + dt.timedelta(days=7), timezone),
        )


def parse_week(text: str | None) -> Week:
    """Read ``YYYY-Www`` (e.g. ``2027-W12``); anything else is a 422 on ``week``."""
    match = WEEK_PATTERN.match((text or "").strip())
    message = _("Give the week as YYYY-Www, for example 2027-W12.")
    if match is None:
        raise Invalid({"week": [message]})
    year, number = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 2999:
        raise Invalid({"week": [_("The year must be between 1900 and 2999.")]})
    try:
        dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise Invalid({"week": [_("The year %(year)d has no week %(number)d.",
                                  year=year, number=number)]}) from None
    return Week(year, number)


def last_week(timezone: str) -> Week:
    """The ISO week before the current one in ``timezone``: the usual report to print."""
    return Week.containing(clock.today(timezone)).shifted(-1)


class _Windows:
    """Week start/end per site as SQL expressions (a CASE only if the zones differ)."""

    def __init__(self, windows: dict[int, tuple[dt.datetime, dt.datetime]]) -> None:
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


def build_weekly_report(week: str, site_id: int | None = None) -> dict[str, Any]:
    """Every figure of the weekly usage report for one ISO week, one site or all (JSON-able)."""
    iso_week = parse_week(week)
    sites = _load_sites(site_id)
    windows = {site.id: iso_week.window(site.timezone) for site in sites}
    win = _Windows(windows)
    closures = _load_closures(sites, iso_week)
    open_by_site = {
        site.id: open_intervals(site, *windows[site.id], closures=closures[site.id])
        for site in sites
    }
    open_seconds = {
        sid: sum(int((end - start).total_seconds()) for start, end in intervals)
        for sid, intervals in open_by_site.items()
    }
    site_ids = [site.id for site in sites]
    now = clock.now()

    units = _unit_rows(win, site_id, open_seconds, now)
    heatmap = _heatmap(win, site_id, sites, windows, open_by_site, units)
    workshops = _workshop_figures(win, site_id)
    ages, named = _age_bands(win, site_id, iso_week)
    workshops["participants_reached"] = named + workshops.pop("class_attended")

    categories = _category_rows(units)
    first = sites[0]
    return {
        "week": iso_week.label,
        "year": iso_week.year,
        "number": iso_week.number,
        "starts_on": iso_week.monday.isoformat(),
        "ends_on": iso_week.sunday.isoformat(),
        "site_id": site_id,
        "site_name": first.name if site_id is not None else None,
        "sites": [
            {
                "id": site.id,
                "name": site.name,
                "timezone": site.timezone,
                "starts_at": windows[site.id][0].astimezone(ZoneInfo(site.timezone)).isoformat(),
                "ends_at": windows[site.id][1].astimezone(ZoneInfo(site.timezone)).isoformat(),
                "hours_in_week": (windows[site.id][1] - windows[site.id][0]).total_seconds() / 3600,
                "open_hours": open_seconds[site.id] / 3600,
                "closures": [
                    {"starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(),
                     "reason": c.reason}
                    for c in closures[site.id]
                ],
            }
            for site in sites
        ],
        "units": units,
        "categories": categories,
        "totals": _summed(units),
        "workshops": workshops,
        "age_bands": ages,
        "age_unknown": named - sum(ages.values()),
        "named_participants": named,
        "heatmap": heatmap,
        "generated_at": now.astimezone(ZoneInfo(first.timezone)).isoformat(timespec="seconds"),
        "site_ids": site_ids,
    }


def _load_sites(site_id: int | None) -> list[Site]:
    stmt = sa.select(Site).order_by(Site.id)
    if site_id is not None:
        stmt = stmt.where(Site.id == site_id)
    sites = list(db.session.scalars(stmt))
    if not sites:
        if site_id is not None:
            raise Invalid({"site_id": [_("Unknown site.")]})
        raise Invalid({"site_id": [_("No site exists yet.")]})
    return sites


def _load_closures(sites: list[Site], week: Week) -> dict[int, list[Closure]]:
    rows = db.session.scalars(
        sa.select(Closure)
        .where(
            Closure.site_id.in_([site.id for site in sites]),
            Closure.starts_on <= week.sunday,
            Closure.ends_on >= week.monday,
        )
        .order_by(Closure.starts_on)
    )
    by_site: dict[int, list[Closure]] = {site.id: [] for site in sites}
    for closure in rows:
        by_site[closure.site_id].append(closure)
    return by_site


def _site_scope(stmt: Any, site_id: int | None, win: _Windows) -> Any:
    """Join the unit when its site matters (one site asked for, or zones differ)."""
    if site_id is None and win.uniform:
        return stmt
    stmt = stmt.join(Equipment, Equipment.id == Booking.equipment_id)
    if site_id is not None:
        stmt = stmt.where(Equipment.site_id == site_id)
    return stmt


def _not_cancelled() -> Any:
    return Booking.status != BookingStatus.CANCELLED.value


def _overlapping(win: _Windows) -> list[Any]:
    """Bookings overlapping their site's week (the plain bounds let indexes help)."""
    conditions = [_not_cancelled(), Booking.starts_at < win.hi, Booking.ends_at > win.lo]
    if not win.uniform:
        conditions += [
            Booking.starts_at < win.end(Equipment.site_id),
            Booking.ends_at > win.start(Equipment.site_id),
        ]
    return conditions


def _clipped_seconds(win: _Windows) -> Any:
    site = Equipment.site_id
    return epoch_seconds(least(Booking.ends_at, win.end(site))) - epoch_seconds(
        greatest(Booking.starts_at, win.start(site))
    )


def _unit_rows(win: _Windows, site_id: int | None, open_seconds: dict[int, int],
               now: dt.datetime) -> list[dict[str, Any]]:
    """One statement: per unit booked seconds, bookings, loans, overdue returns."""
    zero, one = sa.literal(0, sa.BigInteger()), sa.literal(1, sa.BigInteger())
    site = Equipment.site_id
    overlap = _site_scope(
        sa.select(
            Booking.equipment_id.label("equipment_id"),
            sa.cast(_clipped_seconds(win), sa.BigInteger()).label("secs"),
            one.label("n_bookings"), zero.label("n_loans"), zero.label("n_overdue"),
        ),
        site_id, win,
    ).where(*_overlapping(win))
    loans = _site_scope(
        sa.select(Booking.equipment_id, zero, zero, one, zero), site_id, win
    ).where(
        _not_cancelled(),
        Booking.checked_out_at >= win.start(site),
        Booking.checked_out_at < win.end(site),
    )
    still_out_until = sa.func.coalesce(Booking.returned_at, sa.literal(now, UTCDateTime()))
    overdue = _site_scope(
        sa.select(Booking.equipment_id, zero, zero, zero, one), site_id, win
    ).where(
        _not_cancelled(),
        Booking.checked_out_at.is_not(None),
        Booking.ends_at < win.end(site),
        still_out_until > win.start(site),
        still_out_until > Booking.ends_at,
    )
    parts = sa.union_all(overlap, loans, overdue).subquery("parts")
    per_unit = (
        sa.select(
            parts.c.equipment_id,
            sa.func.sum(parts.c.secs).label("secs"),
            sa.func.sum(parts.c.n_bookings).label("n_bookings"),
            sa.func.sum(parts.c.n_loans).label("n_loans"),
            sa.func.sum(parts.c.n_overdue).label("n_overdue"),
        )
        .group_by(parts.c.equipment_id)
        .subquery("per_unit")
    )
    stmt = (
        sa.select(
            Equipment.id, Equipment.name, Equipment.category, Equipment.site_id,
            Equipment.loanable, per_unit.c.secs, per_unit.c.n_bookings, per_unit.c.n_loans,
            per_unit.c.n_overdue,
        )
        .outerjoin(per_unit, per_unit.c.equipment_id == Equipment.id)
        .where(
            Equipment.site_id.in_(list(open_seconds)),
            sa.or_(Equipment.status != EquipmentStatus.RETIRED.value, per_unit.c.secs.is_not(None)),
        )
        .order_by(Equipment.category, Equipment.name, Equipment.id)
    )
    rows = []
    for r in db.session.execute(stmt):
        booked = int(r.secs or 0)
        opened = open_seconds[r.site_id]
        rows.append({
            "id": r.id,
            "name": r.name,
            "category": r.category,
            "site_id": r.site_id,
            "loanable": bool(r.loanable),
            "booked_hours": booked / 3600,
            "booked_minutes": round(booked / 60),
            "open_hours": opened / 3600,
            "open_minutes": round(opened / 60),
            "utilization": booked / opened if opened else 0.0,
            "bookings": int(r.n_bookings or 0),
            "loans": int(r.n_loans or 0),
            "overdue_returns": int(r.n_overdue or 0),
        })
    return rows


def _summed(rows: list[dict[str, Any]]) -> dict[str, Any]:
    booked = sum(r["booked_minutes"] for r in rows)
    opened = sum(r["open_minutes"] for r in rows)
    return {
        "units": len(rows),
        "booked_hours": sum(r["booked_hours"] for r in rows),
        "booked_minutes": booked,
        "open_hours": sum(r["open_hours"] for r in rows),
        "open_minutes": opened,
        "utilization": booked / opened if opened else 0.0,
        "bookings": sum(r["bookings"] for r in rows),
        "loans": sum(r["loans"] for r in rows),
        "overdue_returns": sum(r["overdue_returns"] for r in rows),
    }


def _category_rows(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The unit figures summed per category (units come sorted by category)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for unit in units:
        grouped[unit["category"]].append(unit)
    return [{"category": category, **_summed(rows)} for category, rows in grouped.items()]


def _heatmap(win: _Windows, site_id: int | None, sites: list[Site],
             windows: dict[int, tuple[dt.datetime, dt.datetime]],
             open_by_site: dict[int, list[tuple[dt.datetime, dt.datetime]]],
             units: list[dict[str, Any]]) -> dict[str, Any]:
    """Booked unit-minutes per local weekday and hour (one recursive statement).

    Each clipped booking is expanded into the hours it touches (a recursive
    CTE, so rows grow with booked hours, not with the table), then summed per
    hour since the site's week start; Python maps those few rows to local
    wall-clock cells, which handles the 23- and 25-hour DST days.
    """
    big = sa.BigInteger()
    site = Equipment.site_id
    start_epoch = win.start_epoch(site)
    site_col = site if not win.uniform else sa.literal(sites[0].id, sa.Integer())
    clipped = _site_scope(
        sa.select(
            site_col.label("site_id"),
            sa.cast(epoch_seconds(greatest(Booking.starts_at, win.start(site))) - start_epoch,
                    big).label("s"),
            sa.cast(epoch_seconds(least(Booking.ends_at, win.end(site))) - start_epoch,
                    big).label("e"),
        ),
        site_id, win,
    ).where(*_overlapping(win)).cte("clipped")
    hours = sa.select(
        clipped.c.site_id,
        sa.cast(clipped.c.s // 3600, big).label("h"),
        clipped.c.s,
        clipped.c.e,
    ).cte("hours", recursive=True)
    hours = hours.union_all(
        sa.select(hours.c.site_id, sa.cast(hours.c.h + 1, big), hours.c.s, hours.c.e).where(
            (hours.c.h + 1) * 3600 < hours.c.e
        )
    )
    overlap = least(hours.c.e, (hours.c.h + 1) * 3600) - greatest(hours.c.s, hours.c.h * 3600)
    stmt = sa.select(hours.c.site_id, hours.c.h, sa.func.sum(overlap)).group_by(
        hours.c.site_id, hours.c.h
    )
    booked = [[0.0] * 24 for _day in range(7)]
    capacity = [[0.0] * 24 for _day in range(7)]
    zones = {s.id: ZoneInfo(s.timezone) for s in sites}
    for sid, hour, seconds in db.session.execute(stmt):
        local = (windows[sid][0] + dt.timedelta(hours=int(hour))).astimezone(zones[sid])
        booked[local.weekday()][local.hour] += float(seconds or 0) / 60
    unit_count: dict[int, int] = defaultdict(int)
    for unit in units:
        unit_count[unit["site_id"]] += 1
    for sid, intervals in open_by_site.items():
        for start, end in intervals:
            cursor = start
            while cursor < end:
                local = cursor.astimezone(zones[sid])
                next_hour = (local.replace(minute=0, second=0, microsecond=0)
                             + dt.timedelta(hours=1)).astimezone(dt.UTC)
                # Across a DST change the local "next hour" can be ambiguous;
                # never step less than a minute, never past the interval.
                step_end = min(end, max(next_hour, cursor + dt.timedelta(minutes=1)))
                minutes = (step_end - cursor).total_seconds() / 60
                capacity[local.weekday()][local.hour] += minutes * unit_count[sid]
                cursor = step_end
    return {
        "weekdays": list(WEEKDAYS),
        "hours": list(range(24)),
        "booked_minutes": [[round(v) for v in day] for day in booked],
        "capacity_minutes": [[round(v) for v in day] for day in capacity],
    }


def _week_sessions(win: _Windows, site_id: int | None) -> Any:
    conditions = [
        WorkshopSession.status != SessionStatus.CANCELLED.value,
        WorkshopSession.starts_at >= win.start(WorkshopSession.site_id),
        WorkshopSession.starts_at < win.end(WorkshopSession.site_id),
    ]
    if site_id is not None:
        conditions.append(WorkshopSession.site_id == site_id)
    return sa.select(WorkshopSession.id, WorkshopSession.capacity).where(*conditions)


def _reached(enrolment_status: Any) -> Any:
    return sa.or_(
        enrolment_status == EnrolmentStatus.CONFIRMED.value, Enrolment.attended_count > 0
    )


def _workshop_figures(win: _Windows, site_id: int | None) -> dict[str, Any]:
    """One statement of scalar subqueries over the week's sessions and enrolments."""
    sessions = _week_sessions(win, site_id).cte("week_sessions")
    in_week = Enrolment.session_id.in_(sa.select(sessions.c.id))
    not_cancelled = Enrolment.status != EnrolmentStatus.CANCELLED.value
    is_class = Enrolment.participant_id.is_(None)

    def total(expr: Any, *where: Any) -> Any:
        return sa.select(sa.func.coalesce(sa.func.sum(expr), 0)).where(*where).scalar_subquery()

    stmt = sa.select(
        sa.select(sa.func.count()).select_from(sessions).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(sessions.c.capacity), 0)).scalar_subquery(),
        total(Enrolment.seats, in_week, Enrolment.status == EnrolmentStatus.CONFIRMED.value),
        total(Enrolment.attended_count, in_week, not_cancelled),
        total(Enrolment.attended_count, in_week, not_cancelled, is_class),
        sa.select(sa.func.count(sa.distinct(Enrolment.school_id)))
        .where(in_week, not_cancelled, is_class, _reached(Enrolment.status))
        .scalar_subquery(),
    )
    row = db.session.execute(stmt).one()
    return {
        "sessions": int(row[0]),
        "seats_offered": int(row[1]),
        "seats_confirmed": int(row[2]),
        "attended": int(row[3]),
        "class_attended": int(row[4]),
        "schools_reached": int(row[5]),
    }


def _age_bands(win: _Windows, site_id: int | None, week: Week) -> tuple[dict[str, int], int]:
    """Distinct named participants reached, by age band (one statement)."""
    sessions = _week_sessions(win, site_id).cte("age_sessions")
    from_enrolments = sa.select(Enrolment.participant_id.label("pid")).where(
        Enrolment.session_id.in_(sa.select(sessions.c.id)),
        Enrolment.participant_id.is_not(None),
        Enrolment.status != EnrolmentStatus.CANCELLED.value,
        _reached(Enrolment.status),
    )
    from_bookings = _site_scope(
        sa.select(booking_participants.c.participant_id.label("pid")).join(
            Booking, Booking.id == booking_participants.c.booking_id
        ),
        site_id, win,
    ).where(*_overlapping(win))
    reached = sa.union(from_enrolments, from_bookings).subquery("reached")
    age = sa.literal(week.year, sa.Integer()) - Participant.birth_year
    band = sa.case(
        (Participant.birth_year.is_(None), "unknown"),
        (age < 10, AGE_BANDS[0]),
        (age <= 13, AGE_BANDS[1]),
        (age <= 17, AGE_BANDS[2]),
        else_=AGE_BANDS[3],
    ).label("band")
    stmt = (
        sa.select(band, sa.func.count())
        .select_from(Participant)
        .where(Participant.id.in_(sa.select(reached.c.pid)))
        .group_by(band)
    )
    counts = {name: 0 for name in AGE_BANDS}
    named = 0
    for name, count in db.session.execute(stmt):
        named += int(count)
        if name in counts:
            counts[name] = int(count)
    return counts, named
