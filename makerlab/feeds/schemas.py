from __future__ import annotations

from marshmallow import fields, validate

from makerlab.api.schemas import Id, Instant, ListArgs, Schema, page_schema
from makerlab.feeds.models import FeedKind


class FeedIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in FeedKind]))
    equipment_id = Id(load_default=None, allow_none=True)


class FeedOut(Schema):
    """A feed; ``url`` (with its secret) only in the answer that created it."""

    id = fields.Integer()
    kind = fields.String()
    equipment_id = fields.Integer(allow_none=True)
    created_at = Instant(site_attr="")
    url = fields.String()
    webcal_url = fields.String()


FeedListArgs = ListArgs
FeedPage = page_schema(FeedOut, "FeedPage")
