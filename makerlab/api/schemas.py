"""Schema building blocks shared by every domain's API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
from flask import Response, current_app, g
from marshmallow import fields
from sqlalchemy.orm.util import identity_key

from makerlab import email_addresses
from makerlab.clock import FIRST_YEAR, LAST_YEAR
from makerlab.db import MAX_ID
from makerlab.enums import AttentionReason
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.planning.hits import detail_of
from makerlab.sites.models import Site

MAX_LIMIT = 500


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
    offset = fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31))


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class
    """A database id in a request: an integer the database can hold."""
    return fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


# Longer id lists are refused (422) before any query: nobody books 500 people
# at once, and PostgreSQL binds at most 65,535 parameters in one statement.
MAX_IDS = 500


def IdList(**kwargs: Any) -> fields.List:  # noqa: N802 - reads like a field class
    """A list of database ids in a request, at most ``MAX_IDS`` long."""
    return fields.List(
        Id(),
        validate=ma.validate.Length(max=MAX_IDS, error="At most {max} ids in one list."),
        **kwargs,
    )


def _request_map(name: str, stmt: Any) -> dict[Any, Any]:
    """A small id -> value map, loaded once per request/app context."""
    cache: dict[Any, Any] | None = g.get(name)
    if cache is None:
        cache = {row[0]: row[1] for row in db.session.execute(stmt)}
        setattr(g, name, cache)
    return cache


def _held(model: Any, ident: int | None, attr: str) -> Any:
    """``attr`` of the row the session holds loaded already, or None (nothing is read).

    A write answers with rows it has just loaded (its unit, its site): their
    values are at hand, and the whole-table maps below are for lists.
    """
    if ident is None:
        return None
    row = db.session.identity_map.get(identity_key(model, ident))
    return None if row is None else sa.inspect(row).dict.get(attr)


def site_timezone(site_id: int | None) -> str:
    """The time zone of a site (the configured default for no or unknown site)."""
    if site_id is None:
        return str(current_app.config["TIMEZONE"])
    held = _held(Site, site_id, "timezone")
    if held is not None:
        return str(held)
    zones = _request_map("_site_timezones", sa.select(Site.id, Site.timezone))
    return str(zones.get(site_id, current_app.config["TIMEZONE"]))


def unit_site_id(equipment_id: int | None) -> int | None:
    """The site of a unit (one query per request however many rows are shown)."""
    if equipment_id is None:
        return None
    held = _held(Equipment, equipment_id, "site_id")
    if held is not None:
        return int(held)
    sites = _request_map("_unit_sites", sa.select(Equipment.id, Equipment.site_id))
    return sites.get(equipment_id)


class Instant(fields.DateTime):
    """An instant: output in the owning site's local time with offset.

    Input keeps whatever offset it has; naive input stays naive here and is
    read in the site's zone by the service, which knows the site.
    """

    default_error_messages = {
        "range": f"Use a date between {FIRST_YEAR} and {LAST_YEAR}.",
    }

    def __init__(self, site_attr: str = "site_id", **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)
        self.site_attr = site_attr

    def site_id(self, obj: Any) -> int | None:
        return getattr(obj, self.site_attr, None) if self.site_attr else None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(ZoneInfo(site_timezone(self.site_id(obj)))).isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise self.make_error("range")
        return result


class Day(fields.Date):
    """A calendar date in a request, in the years every date keeps (``clock.year_problem``)."""

    default_error_messages = {
        "range": f"Use a date between {FIRST_YEAR} and {LAST_YEAR}.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise self.make_error("range")
        return result


class UnitInstant(Instant):
    """An instant shown in the time zone of the site of ``obj.equipment_id``."""

    def site_id(self, obj: Any) -> int | None:
        return unit_site_id(getattr(obj, "equipment_id", None))


class EmailAddress(fields.String):
    """An e-mail address, checked like every other one (``makerlab.email_addresses``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"format": "email"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        address = super()._deserialize(value, attr, data, **kwargs)
        problem = email_addresses.problem(address)
        if problem:
            raise ma.ValidationError(problem)
        return address


class DateOrInstant(fields.Field):
    """A date (meaning site-local midnight) or an ISO date-time."""

    default_error_messages = {
        "invalid": "Not a valid date or date-time.",
        "range": f"Use a date between {FIRST_YEAR} and {LAST_YEAR}.",
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
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise self.make_error("range")
        return result


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """``{"items": [...], "total": n}`` around ``item_schema``."""
    return type(
        name,
        (ma.Schema,),
        {"items": fields.List(fields.Nested(item_schema)), "total": fields.Integer()},
    )


def _total(stmt: sa.Select[*tuple[Any, ...]]) -> int:
    """How many rows ``stmt`` matches, whatever page is asked."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    return int(total or 0)


def paginate(stmt: sa.Select[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Run ``stmt`` for one page, with the total number of matches."""
    total = _total(stmt)
    items = db.session.scalars(stmt.limit(args["limit"]).offset(args["offset"])).unique().all()
    return {"items": list(items), "total": total}


def paginate_rows(
    stmt: sa.Select[*tuple[Any, ...]], args: dict[str, Any]
) -> tuple[list[sa.Row[*tuple[Any, ...]]], int]:
    """One page of a column select as plain rows, with the total number of matches."""
    rows = db.session.execute(stmt.limit(args["limit"]).offset(args["offset"])).all()
    return list(rows), _total(stmt)


def json_page(items: list[Any], total: int) -> Response:
    """``{"items", "total"}`` of items already in their JSON shape, dumped without a schema.

    Returned from a view, it passes ``@blp.response`` as it is (the schema
    there still documents it).
    """
    body = current_app.json.dumps({"items": items, "total": total})
    return current_app.response_class(f"{body}\n", mimetype="application/json")


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


class AttentionOut(Schema):
    """One ``attention`` entry: exactly ``reason`` and ``detail`` (SPEC), however it is stored."""

    reason = fields.String(metadata={"enum": [r.value for r in AttentionReason]})
    detail = fields.Function(
        detail_of,
        metadata={
            "type": "string",
            "description": "what exactly, in the request's language (German by default)",
        },
    )


class Attention(fields.List):
    """A booking's or session's ``attention``: why a change elsewhere makes it impossible."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata",
            {
                "description": "why a change elsewhere (a closure, maintenance, a withdrawn "
                "consent ...) makes this impossible; empty when all is well, cleared when "
                "it is moved, changed or cancelled"
            },
        )
        super().__init__(fields.Nested(AttentionOut), **kwargs)


class PreviewArgs(QuerySchema):
    """``?preview=true`` on a change that may hit bookings and sessions: say which, save nothing."""

    preview = fields.Boolean(
        load_default=False,
        metadata={"description": "answer 200 with what the change would hit; nothing is saved"},
    )


class AffectedOut(Schema):
    bookings = fields.List(fields.Integer(), metadata={"description": "booking ids"})
    sessions = fields.List(fields.Integer(), metadata={"description": "workshop session ids"})


class PreviewOut(Schema):
    affected = fields.Nested(AffectedOut)


class Affected(fields.Nested):
    """What a saved change hits: the future bookings and sessions now needing attention."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata",
            {"description": "future bookings and sessions this change makes impossible"},
        )
        super().__init__(AffectedOut, **kwargs)


def with_affected(obj: Any, affected: dict[str, list[int]]) -> Any:
    """``obj`` carrying ``affected`` for its schema's ``Affected`` field (not stored)."""
    obj.affected = affected
    return obj
