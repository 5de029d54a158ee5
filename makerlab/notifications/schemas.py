from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from marshmallow import fields

from makerlab.api.schemas import ListArgs, Schema, page_schema
from makerlab.enums import NotificationStatus


class Instant(fields.DateTime):
    """An instant in the centre's time zone with its offset (outbox rows have no site)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).isoformat()


class NotificationListArgs(ListArgs):
    status = fields.String(validate=ma.validate.OneOf([s.value for s in NotificationStatus]))


class NotificationOut(Schema):
    id = fields.Integer()
    dedupe_key = fields.String()
    kind = fields.String()
    to = fields.Function(lambda note: note.to_address)
    to_address = fields.String()
    locale = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = Instant()
    sent_at = Instant(allow_none=True)
    created_at = Instant()
    attachments = fields.Function(
        lambda note: [
            {"filename": a.get("filename"), "mimetype": a.get("mimetype")}
            for a in (note.attachments or [])
        ]
    )


NotificationPage = page_schema(NotificationOut, "NotificationPage")
