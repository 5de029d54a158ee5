"""Kit loans: the loan desk, handing a kit over and taking it back.

A loanable unit's booking goes ``reserved`` -> ``checked_out`` -> ``returned``;
a kit returned damaged goes into maintenance and the coordinators are told.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from makerlab import clock, dates
from makerlab.auth.models import User
from makerlab.bookings.models import Booking
from makerlab.categories import KNOWN
from makerlab.db import hold_write_lock
from makerlab.enums import BookingStatus, EquipmentStatus, Role
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import kit_line_problems, site_of
from makerlab.errors import Conflict, Invalid
from makerlab.extensions import db
from makerlab.labels import kit_lines, status_label
from makerlab.notifications.emails import queue_email
from makerlab.sites import services as sites

CONDITIONS = ("ok", "damaged")


@dataclass
class LoanDesk:
    """The loan desk: kits out now, split by when they are due, and kits to hand out today.

    Each row is ``(booking, booker's name, booker's e-mail)``; the bookings'
    participants (who holds the kit) are loaded with them.
    """

    overdue: list[Any]
    due_today: list[Any]
    out_later: list[Any]
    pickup: list[Any]

    @property
    def out(self) -> list[Any]:
        """Every kit out now, overdue first."""
        return self.overdue + self.due_today + self.out_later


def loan_desk() -> LoanDesk:
    """What the loan desk needs now; "today" is each kit's own site's day (4 statements)."""
    now = clock.now()
    day_ends = {
        site.id: clock.local_day_end(clock.today(site.timezone), site.timezone)
        for site in sites.list_sites()
    }
    rows = db.session.execute(
        sa.select(Booking, User.name, User.email)
        .options(joinedload(Booking.equipment), selectinload(Booking.participants))
        .join(Equipment, Equipment.id == Booking.equipment_id)
        .outerjoin(User, User.id == Booking.booked_by_id)
        .where(
            sa.or_(
                Booking.status == BookingStatus.CHECKED_OUT.value,
                sa.and_(
                    Booking.status == BookingStatus.RESERVED.value,
                    Equipment.loanable.is_(True),
                    Booking.starts_at < max(day_ends.values(), default=now),
                    Booking.ends_at > now,
                ),
            )
        )
        .order_by(Booking.ends_at, Booking.id)
    ).all()

    def day_end(booking: Booking) -> dt.datetime:
        return day_ends.get(booking.equipment.site_id, now)

    out = [r for r in rows if r[0].status == BookingStatus.CHECKED_OUT.value]
    pickup = sorted(
        (
            r
            for r in rows
            if r[0].status == BookingStatus.RESERVED.value and r[0].starts_at < day_end(r[0])
        ),
        key=lambda r: (r[0].starts_at, r[0].id),
    )
    return LoanDesk(
        overdue=[r for r in out if r[0].overdue],
        due_today=[r for r in out if not r[0].overdue and r[0].ends_at < day_end(r[0])],
        out_later=[r for r in out if r[0].ends_at >= day_end(r[0])],
        pickup=pickup,
    )


def check_out(actor: User, booking: Booking) -> Booking:
    """Hand a loanable kit over (any time before the booking ends; early hand-over is recorded).

    Only loanable units are checked out: other units stay in the building,
    so checking one out is refused with 409, as is a booking that is not
    reserved or already over.
    """
    hold_write_lock(db.session)
    if not booking.equipment.loanable:
        raise Conflict(
            _(
                "%(unit)s is not lent out; only loanable kits are checked out.",
                unit=booking.equipment.name,
            )
        )
    if booking.status != BookingStatus.RESERVED.value:
        raise Conflict(
            _(
                "Only a reserved booking can be checked out (this one is %(status)s).",
                status=status_label(booking.status),
            )
        )
    now = clock.now()
    if now >= booking.ends_at:
        raise Conflict(_("This booking is over; it can no longer be checked out."))
    booking.status = BookingStatus.CHECKED_OUT.value
    booking.checked_out_at = now
    db.session.flush()
    return booking


def missing_parts(unit: Equipment, missing: Any) -> list[dict[str, Any]]:
    """What a return says is missing, checked against the kit's contents (422 if it cannot be)."""
    lines, problems = kit_line_problems(missing)
    listed = {line["item"].casefold(): line for line in unit.contents or []}
    for line in lines if listed else []:
        kit_line = listed.get(line["item"].casefold())
        if kit_line is None:
            problems.append(_("%(item)s is not listed in this kit.", item=line["item"]))
        elif line["count"] > kit_line["count"]:
            problems.append(
                _(
                    "Only %(count)d × %(item)s belong to this kit.",
                    count=kit_line["count"],
                    item=kit_line["item"],
                )
            )
        else:
            line["item"] = kit_line["item"]
    if problems:
        raise Invalid({"missing": problems})
    return lines


