"""The audit log page: who changed what, when (admins only)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request

from makerlab import clock
from makerlab.audit import _AUDITED
from makerlab.audit.models import AuditEntry
from makerlab.audit.presenter import ENTITY_FILTER_LABELS, present
from makerlab.auth.models import User
from makerlab.extensions import db
from makerlab.pages import permission_required

bp = Blueprint("audit", __name__)
PAGE_SIZE = 50


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _int_arg(name: str, default: int = 0) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


def audit_query(
    entity: str | None,
    entity_id: int | None,
    actor_id: int | None,
    day_from: dt.date | None,
    day_to: dt.date | None,
) -> sa.Select[AuditEntry, str, str]:
    """Entries matching the filters (dates are site-local, ``day_to`` inclusive), newest first."""
    tz = current_app.config["TIMEZONE"]
    stmt = (
        sa.select(AuditEntry, User.email, User.name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if day_from:
        stmt = stmt.where(AuditEntry.at >= clock.local_midnight(day_from, tz))
    if day_to:
        stmt = stmt.where(AuditEntry.at < clock.local_day_end(day_to, tz))
    return stmt


@bp.route("/audit")
@permission_required("audit.view")
def index() -> Any:
    """Filter by entity, actor and date; each entry as a sentence in local time; paged."""
    entity = request.args.get("entity") or None
    entities = sorted(set(_AUDITED.values()))
    if entity not in entities:
        entity = None
    entity_id = _int_arg("entity_id") or None
    actor_id = _int_arg("actor_id") or None
    day_from, day_to = _date_arg("from"), _date_arg("to")
    stmt = audit_query(entity, entity_id, actor_id, day_from, day_to)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    page = max(1, _int_arg("page", 1))
    rows = db.session.execute(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    actors = db.session.execute(
        sa.select(User.id, User.email, User.name).order_by(User.name, User.email)
    ).all()
    return render_template(
        "audit/index.html",
        entries=present(rows),
        total=total or 0,
        page=page,
        pages=max(1, math.ceil((total or 0) / PAGE_SIZE)),
        entities=[(e, ENTITY_FILTER_LABELS.get(e, e)) for e in entities],
        actors=actors,
        filters={
            "entity": entity or "",
            "entity_id": entity_id or "",
            "actor_id": actor_id or 0,
            "from": day_from.isoformat() if day_from else "",
            "to": day_to.isoformat() if day_to else "",
        },
    )
