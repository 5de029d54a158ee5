from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from makerlab.api.schemas import Instant, ListArgs, Schema, page_schema
from makerlab.enums import NotificationStatus


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
    # Outbox rows belong to no site: instants are shown in the centre's zone.
    next_attempt_at = Instant(site_attr="")
    sent_at = Instant(site_attr="", allow_none=True)
    created_at = Instant(site_attr="")
    attachments = fields.Function(
        lambda note: [
            {"filename": a.get("filename"), "mimetype": a.get("mimetype")}
            for a in (note.attachments or [])
        ]
    )


NotificationPage = page_schema(NotificationOut, "NotificationPage")
