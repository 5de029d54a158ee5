"""Request and response shapes of the authentication and account routes."""

from __future__ import annotations

from marshmallow import fields, validate

from makerlab.api.schemas import Id, Instant, ListArgs, Schema, page_schema
from makerlab.enums import Role

ROLES = [role.value for role in Role]
LANGUAGES = ["de", "en"]


class TokenRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True)
    label = fields.String(load_default="api")


class TokenResponse(Schema):
    token = fields.String()
    user_id = fields.Integer()
    role = fields.String()


class ResetRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))


class ResetAccepted(Schema):
    detail = fields.String()


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    school_id = fields.Integer(allow_none=True)
    language = fields.String(attribute="locale", allow_none=True)
    active = fields.Boolean()
    has_password = fields.Boolean(
        metadata={"description": "false while an invitation to choose one is open"}
    )
    created_at = Instant(site_attr="")


UserPage = page_schema(UserOut, "UserPage")


class UserPatch(Schema):
    name = fields.String(validate=validate.Length(max=120))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    school_id = Id(allow_none=True, metadata={"description": "teachers only"})
    language = fields.String(
        attribute="locale",
        allow_none=True,
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "null: the browser's language"},
    )


class UserListArgs(ListArgs):
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))
    active = fields.Boolean(load_default=None)
