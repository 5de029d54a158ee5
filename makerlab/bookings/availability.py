"""Where a booking could go: a unit's free intervals, the free units of a category.

Reads only; the booking itself checks every rule again (``bookings.rules``).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from makerlab.bookings.recurrence import Interval
from makerlab.bookings.rules import active_bookings_near
from makerlab.enums import EquipmentStatus
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import maintenance_between, site_of
from makerlab.extensions import db
from makerlab.sites import services as sites


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
    return [(s, e) for s, e in subtract(open_time, busy) if s < e]


def subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    """The parts of the ``free`` intervals that none of the ``busy`` ones cover."""
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
