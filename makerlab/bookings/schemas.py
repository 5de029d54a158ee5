"""Shapes of the bookings API (the rules live in ``services``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from marshmallow import ValidationError, fields, validate, validates_schema

from makerlab.api.schemas import (
    Affected,
    Attention,
    DateOrInstant,
    Day,
    Id,
    IdList,
    ListArgs,
    QuerySchema,
    Schema,
    UnitInstant,
    page_schema,
)
from makerlab.bookings.models import is_overdue
from makerlab.bookings.recurrence import FREQUENCIES, MAX_INTERVAL, MAX_OCCURRENCES, WEEKDAYS
from makerlab.bookings.services import SCOPES
from makerlab.db import MAX_ID
from makerlab.enums import BookingStatus
from makerlab.equipment.schemas import KitLine, kit_lines_field
from makerlab.planning.hits import detail_of

TIME_DOC = {
    "description": "ISO 8601; without an offset the time is read in the unit's site time zone",
    "example": "2027-03-29T10:00:00+02:00",
}


class RecurrenceIn(Schema):
    frequency = fields.String(required=True, validate=validate.OneOf(sorted(FREQUENCIES)))
    interval = fields.Integer(
        validate=validate.Range(min=1, max=MAX_INTERVAL),
        metadata={"description": "every n days or weeks (default 1)"},
    )
    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        validate=validate.Length(min=1, max=7),
        metadata={"description": "weekly only: the days of each week", "example": ["mon", "thu"]},
    )
    count = fields.Integer(
        validate=validate.Range(min=1, max=MAX_OCCURRENCES),
        metadata={"description": "number of occurrences, the first included"},
    )
    until = Day(metadata={"description": "last day that may have an occurrence"})

    @validates_schema
    def _count_or_until(self, data: dict[str, Any], **_kw: Any) -> None:
        if ("count" in data) == ("until" in data):
            raise ValidationError("Give either count or until.", "count")
        if "weekdays" in data and data.get("frequency") != "weekly":
            raise ValidationError("Weekdays can only be chosen for weekly bookings.", "weekdays")


class BookingIn(Schema):
    equipment_id = Id(required=True)
    starts_at = fields.DateTime(required=True, metadata=TIME_DOC)
    ends_at = fields.DateTime(required=True, metadata=TIME_DOC)
    purpose = fields.String(load_default="", validate=validate.Length(max=500))
    participant_ids = IdList(load_default=list)
    recurrence = fields.Nested(RecurrenceIn, load_default=None, allow_none=True)
    skip_conflicts = fields.Boolean(load_default=False)
    series_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "add this booking to an existing series (a skipped occurrence)"},
    )
    session_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def _order(self, data: dict[str, Any], **_kw: Any) -> None:
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and (start.tzinfo is None) == (end.tzinfo is None) and end <= start:
            raise ValidationError("The end must be after the start.", "ends_at")


class BookingPatch(Schema):
    equipment_id = Id()
    starts_at = fields.DateTime(metadata=TIME_DOC)
    ends_at = fields.DateTime(metadata=TIME_DOC)
    purpose = fields.String(validate=validate.Length(max=500))
    participant_ids = IdList()


class BookingMoveIn(Schema):
    """Where one booking goes: another unit, another time, or both (at least one)."""

    equipment_id = Id(metadata={"description": "another unit (a session's unit: same category)"})
    starts_at = fields.DateTime(
        metadata={**TIME_DOC, "description": TIME_DOC["description"] + "; alone keeps the length"}
    )
    ends_at = fields.DateTime(metadata=TIME_DOC)


class ScopeArgs(QuerySchema):
    scope = fields.String(load_default="this", validate=validate.OneOf(SCOPES))


class BookingListArgs(ListArgs):
    equipment_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    from_ = DateOrInstant(data_key="from", metadata={"description": "date or date-time"})
    to = DateOrInstant(metadata={"description": "date or date-time (exclusive)"})
    status = fields.String(validate=validate.OneOf([s.value for s in BookingStatus]))


class ReturnIn(Schema):
    condition = fields.String(load_default="ok", validate=validate.OneOf(["ok", "damaged"]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    missing = kit_lines_field(
        load_default=list,
        metadata={"description": 'parts of the kit that did not come back (counts as damaged)'},
    )


class BookingOut(Schema):
    id = fields.Integer()
    equipment_id = fields.Integer()
    starts_at = UnitInstant()
    ends_at = UnitInstant()
    purpose = fields.String()
    participant_ids = fields.Function(lambda b: [p.id for p in b.participants])
    status = fields.String()
    series_id = fields.Integer(allow_none=True)
    session_id = fields.Integer(allow_none=True)
    booked_by = fields.Integer(attribute="booked_by_id", allow_none=True)
    checked_out_at = UnitInstant(allow_none=True)
    returned_at = UnitInstant(allow_none=True)
    overdue = fields.Boolean()
    created_at = UnitInstant()
    return_condition = fields.String(allow_none=True)
    attention = Attention()
    return_missing = fields.List(fields.Nested(KitLine))


BookingPage = page_schema(BookingOut, "BookingPage")


def booking_items(
    rows: Iterable[sa.Row[*tuple[Any, ...]]], now: dt.datetime
) -> list[dict[str, Any]]:
    """Rows of ``services.booking_rows_stmt`` exactly as ``BookingOut`` dumps a booking.

    For lists: marshmallow spends about 0.1 ms per booking, most of a page of
    500. ``tests/bookings/test_booking_list.py`` checks that both agree.
    """
    zones: dict[str, ZoneInfo] = {}
    items = []
    for (
        booking_id,
        equipment_id,
        starts_at,
        ends_at,
        purpose,
        status,
        series_id,
        session_id,
        booked_by_id,
        checked_out_at,
        returned_at,
        created_at,
        return_condition,
        attention,
        return_missing,
        participant_ids,
        timezone,
    ) in rows:
        zone = zones.get(timezone)
        if zone is None:
            zone = zones[timezone] = ZoneInfo(timezone)
        items.append(
            {
                "id": booking_id,
                "equipment_id": equipment_id,
                "starts_at": starts_at.astimezone(zone).isoformat(),
                "ends_at": ends_at.astimezone(zone).isoformat(),
                "purpose": purpose,
                "participant_ids": _ids(participant_ids),
                "status": status,
                "series_id": series_id,
                "session_id": session_id,
                "booked_by": booked_by_id,
                "checked_out_at": _local(checked_out_at, zone),
                "returned_at": _local(returned_at, zone),
                "overdue": is_overdue(status, ends_at, now),
                "created_at": created_at.astimezone(zone).isoformat(),
                "return_condition": return_condition,
                "attention": [
                    {"reason": item["reason"], "detail": detail_of(item)}
                    for item in attention or ()
                ],
                "return_missing": return_missing or [],
            }
        )
    return items


def _ids(text: str | None) -> list[int]:
    """``"3,1"`` as ``[1, 3]``: participants in id order, as the relationship has them."""
    return sorted(int(part) for part in text.split(",")) if text else []


def _local(instant: dt.datetime | None, zone: ZoneInfo) -> str | None:
    return None if instant is None else instant.astimezone(zone).isoformat()


class SkippedOccurrence(Schema):
    starts_at = fields.String()
    ends_at = fields.String()
    conflicts = fields.List(fields.Dict())
    reasons = fields.List(fields.String())


class BookingCreated(BookingOut):
    """The first booking at the top level, plus every occurrence and the skipped ones."""

    recurrence = fields.Dict(allow_none=True)
    occurrences = fields.List(fields.Nested(BookingOut))
    skipped = fields.List(fields.Nested(SkippedOccurrence))


class BookingReturned(BookingOut):
    """A returned kit; ``affected``: the unit's future bookings a damaged return hits."""

    affected = Affected()


class BookingChanged(BookingOut):
    """The booking addressed, plus every booking the scope changed."""

    occurrences = fields.List(fields.Nested(BookingOut))
