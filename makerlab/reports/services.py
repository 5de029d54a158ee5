"""The usage report of any period: one builder for the page, PDF, CSV, XLSX, JSON and CLI.

A period is a range of site-local days ``[from, to)`` in each site's zone (so
a period with a DST change has an hour more or less). The weekly report is
the period of one ISO week (:func:`build_weekly_report`), with the same
numbers. Definitions:

- ``booked_hours``: non-cancelled bookings of the unit clipped to the period.
- ``open_hours``: the site's opening hours in the period minus closure days
  (maintenance blocks do not reduce it).
- ``utilization``: booked / open (0 when open is 0). Loans that run over
  nights count in full, so a kit can exceed 100 %.
- ``bookings``: non-cancelled bookings overlapping the period.
- ``loans``: non-cancelled bookings of the unit handed out (``checked_out_at``)
  during the period, early hand-overs included.
- ``overdue_returns``: checked-out bookings that were overdue at some moment
  of the period: the time from ``ends_at`` until the return (or until now,
  if still out) is non-empty and overlaps the period.
- workshops: ``sessions`` not cancelled that start in the period;
  ``seats_offered`` their capacity; ``seats_confirmed`` the seats of their
  confirmed enrolments; ``attended`` the recorded ``attended_count`` of their
  enrolments that are not cancelled.
- ``schools_reached``: distinct schools with a class enrolment (not cancelled)
  in those sessions that is confirmed or has attendance above zero.
- named participants reached: distinct participants with an individual
  enrolment in those sessions that is confirmed or attended, or on a
  non-cancelled booking overlapping the period. ``participants_reached`` is
  their number over the whole period (never a sum of weeks or months) plus
  ``class_pupils``, the attended headcounts of class enrolments.
- ``age_bands``: the named participants by age, where age is the year of the
  period's middle day (a week's Thursday) minus ``birth_year``; the birth
  year survives erasure, so a past report does not change when someone is
  erased. Named participants without a birth year are ``age_unknown``;
  class pupils have no ages at all and are counted apart (``class_pupils``).
- ``per_month``: the same figures for each calendar month the period
  touches; a booking counts (and its participants are reached) in the month
  it starts, its hours in the months they fall in.
- ``per_workshop``, ``per_school``: the sessions of the period by workshop,
  and the class enrolments (confirmed or attended) by school.

No names of participants appear anywhere (SPEC 14). Everything is computed
with a fixed number of SQL statements (four: sites, closures and the two of
:mod:`makerlab.reports.queries`), whatever the amount of data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab import clock
from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.reports import queries
from makerlab.reports.periods import Period, Week, last_week, parse_period, parse_week
from makerlab.reports.queries import AGE_BANDS, Interval, Months, Windows
from makerlab.sites.models import Closure, Site
from makerlab.sites.services import open_intervals

__all__ = ["AGE_BANDS", "Period", "Week", "last_week", "parse_period", "parse_week"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def build_weekly_report(week: str, site_id: int | None = None) -> dict[str, Any]:
    """The usage report of one ISO week (site-local), one site or all (JSON-able)."""
    iso_week = parse_week(week)
    report = build_period_report(iso_week.monday, iso_week.monday + dt.timedelta(days=7),
                                 site_id)
    for site in report["sites"]:
        site["hours_in_week"] = site["hours"]
    report.update(week=iso_week.label, year=iso_week.year, number=iso_week.number)
    return report


def build_period_report(first: dt.date | str | None, end: dt.date | str | None,
                        site_id: int | None = None) -> dict[str, Any]:
    """Every figure of the usage report for the days ``[first, end)``, one site or all."""
    period = parse_period(first, end)
    sites = _load_sites(site_id)
    windows = {site.id: period.window(site.timezone) for site in sites}
    win = Windows(windows)
    months = period.months()
    month_starts = {site.id: [clock.local_midnight(m.first, site.timezone) for m in months]
                    for site in sites}
    by_month = Months(month_starts)
    closures = _load_closures(sites, period)
    open_by_site = {
        site.id: open_intervals(site, *windows[site.id], closures=closures[site.id])
        for site in sites
    }
    open_seconds = {sid: _seconds(intervals) for sid, intervals in open_by_site.items()}
    site_ids = [site.id for site in sites]
    now = clock.now()

    read_workshop_rows = queries.workshop_rows(win, by_month, site_id)  # started first: beside
    rows = queries.booking_figures(win, by_month, site_id, period, now, site_ids)
    bounds = {sid: [int((start - windows[sid][0]).total_seconds()) for start in starts]
              + [int((windows[sid][1] - windows[sid][0]).total_seconds())]
              for sid, starts in month_starts.items()}
    per_unit = _unit_months(rows, bounds)
    units = _unit_rows(rows["unit"], per_unit, open_seconds)
    workshop_rows = read_workshop_rows()
    ages, named = _age_bands(rows["age"])
    workshops = _workshop_totals(workshop_rows)
    class_pupils = workshops.pop("class_attended")
    workshops["participants_reached"] = named + class_pupils
    first_site = sites[0]
    return {
        "from": period.first.isoformat(),
        "to": period.end.isoformat(),
        "starts_on": period.first.isoformat(),
        "ends_on": period.last.isoformat(),
        "days": period.days,
        "site_id": site_id,
        "site_name": first_site.name if site_id is not None else None,
        "sites": [_site_row(site, windows[site.id], open_seconds[site.id], closures[site.id])
                  for site in sites],
        "units": units,
        "categories": _category_rows(units),
        "totals": _summed(units),
        "workshops": workshops,
        "per_month": _month_rows(months, month_starts, windows, open_by_site, units, per_unit,
                                 rows, workshop_rows),
        "per_workshop": _per_workshop(workshop_rows),
        "per_school": _per_school(workshop_rows),
        "age_year": period.middle.year,
        "age_bands": ages,
        "age_unknown": named - sum(ages.values()),
        "named_participants": named,
        "class_pupils": class_pupils,
        "heatmap": _heatmap(_hourly(rows, windows), sites, windows, open_by_site, units),
        "generated_at": now.astimezone(ZoneInfo(first_site.timezone)).isoformat(
            timespec="seconds"),
        "site_ids": site_ids,
    }


def _site_row(site: Site, window: tuple[dt.datetime, dt.datetime], open_seconds: int,
              closures: list[Closure]) -> dict[str, Any]:
    """A site's part of the report: its local window, open hours and closures."""
    zone = ZoneInfo(site.timezone)
    return {
        "id": site.id,
        "name": site.name,
        "timezone": site.timezone,
        "starts_at": window[0].astimezone(zone).isoformat(),
        "ends_at": window[1].astimezone(zone).isoformat(),
        "hours": (window[1] - window[0]).total_seconds() / 3600,
        "open_hours": open_seconds / 3600,
        "closures": [
            {"starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(),
             "reason": c.reason}
            for c in closures
        ],
    }


