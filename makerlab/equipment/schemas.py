"""Shapes of the equipment API (the rules live in ``services``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, g
from marshmallow import fields, validate

from makerlab.api.schemas import (
    DateOrInstant,
    ListArgs,
    QuerySchema,
    Schema,
    page_schema,
)
from makerlab.enums import EquipmentStatus
from makerlab.extensions import db

STATUSES = [s.value for s in EquipmentStatus]
MAX_ID = 2**31 - 1
MAX_MINUTES = 366 * 24 * 60  # a year: longer loans are no booking


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class
    """A database id: an integer the database can hold."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _request_cache(name: str, stmt: Any, key: Any) -> Any:
    cache: dict[Any, Any] | None = g.get(name)
    if cache is None or key not in cache:
        cache = {row[0]: row[1] for row in db.session.execute(stmt)}
        setattr(g, name, cache)
    return cache.get(key)


def unit_site_id(equipment_id: int | None) -> int | None:
    """The site of a unit, from a per-request map (one query however many rows)."""
    from makerlab.equipment.models import Equipment

    if equipment_id is None:
        return None
    stmt = sa.select(Equipment.id, Equipment.site_id)
    return _request_cache("_unit_sites", stmt, equipment_id)


def site_tz(site_id: int | None) -> str:
    """The time zone of a site, from a per-request map (config default if unknown)."""
    from makerlab.sites.models import Site

    found = None
    if site_id is not None:
        found = _request_cache("_bookings_site_tz", sa.select(Site.id, Site.timezone), site_id)
    return str(found or current_app.config["TIMEZONE"])


class SiteInstant(fields.DateTime):
    """An instant in the owning site's local time with offset (``obj.site_id``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def site_id(self, obj: Any) -> int | None:
        return getattr(obj, "site_id", None)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(ZoneInfo(site_tz(self.site_id(obj)))).isoformat()


class UnitInstant(SiteInstant):
    """An instant shown in the time zone of the site of ``obj.equipment_id``."""

    def site_id(self, obj: Any) -> int | None:
        return unit_site_id(getattr(obj, "equipment_id", None))


class EquipmentIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    site_id = Id(load_default=None, allow_none=True)
    location = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default="available", validate=validate.OneOf(STATUSES))
    loanable = fields.Boolean(load_default=False)
    requires_induction = fields.Boolean(load_default=False)
    min_age = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=120)
    )
    buffer_minutes = fields.Integer(load_default=0, validate=validate.Range(min=0, max=24 * 60))
    max_booking_minutes = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_MINUTES)
    )
    notes = fields.String(load_default="", validate=validate.Length(max=5000))


class EquipmentPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    category = fields.String(validate=validate.Length(min=1, max=40))
    site_id = Id()
    location = fields.String(validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(STATUSES))
    loanable = fields.Boolean()
    requires_induction = fields.Boolean()
    min_age = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=120))
    buffer_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))
    max_booking_minutes = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=MAX_MINUTES)
    )
    notes = fields.String(validate=validate.Length(max=5000))


class EquipmentOut(Schema):
    id = fields.Integer()
    name = fields.String()
    category = fields.String()
    site_id = fields.Integer()
    location = fields.String()
    status = fields.String()
    loanable = fields.Boolean()
    requires_induction = fields.Boolean()
    min_age = fields.Integer(allow_none=True)
    buffer_minutes = fields.Integer()
    max_booking_minutes = fields.Integer(allow_none=True)
    notes = fields.String()
    created_at = SiteInstant()


EquipmentPage = page_schema(EquipmentOut, "EquipmentPage")


class EquipmentListArgs(ListArgs):
    category = fields.String()
    site_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    status = fields.String(validate=validate.OneOf(STATUSES))


class MaintenanceIn(Schema):
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class MaintenanceOut(Schema):
    id = fields.Integer()
    equipment_id = fields.Integer()
    starts_at = UnitInstant()
    ends_at = UnitInstant()
    reason = fields.String()
    created_at = UnitInstant()


MaintenancePage = page_schema(MaintenanceOut, "MaintenancePage")


class RangeArgs(QuerySchema):
    from_ = DateOrInstant(data_key="from", metadata={"description": "date or date-time"})
    to = DateOrInstant(metadata={"description": "date or date-time (exclusive)"})


class AvailabilityArgs(RangeArgs):
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    site_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class FreeInterval(Schema):
    starts_at = fields.String()
    ends_at = fields.String()


class UnitAvailabilityOut(Schema):
    equipment_id = fields.Integer()
    # "from" is a Python keyword: the field is named by data_key.
    from_ = fields.String(data_key="from")
    to = fields.String()
    items = fields.List(fields.Nested(FreeInterval))
    total = fields.Integer()


class AvailabilityOut(Schema):
    category = fields.String()
    site_id = fields.Integer()
    from_ = fields.String(data_key="from")
    to = fields.String()
    items = fields.List(fields.Nested(EquipmentOut))
    total = fields.Integer()
