from __future__ import annotations

from marshmallow import fields, validate

from makerlab.api.schemas import EmailAddress, ListArgs, Schema, page_schema


class SchoolIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(load_default="", validate=validate.Length(max=2000))
    contact_email = EmailAddress(load_default=None, allow_none=True)


class SchoolPatch(SchoolIn):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(max=2000))
    contact_email = EmailAddress(allow_none=True)


class SchoolOut(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    contact_email = fields.String(allow_none=True)


SchoolPage = page_schema(SchoolOut, "SchoolPage")


class SchoolListArgs(ListArgs):
    q = fields.String(load_default=None, metadata={"description": "part of the name"})
