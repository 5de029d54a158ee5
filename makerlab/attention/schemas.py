"""Shapes of the attention list (``GET /api/v1/attention``)."""

from __future__ import annotations

from marshmallow import fields, validate

from makerlab.api.schemas import AttentionOut, Instant, ListArgs, Schema, UnitInstant, page_schema
from makerlab.db import MAX_ID


class AttentionArgs(ListArgs):
    site_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "only bookings of this site's units and its sessions"},
    )


class SuggestionOut(Schema):
    equipment_id = fields.Integer()
    starts_at = UnitInstant()
    ends_at = UnitInstant()


class AttentionItemOut(Schema):
    kind = fields.String(validate=validate.OneOf(["booking", "session"]))
    id = fields.Integer(metadata={"description": "the booking's or the session's id"})
    starts_at = Instant()
    ends_at = Instant()
    reasons = fields.List(
        fields.Nested(AttentionOut),
        metadata={"description": "the item's ``attention``: why it cannot happen as planned"},
    )
    suggestions = fields.List(
        fields.Nested(SuggestionOut),
        metadata={
            "description": "up to three places a booking could move to (POST "
            "/bookings/{id}/move): free units of the same category at the same time first, "
            "then the nearest free times of its unit; empty for sessions and for reasons "
            "a move cannot cure (consent, induction, age)"
        },
    )


AttentionPage = page_schema(AttentionItemOut, "AttentionPage")
