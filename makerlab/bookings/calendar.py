"""The week grid: units by day, with bookings, maintenance and closures.

Read-only presentation data for the calendar page. Everything is loaded in a
fixed number of statements (units, bookings, maintenance blocks, closures,
and in the current week the kits overdue since before today), whatever the
number of bookings, and then laid out per site-local day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from makerlab import clock, dates
from makerlab.auth.models import User
from makerlab.bookings.models import Booking, is_overdue, overdue_at, shown_status
from makerlab.enums import BookingStatus
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.extensions import db
from makerlab.labels import status_label, tag
from makerlab.sites.models import Closure
from makerlab.sites.services import WEEKDAYS


@dataclass
class Block:
    """One booking or maintenance block as seen on one local day."""

    kind: str  # "booking" | "maintenance"
    local_start: dt.datetime  # clipped to the day, local time
    local_end: dt.datetime
    continues_before: bool
    continues_after: bool
    label: str = ""
    booking_id: int | None = None
    status: str = ""
    overdue: bool = False
    booked_by: str = ""
    due: dt.datetime | None = None  # an overdue loan shown on today: when it was due back
    _html: Markup | None = field(default=None, repr=False)

    @property
    def time_range(self) -> str:
        if self.due is not None:  # shown on another day than its own: with its days
            return dates.span(self.local_start, self.local_end)
        start = "…" if self.continues_before else dates.time(self.local_start)
        end = "…" if self.continues_after else dates.time(self.local_end)
        return f"{start}–{end}"

    def html(self, detail_url: str) -> Markup:
        """The block as a chip linking to ``detail_url`` + id; rendered once for both layouts.

        Built here rather than in a Jinja macro: a busy week has hundreds of
        blocks, and the page must stay fast (see bench/bookings.py).
        """
        if self._html is None:
            self._html = self._render(detail_url)
        return self._html

    def _render(self, detail_url: str) -> Markup:
        # escape() + f-strings: Markup.format is several times slower here.
        if self.kind == "maintenance":
            label = f": {escape(self.label)}" if self.label else ""
            return Markup(  # noqa: S704 - every value below is escaped
                f'<span class="ml-block ml-maintenance">{self.time_range} · '
                f"{escape(_('Maintenance'))}{label}</span>"
            )
        css = "overdue" if self.overdue else escape(self.status)
        flags = ""
        if self.status == "checked_out":
            flags += " · " + escape(tag(status_label("checked_out")))  # the legend's word
        if self.overdue:
            flags += " · " + escape(tag(_("overdue")))
        if self.status == "no_show":
            flags += " · " + escape(tag(_("no-show")))
        elif self.status in ("returned", "past"):
            # Told by colour on screen; in words for screen readers.
            flags += f'<span class="visually-hidden"> · {escape(status_label(self.status))}</span>'
        extra = ""
        if self.label:
            extra += f'<span class="ml-who">{escape(self.label)}</span>'
        if self.booked_by:
            extra += f'<span class="ml-who">{escape(self.booked_by)}</span>'
        # A narrow day column may shorten purpose and name ("…"): the tooltip has them whole.
        whole = " · ".join(text for text in (self.label, self.booked_by) if text)
        title = f' title="{escape(whole)}"' if whole else ""
        return Markup(  # noqa: S704 - every value below is escaped
            f'<a class="ml-block ml-{css}" href="{escape(detail_url)}{self.booking_id}"{title}>'
            f"<strong>{self.time_range}</strong>{flags}{extra}</a>"
        )


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
    # Kits still out that were due back before today: today is where they need doing.
    overdue: list[tuple[Equipment, Block]] = field(default_factory=list)

    @property
    def week_label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def week_year(self) -> int:
        """The ISO week's year, as people read it ("KW 49 / 2026")."""
        return self.monday.isocalendar().year

    @property
    def week_number(self) -> int:
        return self.monday.isocalendar().week

    @property
    def previous_week(self) -> str:
        return iso_week(self.monday - dt.timedelta(days=7))

    @property
    def next_week(self) -> str:
        return iso_week(self.monday + dt.timedelta(days=7))

    def day_entries(self, index: int) -> list[tuple[Equipment, Cell]]:
        """Units with something on day ``index`` (for the narrow, day-by-day list)."""
        return [(row.unit, row.cells[index]) for row in self.rows if row.cells[index].blocks]

    def overdue_on(self, index: int) -> list[tuple[Equipment, Block]]:
        """Overdue loans due before day ``index``, if it is today (they are still out)."""
        return self.overdue if self.days[index] == self.today else []

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


