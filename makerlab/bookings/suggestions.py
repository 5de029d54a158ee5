"""Where a booking that a change elsewhere made impossible could go instead.

Up to three places per booking: free units of the same category at the same
site and time first, then the nearest free times of the same unit (within two
weeks either side, never in the past). Every candidate passes the rules a
move checks (``bookings.rules``: times, opening hours, length, closures,
maintenance, the unit's status, other bookings with their buffers); the rules
about participants are not place or time and stay with the move itself.

What the checks need is read for all bookings at once, so asking for a page
of bookings costs the same few statements as asking for one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from makerlab import clock
from makerlab.bookings.availability import subtract
from makerlab.bookings.models import Booking
from makerlab.bookings.recurrence import Interval
from makerlab.bookings.rules import Surroundings, active_bookings_near, time_problems
from makerlab.enums import EquipmentStatus
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import maintenance_between
from makerlab.extensions import db
from makerlab.sites import services as sites
from makerlab.sites.models import Site

LIMIT = 3
SEARCH_DAYS = 14


@dataclass(frozen=True)
class Suggestion:
    """A place a booking could move to: a unit and a time (UTC)."""

    equipment_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass
class _Around:
    """Everything near the bookings asked about: sites, units, closures, blocks, bookings."""

    sites: dict[int, Site]
    units: dict[tuple[str, int], list[Equipment]]  # (category, site id) -> available units
    closures: dict[int, list[sa.Row[Any]]]  # by site id
    blocks: dict[int, list[sa.Row[Any]]]  # by unit id
    bookings: dict[int, list[sa.Row[Any]]]  # by unit id

    def fits(self, unit: Equipment, interval: Interval, moving: int) -> bool:
        """True if booking ``moving`` could be at ``unit`` for ``interval`` (rules 1-5)."""
        site = self.sites[unit.site_id]
        if time_problems(unit, site, *interval):
            return False
        around = Surroundings(
            unit=unit,
            site=site,
            closures=self.closures.get(site.id, []),
            blocks=self.blocks.get(unit.id, []),
            bookings=[b for b in self.bookings.get(unit.id, []) if b.id != moving],
        )
        return not around.conflicts(*interval)

    def busy(self, unit: Equipment, moving: int) -> list[Interval]:
        """When ``unit`` is taken for booking ``moving``: blocks, other bookings and buffers."""
        buffer = dt.timedelta(minutes=unit.buffer_minutes)
        spans = [(b.starts_at, b.ends_at) for b in self.blocks.get(unit.id, [])]
        spans += [
            (b.starts_at - buffer, b.blocked_until)
            for b in self.bookings.get(unit.id, [])
            if b.id != moving
        ]
        return sorted(spans)


def suggest_moves(bookings: Sequence[Booking], limit: int = LIMIT) -> dict[int, list[Suggestion]]:
    """Up to ``limit`` places for each booking (by id): other free units at the same time
    first, then the nearest free times of its own unit."""
    if not bookings:
        return {}
    around = _load_around(bookings)
    found: dict[int, list[Suggestion]] = {}
    for booking in bookings:
        unit = booking.equipment
        interval = (booking.starts_at, booking.ends_at)
        same_time = [
            Suggestion(other.id, *interval)
            for other in around.units.get((unit.category, unit.site_id), [])
            if other.id != unit.id and around.fits(other, interval, booking.id)
        ][:limit]
        later = limit - len(same_time)
        found[booking.id] = same_time + (_nearest_times(around, booking, later) if later else [])
    return found


def _load_around(bookings: Sequence[Booking]) -> _Around:
    """Read, in a fixed number of statements, what the checks of every candidate need."""
    days = dt.timedelta(days=SEARCH_DAYS + 1)
    start = min(b.starts_at for b in bookings) - days
    end = max(b.ends_at for b in bookings) + days
    kinds = {(b.equipment.category, b.equipment.site_id) for b in bookings}
    units = list(
        db.session.scalars(
            sa.select(Equipment)
            .where(
                Equipment.status == EquipmentStatus.AVAILABLE.value,
                sa.or_(
                    *(
                        sa.and_(Equipment.category == category, Equipment.site_id == site_id)
                        for category, site_id in sorted(kinds)
                    )
                ),
            )
            .order_by(Equipment.name, Equipment.id)
        )
    )
    by_kind: dict[tuple[str, int], list[Equipment]] = defaultdict(list)
    for unit in units:
        by_kind[(unit.category, unit.site_id)].append(unit)
    every = {u.id: u for u in [*units, *(b.equipment for b in bookings)]}
    longest = dt.timedelta(minutes=max(u.buffer_minutes for u in every.values()))
    site_rows = {s.id: s for s in sites.list_sites()}
    closures = {
        site_id: sites.closed_days(site_rows[site_id], start, end)
        for site_id in sorted({site_id for _category, site_id in kinds})
    }
    blocks: dict[int, list[sa.Row[Any]]] = defaultdict(list)
    for block in maintenance_between(list(every), start, end):
        blocks[block.equipment_id].append(block)
    nearby: dict[int, list[sa.Row[Any]]] = defaultdict(list)
    for row in active_bookings_near(list(every), start - longest, end + longest):
        nearby[row.equipment_id].append(row)
    return _Around(site_rows, by_kind, closures, blocks, nearby)


def _nearest_times(around: _Around, booking: Booking, limit: int) -> list[Suggestion]:
    """The free times of the booking's own unit nearest to its time, never in the past."""
    unit = booking.equipment
    if unit.status != EquipmentStatus.AVAILABLE.value:
        return []
    original = (booking.starts_at, booking.ends_at)
    candidates = sorted(
        set(_candidates(around, booking)) - {original},
        key=lambda c: (abs(c[0] - booking.starts_at), c[0]),
    )
    chosen: list[Suggestion] = []
    for interval in candidates:
        if around.fits(unit, interval, booking.id):
            chosen.append(Suggestion(unit.id, *interval))
            if len(chosen) == limit:
                break
    return chosen


def _candidates(around: _Around, booking: Booking) -> list[Interval]:
    """Times to try: the same wall-clock time on the days around, and for a unit that
    stays in the building, the nearest start within each free stretch of those days."""
    unit = booking.equipment
    site = around.sites[unit.site_id]
    tz = site.timezone
    start, end = clock.to_local(booking.starts_at, tz), clock.to_local(booking.ends_at, tz)
    length = booking.ends_at - booking.starts_at
    span_days = (end.date() - start.date()).days
    busy = around.busy(unit, booking.id)
    found: list[Interval] = []
    for offset in range(-SEARCH_DAYS, SEARCH_DAYS + 1):
        day = start.date() + dt.timedelta(days=offset)
        shifted = (
            clock.combine(day, start.time(), tz),
            clock.combine(day + dt.timedelta(days=span_days), end.time(), tz),
        )
        found.append(shifted)
        if unit.loanable or span_days:
            continue
        opening = sites.open_intervals(
            site,
            clock.local_midnight(day, tz),
            clock.local_day_end(day, tz),
            closures=around.closures.get(site.id, []),
        )
        for free_start, free_end in subtract(opening, busy):
            if free_end - free_start >= length:
                begin = min(max(shifted[0], free_start), free_end - length)
                found.append((begin, begin + length))
    return found