def _seconds(intervals: list[Interval]) -> int:
    return sum(int((end - start).total_seconds()) for start, end in intervals)


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


def _load_closures(sites: list[Site], period: Period) -> dict[int, list[Closure]]:
    rows = db.session.scalars(
        sa.select(Closure)
        .where(
            Closure.site_id.in_([site.id for site in sites]),
            Closure.starts_on <= period.last,
            Closure.ends_on >= period.first,
        )
        .order_by(Closure.starts_on)
    )
    by_site: dict[int, list[Closure]] = {site.id: [] for site in sites}
    for closure in rows:
        by_site[closure.site_id].append(closure)
    return by_site


def booked_before(bounds: list[int], starts: dict[int, tuple[int, int]],
                  ends: dict[int, tuple[int, int]]) -> list[int]:
    """Seconds booked before each bound, from the bookings' starts and ends alone.

    ``starts[i]``: (count, sum of starts) of bookings starting in
    ``[bounds[i], bounds[i + 1])``; ``ends[j]``: (count, sum of ends) of those
    ending in ``(bounds[j - 1], bounds[j]]``. Before ``T``, ``A`` bookings with
    start sum ``SA`` have begun and ``E`` with end sum ``SE`` have ended, so
    ``T*A - SA - (T*E - SE)`` seconds are booked: no booking is cut into hours.
    """
    booked = []
    begun = begun_sum = ended = ended_sum = 0
    none = (0, 0)
    for k, t in enumerate(bounds):
        if k:
            count, total = starts.get(k - 1, none)
            begun += count
            begun_sum += total
        count, total = ends.get(k, none)
        ended += count
        ended_sum += total
        booked.append(t * (begun - ended) - begun_sum + ended_sum)
    return booked


