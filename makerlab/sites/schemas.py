from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from makerlab.api.schemas import Affected, Day, Schema, page_schema

OPENING_HOURS_DOC = {
    "description": 'Weekday -> list of [opens, closes], e.g. {"mon": [["09:00","18:00"]]}',
    "example": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": [["10:00", "14:00"]]},
}


class SiteIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    timezone = fields.String(load_default="Europe/Berlin", validate=validate.Length(max=64))
    address = fields.String(load_default="", validate=validate.Length(max=2000))
    opening_hours = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.List(fields.String())),
        load_default=dict,
        metadata=OPENING_HOURS_DOC,
    )


class SitePatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    timezone = fields.String(validate=validate.Length(max=64))
    address = fields.String(validate=validate.Length(max=2000))
    opening_hours = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.List(fields.String())),
        metadata=OPENING_HOURS_DOC,
    )


class SiteOut(Schema):
    id = fields.Integer()
    name = fields.String()
    timezone = fields.String()
    address = fields.String()
    opening_hours = fields.Dict()


class SiteChanged(SiteOut):
    affected = Affected()


SitePage = page_schema(SiteOut, "SitePage")


class ClosureIn(Schema):
    starts_on = Day(required=True)
    ends_on = Day(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def _order(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("The last day cannot be before the first day.", "ends_on")


class ClosureOut(Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    starts_on = Day()
    ends_on = Day()
    reason = fields.String()


ClosurePage = page_schema(ClosureOut, "ClosurePage")


class ClosureCreated(ClosureOut):
    affected = Affected()


class TermIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120),
                         metadata={"example": "Schuljahr 2026/27"})
    starts_on = fields.Date(required=True, metadata={"example": "2026-08-01"})
    ends_on = fields.Date(required=True, metadata={"description": "inclusive",
                                                   "example": "2027-07-31"})

    @validates_schema
    def _order(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("The last day cannot be before the first day.", "ends_on")


class TermOut(Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


TermPage = page_schema(TermOut, "TermPage")
