"""JSON routes: the equipment catalogue, maintenance blocks and availability."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _

from makerlab import clock
from makerlab.api import api_blueprint, current_actor, preview_answer, require, resolve
from makerlab.api.schemas import ListArgs, PreviewArgs, PreviewOut, paginate, with_affected
from makerlab.bookings.availability import free_intervals, free_units
from makerlab.db import commit_for_response
from makerlab.equipment import services
from makerlab.equipment.models import Equipment
from makerlab.equipment.schemas import (
    AvailabilityArgs,
    AvailabilityOut,
    EquipmentChanged,
    EquipmentIn,
    EquipmentListArgs,
    EquipmentOut,
    EquipmentPage,
    EquipmentPatch,
    MaintenanceCreated,
    MaintenanceIn,
    MaintenancePage,
    RangeArgs,
    UnitAvailabilityOut,
)
from makerlab.errors import Invalid
from makerlab.extensions import db
from makerlab.planning.impact import MaintenanceChange, UnitChange, replan
from makerlab.sites.services import get_site, resolve_site_id

blp = api_blueprint("equipment_api", __name__, "Equipment, maintenance and availability")

DEFAULT_RANGE = dt.timedelta(days=7)
MAX_RANGE = dt.timedelta(days=92)


def query_range(args: dict[str, Any], tz: str) -> tuple[dt.datetime, dt.datetime]:
    """``from``/``to`` as UTC instants (dates are local midnight); a week from today by default."""
    start = (
        clock.to_instant(args["from_"], tz)
        if args.get("from_") is not None
        else clock.local_midnight(clock.today(tz), tz)
    )
    end = (
        clock.to_instant(args["to"], tz, "to")
        if args.get("to") is not None
        else start + DEFAULT_RANGE
    )
    if end <= start:
        raise Invalid({"to": [_("The end of the range must be after its start.")]})
    if end - start > MAX_RANGE:
        raise Invalid({"to": [_("Ask for at most %(days)d days at once.", days=MAX_RANGE.days)]})
    return start, end


@blp.route("/equipment")
class EquipmentList(MethodView):
    @require("equipment.view")
    @blp.arguments(EquipmentListArgs, location="query")
    @blp.response(200, EquipmentPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The catalogue; filter by ``category``, ``site_id`` and ``status``."""
        stmt = services.list_equipment_stmt(
            category=args.get("category"), site_id=args.get("site_id"), status=args.get("status")
        )
        return paginate(stmt, args)

    @require("equipment.manage")
    @blp.arguments(EquipmentIn)
    @blp.response(201, EquipmentOut)
    def post(self, payload: dict[str, Any]) -> Any:
        """Add a unit (``site_id`` defaults to the default site)."""
        unit = services.create_equipment(current_actor(), **payload)
        commit_for_response(db.session)
        return unit


@blp.route("/equipment/<int:equipment_id>")
class EquipmentItem(MethodView):
    @require("equipment.view")
    @resolve("equipment_id", services.get_equipment, "unit")
    @blp.response(200, EquipmentOut)
    def get(self, unit: Equipment) -> Any:
        """One unit."""
        return unit

    @require("equipment.manage")
    @resolve("equipment_id", services.get_equipment, "unit")
    @blp.arguments(EquipmentPatch)
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(200, EquipmentChanged)
    def patch(self, payload: dict[str, Any], args: dict[str, Any], unit: Equipment) -> Any:
        """Change a unit: details, status (available, maintenance, retired), rules.

        Setting it to maintenance or retired flags its future bookings
        (``affected``) and tells their bookers; ``?preview=true`` answers only that.
        """
        actor = current_actor()
        before = unit.status
        services.update_equipment(actor, unit, **payload)
        impact = replan(UnitChange.status_set(unit, before), actor, preview=args["preview"])
        if args["preview"]:
            return preview_answer(impact.affected)
        commit_for_response(db.session)
        return with_affected(unit, impact.affected)


@blp.route("/equipment/<int:equipment_id>/maintenance")
class MaintenanceList(MethodView):
    @require("equipment.view")
    @resolve("equipment_id", services.get_equipment, "unit")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, MaintenancePage)
    def get(self, args: dict[str, Any], unit: Equipment) -> Any:
        """Maintenance blocks of a unit, earliest first."""
        return paginate(services.maintenance_stmt(unit), args)

    @require("equipment.manage")
    @resolve("equipment_id", services.get_equipment, "unit")
    @blp.arguments(MaintenanceIn)
    @blp.arguments(PreviewArgs, location="query")
    @blp.response(201, MaintenanceCreated)
    @blp.alt_response(200, schema=PreviewOut, description="?preview=true: nothing saved")
    def post(self, payload: dict[str, Any], args: dict[str, Any], unit: Equipment) -> Any:
        """Block a unit for maintenance; no booking can be made during the block.

        Future bookings of the unit during the block are flagged (``affected``)
        and their bookers told; ``?preview=true`` answers only that.
        """
        actor = current_actor()
        block = services.add_maintenance(actor, unit, **payload)
        impact = replan(MaintenanceChange.of(block, unit), actor, preview=args["preview"])
        if args["preview"]:
            return preview_answer(impact.affected)
        commit_for_response(db.session)
        return with_affected(block, impact.affected)


@blp.route("/equipment/<int:equipment_id>/availability")
class UnitAvailability(MethodView):
    @require("equipment.view")
    @resolve("equipment_id", services.get_equipment, "unit")
    @blp.arguments(RangeArgs, location="query")
    @blp.response(200, UnitAvailabilityOut)
    def get(self, args: dict[str, Any], unit: Equipment) -> Any:
        """Free intervals of a unit inside opening hours (``items``), minus closures,
        maintenance and bookings with their buffer; ``from`` defaults to today, ``to``
        to a week later."""
        tz = services.site_of(unit).timezone
        start, end = query_range(args, tz)
        free = free_intervals(unit, start, end)
        return {
            "equipment_id": unit.id,
            "from_": clock.to_local(start, tz).isoformat(),
            "to": clock.to_local(end, tz).isoformat(),
            "items": [
                {
                    "starts_at": clock.to_local(s, tz).isoformat(),
                    "ends_at": clock.to_local(e, tz).isoformat(),
                }
                for s, e in free
            ],
            "total": len(free),
        }


@blp.route("/availability")
class Availability(MethodView):
    @require("equipment.view")
    @blp.arguments(AvailabilityArgs, location="query")
    @blp.response(200, AvailabilityOut)
    def get(self, args: dict[str, Any]) -> Any:
        """Units of a category free for the whole range (``items``); the site defaults to the
        default site."""
        site_id = resolve_site_id(args.get("site_id"))
        tz = get_site(current_actor(), site_id).timezone
        start, end = query_range(args, tz)
        units = free_units(args["category"], site_id, start, end)
        return {
            "category": args["category"],
            "site_id": site_id,
            "from_": clock.to_local(start, tz).isoformat(),
            "to": clock.to_local(end, tz).isoformat(),
            "items": units,
            "total": len(units),
        }
