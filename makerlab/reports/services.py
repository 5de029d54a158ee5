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
with a fixed number of SQL statements (four), whatever the amount of data.
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
    if match is None:
        raise Invalid({"week": [_("Give the week as YYYY-Www, for example 2027-W12.")]})
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

    unit_rows, heat_rows, age_rows = _booking_figures(win, site_id, iso_week, now, site_ids)
    units = _unit_rows(unit_rows, open_seconds)
    heatmap = _heatmap(heat_rows, sites, windows, open_by_site, units)
    workshops = _workshop_figures(win, site_id)
    ages, named = _age_bands(age_rows)
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


def _booking_figures(win: _Windows, site_id: int | None, iso_week: Week, now: dt.datetime,
                     unit_site_ids: list[int]) -> tuple[list[Any], list[Any], list[Any]]:
    """One statement, one pass over bookings: unit figures, heat-map hours, age bands.

    The bookings that matter for the week (overlapping it, handed out in it,
    or overdue during it) are read once into a materialised CTE; the per-unit
    sums, the hour-by-hour expansion for the heat map (a recursive CTE, so its
    rows grow with booked hours, not with the table) and the named
    participants reached all come from it. The three result shapes share one
    ``UNION ALL``, told apart by ``kind``.
    """
    big = sa.BigInteger()
    zero, one = sa.literal(0, big), sa.literal(1, big)
    site = Equipment.site_id
    overlaps = sa.and_(Booking.starts_at < win.end(site), Booking.ends_at > win.start(site))
    if win.uniform:  # plain bounds an index can use
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
    site_col = site if not win.uniform else sa.literal(unit_site_ids[0], sa.Integer())
    week = _site_scope(
        sa.select(
            Booking.id.label("id"),
            # "+ 0": grouping by the bare column tempts SQLite into walking the
            # whole (equipment_id, starts_at) index in order; a plain scan is faster.
            (Booking.equipment_id + 0).label("equipment_id"),
            site_col.label("site_id"),
            sa.case((overlaps, one), else_=zero).label("in_week"),
            sa.case((overlaps, sa.cast(clip_start, big)), else_=zero).label("s"),
            sa.case((overlaps, sa.cast(clip_end, big)), else_=zero).label("e"),
            sa.case((handed_out, one), else_=zero).label("loan"),
            sa.case((overdue, one), else_=zero).label("overdue"),
        ),
        site_id, win,
    ).where(
        _not_cancelled(),
        # A superset of the three cases, written so that each branch can use an
        # index on its own column (ends_at, checked_out_at, status, returned_at)
        # where there is one; the CASEs above decide exactly.
        sa.or_(
            overlaps,
            handed_out,
            sa.and_(Booking.status == BookingStatus.CHECKED_OUT.value,
                    Booking.ends_at < win.hi),
            sa.and_(Booking.returned_at > win.lo, Booking.returned_at > Booking.ends_at,
                    Booking.ends_at < win.hi),
        ),
    )
    wb = week.cte("week_bookings").prefix_with("MATERIALIZED")

    per_unit = (
        sa.select(
            wb.c.equipment_id,
            sa.func.sum(wb.c.e - wb.c.s).label("secs"),
            sa.func.sum(wb.c.in_week).label("bookings"),
            sa.func.sum(wb.c.loan).label("loans"),
            sa.func.sum(wb.c.overdue).label("overdue"),
        )
        .group_by(wb.c.equipment_id)
        .subquery("per_unit")
    )
    hours = sa.select(
        wb.c.site_id, sa.cast(wb.c.s // 3600, big).label("h"), wb.c.s, wb.c.e
    ).where(wb.c.in_week == 1, wb.c.e > wb.c.s).cte("hours", recursive=True)
    hours = hours.union_all(
        sa.select(hours.c.site_id, sa.cast(hours.c.h + 1, big), hours.c.s, hours.c.e).where(
            (hours.c.h + 1) * 3600 < hours.c.e
        )
    )
    hour_secs = least(hours.c.e, (hours.c.h + 1) * 3600) - greatest(hours.c.s, hours.c.h * 3600)

    sessions = _week_sessions(win, site_id).subquery("age_sessions")
    from_enrolments = sa.select(Enrolment.participant_id.label("pid")).where(
        Enrolment.session_id.in_(sa.select(sessions.c.id)),
        Enrolment.participant_id.is_not(None),
        Enrolment.status != EnrolmentStatus.CANCELLED.value,
        _reached(Enrolment.status),
    )
    from_bookings = sa.select(booking_participants.c.participant_id.label("pid")).where(
        booking_participants.c.booking_id.in_(sa.select(wb.c.id).where(wb.c.in_week == 1))
    )
    reached = sa.union(from_enrolments, from_bookings).subquery("reached")
    age = sa.literal(iso_week.year, sa.Integer()) - Participant.birth_year
    band = sa.case(
        (Participant.birth_year.is_(None), "unknown"),
        (age < 10, AGE_BANDS[0]),
        (age <= 13, AGE_BANDS[1]),
        (age <= 17, AGE_BANDS[2]),
        else_=AGE_BANDS[3],
    )
    no_text = sa.cast(sa.null(), sa.String())
    units_q = (
        sa.select(
            sa.literal("unit").label("kind"), Equipment.id.label("a"),
            Equipment.site_id.label("b"), Equipment.name.label("name"),
            Equipment.category.label("category"),
            sa.case((Equipment.loanable, one), else_=zero).label("c"),
            sa.func.coalesce(per_unit.c.secs, 0).label("v1"),
            sa.func.coalesce(per_unit.c.bookings, 0).label("v2"),
            sa.func.coalesce(per_unit.c.loans, 0).label("v3"),
            sa.func.coalesce(per_unit.c.overdue, 0).label("v4"),
        )
        .outerjoin(per_unit, per_unit.c.equipment_id == Equipment.id)
        .where(
            Equipment.site_id.in_(unit_site_ids),
            sa.or_(Equipment.status != EquipmentStatus.RETIRED.value,
                   per_unit.c.secs.is_not(None)),
        )
    )
    heat_q = sa.select(
        sa.literal("heat"), hours.c.site_id, hours.c.h, no_text, no_text, zero,
        sa.func.sum(hour_secs), zero, zero, zero,
    ).group_by(hours.c.site_id, hours.c.h)
    age_q = (
        sa.select(sa.literal("age"), zero, zero, band, no_text, zero, sa.func.count(), zero,
                  zero, zero)
        .where(Participant.id.in_(sa.select(reached.c.pid)))
        .group_by(band)
    )
    stmt = sa.union_all(units_q, heat_q, age_q).order_by("kind", "category", "name", "a")
    units: list[Any] = []
    heat: list[Any] = []
    ages: list[Any] = []
    for row in db.session.execute(stmt):
        {"unit": units, "heat": heat, "age": ages}[row.kind].append(row)
    return units, heat, ages


def _unit_rows(rows: list[Any], open_seconds: dict[int, int]) -> list[dict[str, Any]]:
    """The per-unit figures as JSON-able dicts."""
    units = []
    for r in rows:
        booked = int(r.v1)
        opened = open_seconds[r.b]
        units.append({
            "id": r.a,
            "name": r.name,
            "category": r.category,
            "site_id": r.b,
            "loanable": bool(r.c),
            "booked_hours": booked / 3600,
            "booked_minutes": round(booked / 60),
            "open_hours": opened / 3600,
            "open_minutes": round(opened / 60),
            "utilization": booked / opened if opened else 0.0,
            "bookings": int(r.v2),
            "loans": int(r.v3),
            "overdue_returns": int(r.v4),
        })
    return sorted(units, key=lambda u: (u["category"], _natural(u["name"]), u["id"]))


def _natural(name: str) -> list[Any]:
    """Sort key that puts "Nr. 2" before "Nr. 10"."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", name)]


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


def _heatmap(rows: list[Any], sites: list[Site],
             windows: dict[int, tuple[dt.datetime, dt.datetime]],
             open_by_site: dict[int, list[tuple[dt.datetime, dt.datetime]]],
             units: list[dict[str, Any]]) -> dict[str, Any]:
    """Booked unit-minutes and open unit-minutes per local weekday and hour.

    The rows count hours since each site's week start; mapping them to local
    wall-clock cells here handles the 23- and 25-hour DST days.
    """
    booked = [[0.0] * 24 for _day in range(7)]
    capacity = [[0.0] * 24 for _day in range(7)]
    zones = {s.id: ZoneInfo(s.timezone) for s in sites}
    for row in rows:
        sid, hour = row.a, int(row.b)
        local = (windows[sid][0] + dt.timedelta(hours=hour)).astimezone(zones[sid])
        booked[local.weekday()][local.hour] += float(row.v1 or 0) / 60
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


def _age_bands(rows: list[Any]) -> tuple[dict[str, int], int]:
    """Counts per age band, and all named participants reached (unknown age included)."""
    counts = {name: 0 for name in AGE_BANDS}
    named = 0
    for row in rows:
        named += int(row.v1)
        if row.name in counts:
            counts[row.name] = int(row.v1)
    return counts, named


# Figures compared with the previous week and the same week a year earlier:
# (key, where it lives in the report).
KEY_FIGURES: tuple[tuple[str, str], ...] = (
    ("booked_hours", "totals"),
    ("utilization", "totals"),
    ("bookings", "totals"),
    ("loans", "totals"),
    ("overdue_returns", "totals"),
    ("sessions", "workshops"),
    ("seats_confirmed", "workshops"),
    ("attended", "workshops"),
    ("schools_reached", "workshops"),
    ("participants_reached", "workshops"),
)


def comparison_weeks(week: str) -> tuple[str, str]:
    """The previous week and the same week a year earlier, as ``YYYY-Www``."""
    current = parse_week(week)
    return current.shifted(-1).label, current.a_year_earlier().label


def build_comparison(report: dict[str, Any], previous: dict[str, Any],
                     last_year: dict[str, Any]) -> list[dict[str, Any]]:
    """Key figures of a report next to the previous week's and last year's."""
    rows = []
    for key, section in KEY_FIGURES:
        value = report[section][key]
        rows.append({
            "key": key,
            "value": value,
            "previous": previous[section][key],
            "last_year": last_year[section][key],
            "change_previous": value - previous[section][key],
            "change_last_year": value - last_year[section][key],
        })
    return rows


def build_weekly_report_with_comparison(week: str, site_id: int | None = None) -> dict[str, Any]:
    """The report plus ``comparison`` with the previous week and the same week last year."""
    report = build_weekly_report(week, site_id)
    previous_week, last_year_week = comparison_weeks(week)
    previous = build_weekly_report(previous_week, site_id)
    last_year = build_weekly_report(last_year_week, site_id)
    report["comparison"] = {
        "previous_week": previous_week,
        "last_year_week": last_year_week,
        "figures": build_comparison(report, previous, last_year),
    }
    return report