def return_booking(
    actor: User,
    booking: Booking,
    *,
    condition: str = "ok",
    note: str = "",
    missing: list[dict[str, Any]] | None = None,
) -> Booking:
    """Take a kit back; ``damaged`` puts the unit into maintenance and tells the coordinators.

    Parts reported ``missing`` make the return a damaged one (SPEC "Lending desk").
    """
    if condition not in CONDITIONS:
        raise Invalid({"condition": [_("Condition must be ok or damaged.")]})
    note = (note or "").strip()
    lost = missing_parts(booking.equipment, missing)
    if lost:
        condition = "damaged"
    hold_write_lock(db.session)
    if booking.status != BookingStatus.CHECKED_OUT.value:
        raise Conflict(
            _(
                "Only a checked-out kit can be returned (this booking is %(status)s).",
                status=status_label(booking.status),
            )
        )
    now = clock.now()
    booking.status = BookingStatus.RETURNED.value
    booking.returned_at = now
    booking.return_condition = condition
    booking.return_note = note
    booking.return_missing = lost
    if condition == "damaged":
        unit = booking.equipment
        unit.status = EquipmentStatus.MAINTENANCE.value
        _notify_damage(actor, booking, unit, note)
    db.session.flush()
    return booking


def _notify_damage(actor: User, booking: Booking, unit: Equipment, note: str) -> None:
    """Queue an e-mail to every coordinator, each in their own language."""
    tz = site_of(unit).timezone
    booker = db.session.get(User, booking.booked_by_id) if booking.booked_by_id else None
    coordinators = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.COORDINATOR.value, User.active.is_(True))
        .order_by(User.id)
    ).all()

    def local(instant: dt.datetime) -> str:
        return dates.moment(instant, tz=tz, language=language)

    # Lazy texts are translated while the template renders, in the recipient's locale.
    for person in coordinators:
        language = person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        queue_email(
            dedupe_key=f"kit-damaged:{booking.id}:{person.id}",
            to=person.email,
            template="kit_damaged",
            locale=language,
            subject=_l("Damaged on return: %(unit)s", unit=unit.name),
            intro=_l(
                "%(unit)s (%(category)s) was returned damaged on %(when)s and is now "
                "in maintenance.",
                unit=unit.name,
                category=KNOWN.get(unit.category, unit.category),
                when=local(booking.returned_at or clock.now()),
            ),
            booking_line=_l(
                "Booking #%(id)d by %(booker)s, %(start)s – %(end)s.",
                id=booking.id,
                booker=booker.name if booker else "-",
                start=local(booking.starts_at),
                end=local(booking.ends_at),
            ),
            returned_by=_l("Return recorded by %(name)s.", name=actor.name or "-"),
            missing_label=_l("Missing:"),
            missing=kit_lines(booking.return_missing),
            note_label=_l("Note:"),
            note=note,
            action=_l("Please check the unit and set it back to available when it is repaired."),
        )
