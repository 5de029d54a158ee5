"""The equipment catalogue: units, their status and maintenance blocks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab import clock
from makerlab.auth.models import User
from makerlab.categories import KNOWN, is_slug
from makerlab.db import hold_write_lock, lock_for_update
from makerlab.enums import EquipmentStatus
from makerlab.equipment.codes import normalise
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.errors import Invalid, NotFound
from makerlab.extensions import db
from makerlab.sites.models import Site
from makerlab.sites.services import find_site, resolve_site_id

EDITABLE = (
    "name",
    "category",
    "site_id",
    "location",
    "status",
    "loanable",
    "requires_induction",
    "min_age",
    "buffer_minutes",
    "max_booking_minutes",
    "notes",
    "contents",
)
MAX_COUNT = 99
MAX_ITEM_LENGTH = 120
MAX_KIT_LINES = 60


def unit_with_code(scanned: str) -> Equipment | None:
    """The unit whose code a scan or a typed text names (a bare code or a label's URL)."""
    code = normalise(scanned)
    return db.session.scalar(sa.select(Equipment).where(Equipment.code == code)) if code else None


def unknown_code_message(scanned: str) -> str:
    """What people read when no unit has the scanned code."""
    return _("No unit has the code %(code)s.", code=normalise(scanned) or "—")


def find_by_code(actor: User, scanned: str) -> Equipment:
    """The unit a code names (404 if none)."""
    unit = unit_with_code(scanned)
    if unit is None:
        raise NotFound(unknown_code_message(scanned))
    return unit


def get_equipment(actor: User, equipment_id: int) -> Equipment:
    """One unit by id (404 if unknown)."""
    unit = db.session.get(Equipment, equipment_id)
    if unit is None:
        raise NotFound(_("No such equipment."))
    return unit


def list_equipment_stmt(
    category: str | None = None, site_id: int | None = None, status: str | None = None
) -> sa.Select[Equipment]:
    """The catalogue, optionally filtered, ordered by category and name."""
    stmt = sa.select(Equipment).order_by(Equipment.category, Equipment.name, Equipment.id)
    if category:
        stmt = stmt.where(Equipment.category == category)
    if site_id is not None:
        stmt = stmt.where(Equipment.site_id == site_id)
    if status:
        stmt = stmt.where(Equipment.status == status)
    return stmt


def categories_in_use() -> set[str]:
    """The categories some unit has."""
    return set(db.session.scalars(sa.select(Equipment.category).distinct()))


def categories() -> list[str]:
    """Categories in use plus the usual ones, for pickers."""
    return sorted(set(KNOWN) | categories_in_use())


def youngest_allowed() -> dict[str, int | None]:
    """Per category in use, the lowest ``min_age`` of its units (None: one has no limit)."""
    rows = db.session.execute(
        sa.select(
            Equipment.category,
            sa.func.count(),
            sa.func.count(Equipment.min_age),
            sa.func.min(Equipment.min_age),
        )
        .where(Equipment.status != EquipmentStatus.RETIRED.value)
        .group_by(Equipment.category)
    )
    return {category: (lowest if limited == units else None)
            for category, units, limited, lowest in rows}


def kit_line_problems(lines: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Kit lines cleaned (``[{"item", "count"}]``, items trimmed) and what is wrong with them."""
    if lines is None:
        return [], []
    if not isinstance(lines, list) or len(lines) > MAX_KIT_LINES:
        return [], [_("Please list at most %(num)d items.", num=MAX_KIT_LINES)]
    cleaned: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line in lines:
        item = str(line.get("item") or "").strip() if isinstance(line, dict) else ""
        count = line.get("count") if isinstance(line, dict) else None
        if not item:
            problems.append(_("Please name every item."))
            continue
        if len(item) > MAX_ITEM_LENGTH:
            problems.append(_("%(item)s: the name is too long.", item=item[:40]))
        elif type(count) is not int or not 1 <= count <= MAX_COUNT:
            problems.append(_("%(item)s: the count is a whole number from 1 to 99.", item=item))
        elif item.casefold() in seen:
            problems.append(_("%(item)s is listed twice.", item=item))
        else:
            seen.add(item.casefold())
            cleaned.append({"item": item, "count": count})
    return cleaned, problems


def _validate(values: dict[str, Any], unit_id: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            add("name", _("Please enter a name."))
        values["name"] = name
    if "category" in values:
        category = (values["category"] or "").strip()
        if not is_slug(category):
            add(
                "category",
                _(
                    "A category is a short slug of lower-case letters, digits and _, "
                    "e.g. 3d_printer."
                ),
            )
        values["category"] = category
    if "status" in values and values["status"] not in {s.value for s in EquipmentStatus}:
        add("status", _("Status must be available, maintenance or retired."))
    if values.get("buffer_minutes") is not None and values["buffer_minutes"] < 0:
        add("buffer_minutes", _("The buffer cannot be negative."))
    if "buffer_minutes" in values and values["buffer_minutes"] is None:
        values["buffer_minutes"] = 0
    if values.get("max_booking_minutes") is not None and values["max_booking_minutes"] <= 0:
        add("max_booking_minutes", _("The maximum duration must be positive."))
    if values.get("min_age") is not None and values["min_age"] < 0:
        add("min_age", _("The minimum age cannot be negative."))
    if "contents" in values:
        values["contents"], problems = kit_line_problems(values["contents"])
        for problem in problems:
            add("contents", problem)
    if "site_id" in values:
        try:
            values["site_id"] = resolve_site_id(values["site_id"])
        except Invalid as exc:
            errors.update(exc.errors)
    if not errors and "name" in values:
        site_id = values.get("site_id")
        if site_id is None and unit_id is not None:
            site_id = db.session.scalar(sa.select(Equipment.site_id).where(Equipment.id == unit_id))
        clash = db.session.scalar(
            sa.select(Equipment.id).where(
                Equipment.site_id == site_id, Equipment.name == values["name"]
            )
        )
        if clash is not None and clash != unit_id:
            add("name", _("A unit with this name exists already at this site."))
    return errors


def create_equipment(actor: User, **fields: Any) -> Equipment:
    """Add a bookable unit to the catalogue (site defaults to the default site)."""
    values = {k: v for k, v in fields.items() if k in EDITABLE}
    values.setdefault("site_id", None)
    values.setdefault("name", "")
    values.setdefault("category", "")
    hold_write_lock(db.session)
    errors = _validate(values, None)
    if errors:
        raise Invalid(errors)
    site = find_site(values["site_id"])
    if site is not None:
        # Units of one site are numbered one after the other (their codes).
        lock_for_update(db.session, site)
    unit = Equipment(**values)
    db.session.add(unit)
    db.session.flush()
    return unit


def update_equipment(actor: User, unit: Equipment, **changes: Any) -> Equipment:
    """Change a unit's details or status (bookings already made are kept)."""
    values = {k: v for k, v in changes.items() if k in EDITABLE}
    if "site_id" in values and values["site_id"] is None:
        del values["site_id"]
    if "name" in values and "site_id" not in values:
        values["site_id"] = unit.site_id
    hold_write_lock(db.session)
    errors = _validate(values, unit.id)
    if errors:
        raise Invalid(errors)
    for key, value in values.items():
        setattr(unit, key, value)
    db.session.flush()
    return unit


def site_of(unit: Equipment) -> Site:
    """The site a unit belongs to."""
    site = find_site(unit.site_id)
    assert site is not None  # foreign key
    return site


def add_maintenance(
    actor: User | None,
    unit: Equipment,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> MaintenanceBlock:
    """Block a unit for ``[starts_at, ends_at)``; bookings are refused during it."""
    hold_write_lock(db.session)
    tz = site_of(unit).timezone
    starts_at = clock.as_utc(starts_at, tz, "starts_at")
    ends_at = clock.as_utc(ends_at, tz, "ends_at")
    if ends_at <= starts_at:
        raise Invalid({"ends_at": [_("The end must be after the start.")]})
    block = MaintenanceBlock(
        equipment_id=unit.id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=(reason or "").strip(),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(block)
    db.session.flush()
    return block


def maintenance_stmt(
    unit: Equipment, *, upcoming_only: bool = False
) -> sa.Select[MaintenanceBlock]:
    """Maintenance blocks of a unit, earliest first."""
    stmt = (
        sa.select(MaintenanceBlock)
        .where(MaintenanceBlock.equipment_id == unit.id)
        .order_by(MaintenanceBlock.starts_at, MaintenanceBlock.id)
    )
    if upcoming_only:
        stmt = stmt.where(MaintenanceBlock.ends_at > clock.now())
    return stmt


def maintenance_between(
    unit_ids: list[int], start: dt.datetime, end: dt.datetime
) -> list[sa.Row[Any]]:
    """Maintenance blocks of the units overlapping ``[start, end)``, as rows of their columns."""
    if not unit_ids:
        return []
    return list(
        db.session.execute(
            sa.select(*MaintenanceBlock.__table__.columns)
            .where(
                MaintenanceBlock.equipment_id.in_(unit_ids),
                MaintenanceBlock.starts_at < end,
                MaintenanceBlock.ends_at > start,
            )
            .order_by(MaintenanceBlock.starts_at)
        )
    )