def units_stmt(*, category: str | None = None, unit_id: int | None = None) -> sa.Select[Equipment]:
    """Units shown in the calendar: not retired, by category and name."""
    stmt = sa.select(Equipment).options(joinedload(Equipment.site))
    if unit_id is not None:
        return stmt.where(Equipment.id == unit_id)
    stmt = stmt.where(Equipment.status != "retired")
    if category:
        stmt = stmt.where(Equipment.category == category)
    return stmt.order_by(Equipment.category, Equipment.name)


# Bookings of units without a maximum duration (kits lent for the holidays)
# may have started long before the week; they are looked up separately.
MIN_LOOKBACK = dt.timedelta(days=1)


def _bookings_overlapping(
    units: list[Equipment], week_start: dt.datetime, week_end: dt.datetime
) -> list[Any]:
    """Non-cancelled bookings of ``units`` overlapping the week, with their bookers.

    "starts before the week's end and ends after its start" alone makes the
    database walk every booking that started before the week (half of two
    years of data). A lower bound on ``starts_at`` keeps it to an index range:
    no booking of a unit lasts longer than its ``max_booking_minutes``. Units
    without a maximum get a second, separate query, so the number of
    statements stays two whatever the data.
    """
    bounded = [u for u in units if u.max_booking_minutes is not None]
    unbounded = [u.id for u in units if u.max_booking_minutes is None]
    lookback = max(
        [MIN_LOOKBACK] + [dt.timedelta(minutes=u.max_booking_minutes or 0) for u in bounded]
    )
    columns = sa.select(
        Booking.id,
        Booking.equipment_id,
        Booking.starts_at,
        Booking.ends_at,
        Booking.status,
        Booking.purpose,
        User.name,
        User.email,
    ).outerjoin(User, User.id == Booking.booked_by_id)
    active = Booking.status != BookingStatus.CANCELLED.value
    rows = list(
        db.session.execute(
            columns.where(
                Booking.equipment_id.in_([u.id for u in units]),
                Booking.starts_at >= week_start - lookback,
                Booking.starts_at < week_end,
                Booking.ends_at > week_start,
                active,
            )
        )
    )
    if unbounded:
        rows += db.session.execute(
            columns.where(
                Booking.equipment_id.in_(unbounded),
                Booking.starts_at < week_start - lookback,
                Booking.ends_at > week_start,
                active,
            )
        )
    rows.sort(key=lambda r: r.starts_at)
    return rows


def build_week(units: list[Equipment], monday: dt.date, tz: str) -> WeekGrid:
    """Lay out one site-local week (Monday to Sunday) for ``units``."""
    zone = ZoneInfo(tz)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    rows = {u.id: Row(unit=u, cells=[Cell(day=d) for d in days]) for u in units}
    grid = WeekGrid(
        monday=monday, days=days, tz=tz, rows=list(rows.values()), today=clock.today(tz)
    )
    if not units:
        return grid
    # Day boundaries once (DST-correct), instead of per block and day.
    bounds = [clock.local_midnight(d, tz) for d in days] + [clock.local_day_end(days[-1], tz)]
    week_start, week_end = bounds[0], bounds[-1]
    bookings = _bookings_overlapping(units, week_start, week_end)
    blocks = _maintenance_overlapping(units, week_start, week_end)
    _mark_closed_days(grid, _closures_overlapping(units, days[0], days[-1]))

    now = clock.now()
    for b in bookings:
        _place(
            rows[b.equipment_id],
            bounds,
            zone,
            b.starts_at,
            b.ends_at,
            kind="booking",
            booking_id=b.id,
            status=shown_status(b.status, b.ends_at, rows[b.equipment_id].unit.loanable, now),
            overdue=is_overdue(b.status, b.ends_at, now),
            label=b.purpose or "",
            booked_by=b.name or b.email or "",
        )
    for m in blocks:
        _place(
            rows[m.equipment_id],
            bounds,
            zone,
            m.starts_at,
            m.ends_at,
            kind="maintenance",
            label=m.reason,
        )
    for row in grid.rows:
        for cell in row.cells:
            cell.blocks.sort(key=lambda block: block.local_start)
    if grid.today in days:
        grid.overdue = _overdue_before(units, clock.local_midnight(grid.today, tz), now, zone)
    return grid


