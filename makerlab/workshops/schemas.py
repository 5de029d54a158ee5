from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from makerlab.api.schemas import (
    Attention,
    EmailAddress,
    Instant,
    ListArgs,
    QuerySchema,
    Schema,
    page_schema,
)
from makerlab.db import MAX_ID
from makerlab.enums import EnrolmentStatus, SessionStatus
from makerlab.workshops.services import waitlist_position

ID_RANGE = validate.Range(min=1, max=MAX_ID)

NEEDS_DOC = {
    "description": "Units needed per equipment category for every session",
    "example": {"synth_kit": 6, "room": 1},
}


class WorkshopIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    min_age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 120))
    max_age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 120))
    facilitator_id = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    equipment_needs = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(strict=True),
        load_default=dict,
        metadata=NEEDS_DOC,
    )

    @validates_schema
    def _ages(self, data: dict[str, Any], **_kw: Any) -> None:
        lo, hi = data.get("min_age"), data.get("max_age")
        if lo is not None and hi is not None and lo > hi:
            raise ValidationError("The maximum age cannot be below the minimum age.", "max_age")


class WorkshopPatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    min_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    max_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    facilitator_id = fields.Integer(allow_none=True, validate=ID_RANGE)
    equipment_needs = fields.Dict(
        keys=fields.String(), values=fields.Integer(strict=True), metadata=NEEDS_DOC
    )


class WorkshopOut(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    facilitator_id = fields.Integer(allow_none=True)
    equipment_needs = fields.Dict()


WorkshopPage = page_schema(WorkshopOut, "WorkshopPage")


class SessionIn(Schema):
    starts_at = fields.DateTime(
        required=True, format="iso", metadata={"description": "ISO 8601; without offset: site time"}
    )
    ends_at = fields.DateTime(required=True, format="iso")
    capacity = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000))
    site_id = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    location = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def _order(self, data: dict[str, Any], **_kw: Any) -> None:
        start, end = data.get("starts_at"), data.get("ends_at")
        if start is not None and end is not None and _comparable(start, end) and end <= start:
            raise ValidationError("The end must be after the start.", "ends_at")


def _comparable(a: Any, b: Any) -> bool:
    # Far-off years are refused by the service; comparing them could overflow.
    sane = all(2000 <= v.year <= 2199 for v in (a, b))
    return sane and (a.tzinfo is None) == (b.tzinfo is None)


class SessionPatch(Schema):
    starts_at = fields.DateTime(format="iso")
    ends_at = fields.DateTime(format="iso")
    capacity = fields.Integer(validate=validate.Range(min=0, max=10_000))
    site_id = fields.Integer(validate=ID_RANGE)
    location = fields.String(validate=validate.Length(max=200))


class SessionCancelArgs(QuerySchema):
    reason = fields.String(load_default="", validate=validate.Length(max=500),
                           metadata={"description": "Told to every enrolled contact"})


class SessionOut(Schema):
    id = fields.Integer()
    workshop_id = fields.Integer()
    starts_at = Instant()
    ends_at = Instant()
    capacity = fields.Integer()
    site_id = fields.Integer()
    location = fields.String()
    status = fields.String(metadata={"enum": [s.value for s in SessionStatus]})
    seats_taken = fields.Integer()
    seats_free = fields.Integer()
    waitlist = fields.List(
        fields.Integer(), metadata={"description": "enrolment ids in waitlist order"}
    )
    attention = Attention()


SessionPage = page_schema(SessionOut, "SessionPage")


class SessionListArgs(ListArgs):
    upcoming = fields.Boolean(
        load_default=False, metadata={"description": "only sessions not yet over"}
    )


class EnrolmentIn(Schema):
    """A class (school_id, class_name, headcount, contact_email) or one participant_id."""

    school_id = fields.Integer(
        allow_none=True,
        validate=ID_RANGE,
        metadata={"description": "teachers: defaults to their school"},
    )
    class_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=50))
    headcount = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000))
    contact_email = EmailAddress(allow_none=True)
    participant_id = fields.Integer(allow_none=True, validate=ID_RANGE)
    accompanying_adults = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={"description": "classes only: teachers and helpers coming along (no seats)"},
    )


class EnrolmentOut(Schema):
    id = fields.Integer()
    session_id = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in EnrolmentStatus]})
    seats = fields.Integer()
    school_id = fields.Integer(allow_none=True)
    class_name = fields.String(allow_none=True)
    headcount = fields.Integer(allow_none=True)
    contact_email = fields.String(allow_none=True)
    accompanying_adults = fields.Integer()
    participant_id = fields.Integer(allow_none=True)
    attended_count = fields.Integer(allow_none=True)
    waitlist_position = fields.Method("_position", dump_only=True, allow_none=True)
    created_at = Instant(site_attr="")
    cancelled_at = Instant(site_attr="", allow_none=True)

    def _position(self, obj: Any) -> int | None:
        return waitlist_position(obj)


EnrolmentPage = page_schema(EnrolmentOut, "EnrolmentPage")


class EnrolmentListArgs(ListArgs):
    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in EnrolmentStatus])
    )


class AttendanceIn(Schema):
    attended_count = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
