"""The week grid: units by day, with bookings, maintenance and closures.

Read-only presentation data for the calendar page. Everything is loaded in a
fixed number of statements (units, bookings, maintenance blocks, closures),
whatever the number of bookings, and then laid out per site-local day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from makerlab import clock
from makerlab.auth.models import User
from makerlab.bookings.models import Booking
from makerlab.enums import BookingStatus
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.extensions import db
from makerlab.sites.models import Closure


@dataclass
class Block:
    """One booking or maintenance block as seen on one local day."""

    kind: str  # "booking" | "maintenance"
    starts_at: dt.datetime  # the whole booking, UTC
    ends_at: dt.datetime
    local_start: dt.datetime  # clipped to the day, local time
    local_end: dt.datetime
    continues_before: bool
    continues_after: bool
    label: str = ""
    booking: Booking | None = None
    booked_by: str = ""

    @property
    def time_range(self) -> str:
        start = "…" if self.continues_before else self.local_start.strftime("%H:%M")
        end = "…" if self.continues_after else self.local_end.strftime("%H:%M")
        return f"{start}–{end}"


@dataclass
class Cell:
    day: dt.date
    blocks: list[Block] = field(default_factory=list)
    closed: str | None = None  # closure reason ("" if none given) when closed

    @property
    def maintenance(self) -> bool:
        return any(b.kind == "maintenance" for b in self.blocks)


@dataclass
class Row:
    unit: Equipment
    cells: list[Cell]


@dataclass
class WeekGrid:
    monday: dt.date
    days: list[dt.date]
    tz: str
    rows: list[Row]
    today: dt.date

    @property
    def week_label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def previous_week(self) -> str:
        return iso_week(self.monday - dt.timedelta(days=7))

    @property
    def next_week(self) -> str:
        return iso_week(self.monday + dt.timedelta(days=7))

    def day_entries(self, index: int) -> list[tuple[Equipment, Cell]]:
        """Units with something on day ``index`` (for the narrow, day-by-day list)."""
        return [(row.unit, row.cells[index]) for row in self.rows if row.cells[index].blocks]

    def closure_on(self, index: int) -> str | None:
        for row in self.rows:
            if row.cells[index].closed is not None:
                return row.cells[index].closed
        return None


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str | None, tz: str) -> dt.date:
    """The Monday of ISO week ``YYYY-Www``; this week when missing or malformed."""
    if text:
        try:
            year, week = text.upper().split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            pass
    today = clock.today(tz)
    return today - dt.timedelta(days=today.weekday())


def units_stmt(
    *, category: str | None = None, unit_id: int | None = None
) -> sa.Select[Equipment]:
    """Units shown in the calendar: not retired, by category and name."""
    stmt = sa.select(Equipment).options(joinedload(Equipment.site))
    if unit_id is not None:
        return stmt.where(Equipment.id == unit_id)
    stmt = stmt.where(Equipment.status != "retired")
    if category:
        stmt = stmt.where(Equipment.category == category)
    return stmt.order_by(Equipment.category, Equipment.name)


def build_week(units: list[Equipment], monday: dt.date, tz: str) -> WeekGrid:
    """Lay out one site-local week (Monday to Sunday) for ``units``."""
    zone = ZoneInfo(tz)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    week_start = clock.local_midnight(days[0], tz)
    week_end = clock.local_midnight(days[-1] + dt.timedelta(days=1), tz)
    ids = [u.id for u in units]
    rows = {u.id: Row(unit=u, cells=[Cell(day=d) for d in days]) for u in units}
    grid = WeekGrid(
        monday=monday, days=days, tz=tz, rows=list(rows.values()), today=clock.today(tz)
    )
    if not ids:
        return grid

    bookings = db.session.execute(
        sa.select(Booking, User.name, User.email)
        .outerjoin(User, User.id == Booking.booked_by_id)
        .where(
            Booking.equipment_id.in_(ids),
            Booking.starts_at < week_end,
            Booking.ends_at > week_start,
            Booking.status != BookingStatus.CANCELLED.value,
        )
        .order_by(Booking.starts_at)
    ).all()
    blocks = db.session.scalars(
        sa.select(MaintenanceBlock)
        .where(
            MaintenanceBlock.equipment_id.in_(ids),
            MaintenanceBlock.starts_at < week_end,
            MaintenanceBlock.ends_at > week_start,
        )
        .order_by(MaintenanceBlock.starts_at)
    ).all()
    site_ids = sorted({u.site_id for u in units})
    closures = db.session.scalars(
        sa.select(Closure).where(
            Closure.site_id.in_(site_ids), Closure.starts_on <= days[-1], Closure.ends_on >= days[0]
        )
    ).all()

    for closure in closures:
        for row in grid.rows:
            if row.unit.site_id != closure.site_id:
                continue
            for cell in row.cells:
                if closure.starts_on <= cell.day <= closure.ends_on:
                    cell.closed = closure.reason or ""

    def place(
        row: Row, block_kind: str, start: dt.datetime, end: dt.datetime, **extra: object
    ) -> None:
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        for cell in row.cells:
            day_start = clock.local_midnight(cell.day, tz)
            day_end = clock.local_midnight(cell.day + dt.timedelta(days=1), tz)
            if start >= day_end or end <= day_start:
                continue
            cell.blocks.append(
                Block(
                    kind=block_kind,
                    starts_at=start,
                    ends_at=end,
                    local_start=max(local_start, day_start.astimezone(zone)),
                    local_end=min(local_end, day_end.astimezone(zone)),
                    continues_before=start < day_start,
                    continues_after=end > day_end,
                    **extra,  # type: ignore[arg-type]
                )
            )

    for booking, name, email in bookings:
        place(
            rows[booking.equipment_id],
            "booking",
            booking.starts_at,
            booking.ends_at,
            booking=booking,
            label=booking.purpose,
            booked_by=name or email or "",
        )
    for block in blocks:
        place(
            rows[block.equipment_id],
            "maintenance",
            block.starts_at,
            block.ends_at,
            label=block.reason,
        )
    for row in grid.rows:
        for cell in row.cells:
            cell.blocks.sort(key=lambda b: b.local_start)
    return grid