def _unit_months(rows: dict[str, list[Any]],
                 bounds: dict[int, list[int]]) -> dict[int, dict[str, Any]]:
    """Per unit: seconds and bookings per month, loans and overdue returns.

    Rows: unit, month of the start, month boundary of the end, bookings in
    the period, sum of starts, sum of ends, loans, overdue returns.
    """
    site_of = {r.a: r.b for r in rows["unit"]}
    starts: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    ends: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    found: dict[int, dict[str, Any]] = {}
    for r in rows["unit_months"]:
        unit = found.setdefault(r.a, {"loans": 0, "overdue": 0, "bookings": defaultdict(int)})
        unit["loans"] += int(r.v4)
        unit["overdue"] += int(r.v5)
        unit["bookings"][int(r.b)] += int(r.v1)
        _add(starts[r.a], int(r.b), int(r.v1), int(r.v2))
        _add(ends[r.a], int(r.c), int(r.v1), int(r.v3))
    for unit_id, unit in found.items():
        before = booked_before(bounds[site_of[unit_id]], starts[unit_id], ends[unit_id])
        unit["months"] = [b - a for a, b in zip(before, before[1:], strict=False)]
    return found


def _add(buckets: dict[int, tuple[int, int]], key: int, count: int, total: int) -> None:
    had = buckets.get(key) or (0, 0)
    buckets[key] = (had[0] + count, had[1] + total)


