"""Shapes of the equipment API (the rules live in ``services``)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from makerlab.api.schemas import (
    Affected,
    DateOrInstant,
    Id,
    Instant,
    ListArgs,
    QuerySchema,
    Schema,
    UnitInstant,
    page_schema,
)
from makerlab.db import MAX_ID
from makerlab.enums import EquipmentStatus

STATUSES = [s.value for s in EquipmentStatus]
MAX_MINUTES = 366 * 24 * 60  # a year: longer loans are no booking


class KitLine(Schema):
    """One line of a kit's contents (or of what is missing on return)."""

    item = fields.String(required=True, validate=validate.Length(max=120))
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=99))


MAX_KIT_LINES = 60


def kit_lines_field(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.Nested(KitLine), validate=validate.Length(max=MAX_KIT_LINES), **kwargs
    )


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
    contents = kit_lines_field(
        load_default=list, metadata={"description": 'what a kit holds: [{"item", "count"}]'}
    )


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
    contents = kit_lines_field()


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
    code = fields.String(
        metadata={"description": "short, stable code on the unit's label; /u/<code> opens it"}
    )
    contents = fields.List(fields.Nested(KitLine))
    created_at = Instant()


EquipmentPage = page_schema(EquipmentOut, "EquipmentPage")


class EquipmentChanged(EquipmentOut):
    affected = Affected()


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


class MaintenanceCreated(MaintenanceOut):
    affected = Affected()


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