def _overdue_before(
    units: list[Equipment], today_start: dt.datetime, now: dt.datetime, zone: ZoneInfo
) -> list[tuple[Equipment, Block]]:
    """Loans of ``units`` overdue since before today (from this week or earlier), oldest first."""
    by_id = {u.id: u for u in units}
    rows = db.session.execute(
        sa.select(
            Booking.id, Booking.equipment_id, Booking.starts_at, Booking.ends_at, Booking.purpose,
            User.name, User.email,
        )
        .outerjoin(User, User.id == Booking.booked_by_id)
        .where(
            Booking.equipment_id.in_(list(by_id)), overdue_at(now), Booking.ends_at <= today_start
        )
        .order_by(Booking.ends_at, Booking.id)
    )
    return [
        (
            by_id[r.equipment_id],
            Block(
                kind="booking", local_start=r.starts_at.astimezone(zone),
                local_end=r.ends_at.astimezone(zone), continues_before=False,
                continues_after=False, booking_id=r.id,
                status=BookingStatus.CHECKED_OUT.value, overdue=True, label=r.purpose or "",
                booked_by=r.name or r.email or "", due=r.ends_at,
            ),
        )
        for r in rows
    ]


def _maintenance_overlapping(
    units: list[Equipment], week_start: dt.datetime, week_end: dt.datetime
) -> list[Any]:
    return list(
        db.session.execute(
            sa.select(
                MaintenanceBlock.equipment_id,
                MaintenanceBlock.starts_at,
                MaintenanceBlock.ends_at,
                MaintenanceBlock.reason,
            )
            .where(
                MaintenanceBlock.equipment_id.in_([u.id for u in units]),
                MaintenanceBlock.starts_at < week_end,
                MaintenanceBlock.ends_at > week_start,
            )
            .order_by(MaintenanceBlock.starts_at)
        )
    )


def _closures_overlapping(units: list[Equipment], first: dt.date, last: dt.date) -> list[Any]:
    site_ids = sorted({u.site_id for u in units})
    return list(
        db.session.execute(
            sa.select(Closure.site_id, Closure.starts_on, Closure.ends_on, Closure.reason).where(
                Closure.site_id.in_(site_ids), Closure.starts_on <= last, Closure.ends_on >= first
            )
        )
    )


def _mark_closed_days(grid: WeekGrid, closures: list[Any]) -> None:
    """Closed days: closures (with their reason) and days without opening hours."""
    for closure in closures:
        for row in grid.rows:
            if row.unit.site_id != closure.site_id:
                continue
            for cell in row.cells:
                if closure.starts_on <= cell.day <= closure.ends_on:
                    cell.closed = closure.reason or ""
    for row in grid.rows:
        hours = row.unit.site.opening_hours or {}
        for cell in row.cells:
            if cell.closed is None and not hours.get(WEEKDAYS[cell.day.weekday()]):
                cell.closed = ""


def _place(
    row: Row,
    bounds: list[dt.datetime],
    zone: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    **extra: Any,
) -> None:
    """Put ``[start, end)`` into the row's day cells it touches (``bounds``: the days' edges)."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    for index, cell in enumerate(row.cells):
        day_start, day_end = bounds[index], bounds[index + 1]
        if start >= day_end or end <= day_start:
            continue
        cell.blocks.append(
            Block(
                local_start=max(local_start, day_start.astimezone(zone)),
                local_end=min(local_end, day_end.astimezone(zone)),
                continues_before=start < day_start,
                continues_after=end > day_end,
                **extra,
            )
        )
