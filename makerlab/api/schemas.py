"""Schema building blocks shared by every domain's API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import fields

from makerlab.extensions import db

MAX_LIMIT = 500
# Instants outside these years are typing mistakes (and older ones have
# pre-standard-time offsets that ISO 8601 cannot write).
MIN_YEAR, MAX_YEAR = 2000, 2100


class Schema(ma.Schema):
    """Request/response schema: unknown fields are an error (422)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class QuerySchema(ma.Schema):
    """Query-string arguments: extra parameters are ignored."""

    class Meta:
        unknown = ma.EXCLUDE
        ordered = True


class ListArgs(QuerySchema):
    limit = fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_LIMIT))
    offset = fields.Integer(load_default=0, validate=ma.validate.Range(min=0))


def site_timezone(site_id: int | None) -> str:
    """The time zone of a site, cached per request/app context."""
    from flask import current_app, g

    from makerlab.sites.models import Site

    cache: dict[int, str] | None = g.get("_site_timezones")
    if cache is None:
        cache = {
            row.id: row.timezone for row in db.session.execute(sa.select(Site.id, Site.timezone))
        }
        g._site_timezones = cache
    if site_id is not None and site_id in cache:
        return cache[site_id]
    return str(current_app.config["TIMEZONE"])


class Instant(fields.DateTime):
    """An instant: output in the owning site's local time with offset.

    Input keeps whatever offset it has; naive input stays naive here and is
    read in the site's zone by the service, which knows the site.
    """

    def __init__(self, site_attr: str = "site_id", **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)
        self.site_attr = site_attr

    default_error_messages = {
        "range": f"Use a date between {MIN_YEAR} and {MAX_YEAR}.",
    }

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        site_id = getattr(obj, self.site_attr, None) if self.site_attr else None
        return value.astimezone(ZoneInfo(site_timezone(site_id))).isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise self.make_error("range")
        return result


class DateOrInstant(fields.Field):
    """A date (meaning site-local midnight) or an ISO date-time."""

    default_error_messages = {
        "invalid": "Not a valid date or date-time.",
        "range": f"Use a date between {MIN_YEAR} and {MAX_YEAR}.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            if len(value) == 10:
                result: dt.date = dt.date.fromisoformat(value)
            else:
                # A "+" in a query string arrives as a space.
                text = value.replace(" ", "+") if "T" in value else value
                result = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise self.make_error("range")
        return result


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """``{"items": [...], "total": n}`` around ``item_schema``."""
    return type(
        name,
        (ma.Schema,),
        {"items": fields.List(fields.Nested(item_schema)), "total": fields.Integer()},
    )


def paginate(stmt: sa.Select[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Run ``stmt`` for one page, with the total number of matches."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    items = db.session.scalars(stmt.limit(args["limit"]).offset(args["offset"])).unique().all()
    return {"items": list(items), "total": int(total or 0)}


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; routes may add extension members."""

    class Meta:
        unknown = ma.INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    conflicts = fields.List(fields.Dict())