def _hourly(rows: dict[str, list[Any]], windows: dict[int, Interval]) -> dict[int, list[int]]:
    """Booked unit-seconds in each hour since each site's period start.

    Rows: site, hour of the start, hour boundary of the end, bookings, sum
    of starts, sum of ends; the arithmetic of :func:`booked_before`, on lists
    (running sums with ``accumulate``: a year has 8,760 hours).
    """
    by_site: dict[int, list[Any]] = defaultdict(list)
    for r in rows["hours"]:
        by_site[r.a].append(r)
    hourly = {}
    for sid, site_rows in by_site.items():
        hours = -(-int((windows[sid][1] - windows[sid][0]).total_seconds()) // 3600)
        begun, begun_sum = [0] * (hours + 1), [0] * (hours + 1)
        ended, ended_sum = [0] * (hours + 1), [0] * (hours + 1)
        for _kind, _site, start, end, _name, _category, count, starts, ends, *_rest in site_rows:
            begun[start + 1] += count
            begun_sum[start + 1] += int(starts)
            ended[end] += count
            ended_sum[end] += int(ends)
        before = [
            h * 3600 * (a - e) - sa_ + se
            for h, a, sa_, e, se in zip(range(hours + 1), accumulate(begun),
                                         accumulate(begun_sum), accumulate(ended),
                                         accumulate(ended_sum), strict=True)
        ]
        hourly[sid] = [b - a for a, b in zip(before, before[1:], strict=False)]
    return hourly


def _unit_rows(rows: list[Any], per_unit: dict[int, dict[str, Any]],
               open_seconds: dict[int, int]) -> list[dict[str, Any]]:
    """The per-unit figures as JSON-able dicts (retired units only if they were used)."""
    units = []
    for r in rows:
        figures = per_unit.get(r.a)
        if r.c and figures is None:
            continue
        figures = figures or {"months": [], "bookings": {}, "loans": 0, "overdue": 0}
        booked = sum(figures["months"])
        opened = open_seconds[r.b]
        units.append({
            "id": r.a,
            "name": r.name,
            "category": r.category,
            "site_id": r.b,
            "loanable": bool(r.v1),
            "booked_hours": booked / 3600,
            "booked_minutes": round(booked / 60),
            "open_hours": opened / 3600,
            "open_minutes": round(opened / 60),
            "utilization": booked / opened if opened else 0.0,
            "bookings": sum(figures["bookings"].values()),
            "loans": figures["loans"],
            "overdue_returns": figures["overdue"],
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


def _hour_cells(start: dt.datetime, hours: int, zone: ZoneInfo) -> list[int]:
    """``weekday * 24 + local hour`` of each hour after ``start``, across DST changes.

    The zone's offset is looked up once a day and, on the days it changes,
    once an hour; the rest is arithmetic (a year has 8,760 hours).
    """
    def offset(hour: int) -> int:
        delta = (start + dt.timedelta(hours=hour)).astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    def cell(hour: int, shift: int) -> int:
        local = epoch + hour * 3600 + shift
        # 1 January 1970 was a Thursday (weekday 3).
        return ((local // 86400 + 3) % 7) * 24 + (local % 86400) // 3600

    epoch = int(start.timestamp())
    week_twice = list(range(168)) * 2  # cells of consecutive hours, wrapping after Sunday
    cells: list[int] = []
    for day_start in range(0, hours, 24):
        day_end = min(day_start + 24, hours)
        first, last = offset(day_start), offset(day_end - 1)
        if first == last:
            first_cell = cell(day_start, first)
            cells.extend(week_twice[first_cell:first_cell + day_end - day_start])
        else:
            cells.extend(cell(hour, offset(hour)) for hour in range(day_start, day_end))
    return cells


def _heatmap(hourly: dict[int, list[int]], sites: list[Site],
             windows: dict[int, Interval], open_by_site: dict[int, list[Interval]],
             units: list[dict[str, Any]]) -> dict[str, Any]:
    """Booked and open unit-minutes per local weekday and hour, summed over the period.

    ``hourly`` counts hours since each site's period start; mapping them to
    local wall-clock cells here handles the 23- and 25-hour DST days.
    ``occurrences`` says how often each weekday-hour occurs in the period, so
    booked minutes / 60 / occurrences is the average number of units in use.
    """
    booked = [0.0] * 168
    capacity = [0.0] * 168
    occurrences = [0] * 168
    unit_count: dict[int, int] = defaultdict(int)
    for unit in units:
        unit_count[unit["site_id"]] += 1
    for index, site in enumerate(sites):
        start, end = windows[site.id]
        cells = _hour_cells(start, -(-int((end - start).total_seconds()) // 3600),
                            ZoneInfo(site.timezone))
        if index == 0:  # the period's calendar, as the first site lives it
            for cell in cells:
                occurrences[cell] += 1
        for hour, secs in enumerate(hourly.get(site.id, ())):
            if secs:
                booked[cells[hour]] += secs / 60
        for lo, hi in open_by_site[site.id]:
            first, last = (int((t - start).total_seconds()) for t in (lo, hi))
            for hour in range(first // 3600, -(-last // 3600)):
                seconds = min(last, (hour + 1) * 3600) - max(first, hour * 3600)
                capacity[cells[hour]] += seconds / 60 * unit_count[site.id]

    def grid(values: list[Any]) -> list[list[Any]]:
        return [[round(v) for v in values[day * 24:(day + 1) * 24]] for day in range(7)]

    return {
        "weekdays": list(WEEKDAYS),
        "hours": list(range(24)),
        "booked_minutes": grid(booked),
        "capacity_minutes": grid(capacity),
        "occurrences": grid(occurrences),
    }


def _workshop_totals(rows: dict[str, list[Any]]) -> dict[str, int]:
    """The period's workshop figures (sums of the months; schools distinct over the period)."""
    sessions = rows["month_sessions"]
    enrolments = rows["month_enrolments"]
    return {
        "sessions": sum(int(r[3]) for r in sessions),
        "seats_offered": sum(int(r[4]) for r in sessions),
        "seats_confirmed": sum(int(r[3]) for r in enrolments),
        "attended": sum(int(r[4]) for r in enrolments),
        "class_attended": sum(int(r[5]) for r in enrolments),
        "schools_reached": sum(int(r[3]) for r in rows["schools_total"]),
    }


def _per_workshop(rows: dict[str, list[Any]]) -> list[dict[str, Any]]:
    enrolments = {r[1]: r for r in rows["workshop_enrolments"]}
    result = []
    for r in rows["workshop_sessions"]:
        e = enrolments.get(r[1])
        result.append({
            "id": int(r[1]),
            "title": r[2],
            "sessions": int(r[3]),
            "seats_offered": int(r[4]),
            "seats_confirmed": int(e[3]) if e else 0,
            "attended": int(e[4]) if e else 0,
            "class_pupils": int(e[5]) if e else 0,
            "schools_reached": int(e[6]) if e else 0,
        })
    return sorted(result, key=lambda w: (-w["sessions"], _natural(w["title"]), w["id"]))


def _per_school(rows: dict[str, list[Any]]) -> list[dict[str, Any]]:
    result = [
        {"id": int(r[1]), "name": r[2], "sessions": int(r[3]), "classes": int(r[4]),
         "pupils_attended": int(r[5]), "seats_confirmed": int(r[6])}
        for r in rows["school"]
    ]
    return sorted(result, key=lambda s: (-s["pupils_attended"], _natural(s["name"]), s["id"]))


def _age_bands(rows: list[Any]) -> tuple[dict[str, int], int]:
    """Counts per age band, and all named participants reached (unknown age included)."""
    counts = {name: 0 for name in AGE_BANDS}
    named = 0
    for row in rows:
        named += int(row.v1)
        if row.name in counts:
            counts[row.name] = int(row.v1)
    return counts, named


def _open_seconds_per_month(count: int, month_starts: dict[int, list[dt.datetime]],
                            windows: dict[int, Interval],
                            open_by_site: dict[int, list[Interval]],
                            units: list[dict[str, Any]]) -> list[int]:
    """Open unit-seconds per month: each site's opening hours times its units."""
    units_at: dict[int, int] = defaultdict(int)
    for unit in units:
        units_at[unit["site_id"]] += 1
    open_secs = [0] * count
    for sid, intervals in open_by_site.items():
        bounds = [*month_starts[sid], windows[sid][1]]
        for start, end in intervals:
            for i in range(count):
                lo, hi = max(start, bounds[i]), min(end, bounds[i + 1])
                if lo < hi:
                    open_secs[i] += int((hi - lo).total_seconds()) * units_at[sid]
    return open_secs


def _booked_per_month(
    count: int, units: list[dict[str, Any]], per_unit: dict[int, dict[str, Any]]
) -> tuple[list[int], list[int], list[dict[str, dict[str, Any]]]]:
    """Booked seconds, bookings, and both per category, per month."""
    booked = [0] * count
    bookings = [0] * count
    categories: list[dict[str, dict[str, Any]]] = [{} for _m in range(count)]
    for unit in units:
        figures = per_unit.get(unit["id"])
        if figures is None:
            continue
        for index, secs in enumerate(figures["months"]):
            count = figures["bookings"].get(index, 0)
            if not (secs or count):
                continue
            booked[index] += secs
            bookings[index] += count
            category = categories[index].setdefault(unit["category"],
                                                    {"booked_minutes": 0, "bookings": 0})
            category["booked_minutes"] += secs / 60
            category["bookings"] += count
    return booked, bookings, categories


def _named_per_month(count: int, month_age: list[Any]) -> tuple[list[int], list[dict[str, int]]]:
    """Named participants reached per month, in all and per age band."""
    ages: list[dict[str, int]] = [dict.fromkeys(AGE_BANDS, 0) for _m in range(count)]
    named = [0] * count
    for r in month_age:
        index = int(r.b)
        named[index] += int(r.v1)
        if r.name in ages[index]:
            ages[index][r.name] = int(r.v1)
    return named, ages


def _month_rows(months: list[Period], month_starts: dict[int, list[dt.datetime]],
                windows: dict[int, Interval], open_by_site: dict[int, list[Interval]],
                units: list[dict[str, Any]], per_unit: dict[int, dict[str, Any]],
                rows: dict[str, list[Any]],
                workshop_rows: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The figures of each calendar month the period touches."""
    open_secs = _open_seconds_per_month(len(months), month_starts, windows, open_by_site, units)
    booked, bookings, categories = _booked_per_month(len(months), units, per_unit)
    named, ages = _named_per_month(len(months), rows["month_age"])
    sessions = {int(r[1]): r for r in workshop_rows["month_sessions"]}
    enrolments = {int(r[1]): r for r in workshop_rows["month_enrolments"]}
    result = []
    for i, month in enumerate(months):
        s, e = sessions.get(i), enrolments.get(i)
        class_pupils = int(e[5]) if e else 0
        result.append({
            "month": month.first.strftime("%Y-%m"),
            "starts_on": month.first.isoformat(),
            "ends_on": month.last.isoformat(),
            "booked_hours": booked[i] / 3600,
            "booked_minutes": round(booked[i] / 60),
            "open_hours": open_secs[i] / 3600,
            "open_minutes": round(open_secs[i] / 60),
            "utilization": booked[i] / open_secs[i] if open_secs[i] else 0.0,
            "bookings": bookings[i],
            "categories": {
                slug: {"booked_hours": c["booked_minutes"] / 60,
                       "booked_minutes": round(c["booked_minutes"]), "bookings": c["bookings"]}
                for slug, c in sorted(categories[i].items())
            },
            "sessions": int(s[3]) if s else 0,
            "seats_offered": int(s[4]) if s else 0,
            "seats_confirmed": int(e[3]) if e else 0,
            "attended": int(e[4]) if e else 0,
            "schools_reached": int(e[6]) if e else 0,
            "named_participants": named[i],
            "class_pupils": class_pupils,
            "participants_reached": named[i] + class_pupils,
            "age_bands": ages[i],
            "age_unknown": named[i] - sum(ages[i].values()),
        })
    return result


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
    report["comparison"] = comparison_for(report)
    return report


def comparison_for(report: dict[str, Any]) -> dict[str, Any]:
    """Build the previous week's and last year's reports and compare (same site)."""
    previous_week, last_year_week = comparison_weeks(report["week"])
    previous = build_weekly_report(previous_week, report["site_id"])
    last_year = build_weekly_report(last_year_week, report["site_id"])
    return {
        "previous_week": previous_week,
        "last_year_week": last_year_week,
        "figures": build_comparison(report, previous, last_year),
    }
