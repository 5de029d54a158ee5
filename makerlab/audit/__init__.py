"""The single audit mechanism: a session hook that records every write.

Models listed in ``AUDITED`` get one ``AuditEntry`` per insert, update and
delete, with before/after values of changed columns. The acting user is read
from ``session.info["actor_id"]``, set at the edge (login, token, CLI).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from makerlab import clock
from makerlab.audit.models import AuditEntry

SECRET_FIELDS = frozenset({"password_hash", "token_hash", "token_nonce", "secret_hash"})
_AUDITED: dict[type, str] = {}


def audited(cls: type) -> type:
    """Class decorator: record every write to this model."""
    _AUDITED[cls] = cls.__tablename__  # type: ignore[attr-defined]
    return cls


def set_actor(session: Any, user: Any) -> None:
    """Name who is acting for the writes in this session."""
    session.info["actor_id"] = getattr(user, "id", None)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict | list):
        return value
    return str(value)


def _shown(key: str, value: Any) -> Any:
    return "***" if key in SECRET_FIELDS and value is not None else _plain(value)


def _column_keys(obj: Any) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _changes(obj: Any, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for key in _column_keys(obj):
        if key in ("created_at", "updated_at", "class_key"):  # class_key: class_name again
            continue
        if action == "create":
            value = getattr(obj, key)
            if value is not None and value != []:  # an empty list (attention) says nothing
                out[key] = [None, _shown(key, value)]
        elif action == "delete":
            out[key] = [_shown(key, state.attrs[key].loaded_value), None]
        else:
            hist = state.attrs[key].history
            if hist.has_changes():
                before = hist.deleted[0] if hist.deleted else None
                after = hist.added[0] if hist.added else None
                if before != after:
                    out[key] = [_shown(key, before), _shown(key, after)]
    return out


def install(session_class: Any) -> None:
    """Attach the hook to every session of ``session_class``."""

    @event.listens_for(session_class, "after_flush")
    def _record(session: Session, _ctx: Any) -> None:
        rows = []
        now = clock.now()
        actor_id = session.info.get("actor_id")
        for action, objects in (
            ("create", session.new),
            ("update", session.dirty),
            ("delete", session.deleted),
        ):
            for obj in objects:
                entity = _AUDITED.get(type(obj))
                if entity is None:
                    continue
                if action == "update" and not session.is_modified(obj, include_collections=False):
                    continue
                changes = _changes(obj, action)
                if action == "update" and not changes:
                    continue
                rows.append(
                    {
                        "at": now,
                        "actor_id": actor_id,
                        "action": action,
                        "entity": entity,
                        "entity_id": inspect(obj).mapper.primary_key_from_instance(obj)[0],
                        "changes": changes,
                    }
                )
        if rows:
            session.connection().execute(sa.insert(AuditEntry), rows)
