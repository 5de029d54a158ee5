"""Answers of the busiest read routes, kept in each process until their data changes.

The week calendar, availability and the weekly report are read far more
often than bookings change, and building them is most of the app's work.
The database counts its own changes (``makerlab.generation``, migration
0002): triggers raise counters per scope - ``total`` for any change,
``base`` for sites, closures, units and users, ``other`` for participants,
schools and workshops, ``week:<Monday>`` for the bookings, maintenance,
sessions and enrolments of a week, the same per unit and per category for
bookings and maintenance - in the transaction that makes the change. An
answer is kept under the sum of the counters of its scopes, read *before*
anything it is built from, so it is never kept under a generation newer
than its data, and the first request after a change, in any process, builds
afresh. A booking next month leaves this week's calendar alone, and a
booking of a printer leaves the laser cutters' availability alone.

What else an answer depends on (the language, the role, the minute for
"overdue") must be part of its key. ``READ_CACHE_SIZE = 0`` switches the
cache off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, current_app

from makerlab.extensions import db
from makerlab.generation import (
    BASE,
    OTHER,
    TOTAL,
    WATCHED_TABLES,
    DataGeneration,
    category_scopes,
    unit_scopes,
    week_scopes,
)

T = TypeVar("T")
__all__ = [
    "BASE",
    "OTHER",
    "TOTAL",
    "WATCHED_TABLES",
    "DataGeneration",
    "cached",
    "category_scopes",
    "generation",
    "json_response",
    "unit_scopes",
    "week_scopes",
]


_COUNTERS = sa.select(DataGeneration.scope, DataGeneration.value).where(
    DataGeneration.scope.in_(sa.bindparam("scopes", expanding=True))
)


def generation(scopes: Iterable[str]) -> int | None:
    """The sum of the scopes' counters, or None when the counters are missing (no caching).

    A scope that has never changed has no row yet and counts 0; the counters
    only grow, so the sum changes whenever one of them does. (A Core
    statement on the session's connection: half the cost of an ORM query,
    and it runs on every cached request.)
    """
    wanted = set(scopes)
    rows = dict(
        db.session.connection().execute(_COUNTERS, {"scopes": sorted(wanted | {TOTAL})}).all()
    )
    if TOTAL not in rows:
        return None
    return sum(rows.get(scope, 0) for scope in wanted)


class _Store:
    """A bounded, thread-safe LRU mapping for one kind of answer."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key, _MISSING)
            if value is not _MISSING:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_MISSING = object()


def _size() -> int:
    return int(current_app.config.get("READ_CACHE_SIZE", 0) or 0)


def _store(kind: str) -> _Store | None:
    size = _size()
    if size <= 0:
        return None
    stores: dict[str, _Store] = current_app.extensions.setdefault("makerlab_readcache", {})
    store = stores.get(kind)
    if store is None:
        store = stores.setdefault(kind, _Store(size))
    return store


def cached(
    kind: str, key: tuple[Hashable, ...], scopes: Iterable[str] | None, build: Callable[[], T]
) -> T:
    """``build()``, or what it returned for the same ``kind`` and ``key`` while the
    counters of ``scopes`` stood where they stand now.

    Call it before the view loads anything the answer is built from. Without
    ``scopes`` (a question too odd to key) it just builds. The value is shared
    between requests and threads: callers must not change it (strings are best).
    """
    store = _store(kind)
    wanted = list(scopes) if scopes is not None else None
    current = generation(wanted) if store is not None and wanted is not None else None
    if store is None or current is None:
        return build()
    full_key = (current, *key)
    value = store.get(full_key)
    if value is _MISSING:
        value = build()
        store.put(full_key, value)
    return value  # type: ignore[no-any-return]


def json_response(
    kind: str,
    key: tuple[Hashable, ...],
    scopes: Iterable[str] | None,
    schema: Any,
    build: Callable[[], Any],
) -> Response:
    """A JSON answer: ``build()`` dumped with ``schema``, the text kept as by ``cached``.

    Returned from a Flask-Smorest view, the response passes through as it is;
    ``@blp.response`` with the same schema still documents it.
    """
    body = cached(kind, key, scopes, lambda: current_app.json.dumps(schema.dump(build())))
    return current_app.response_class(f"{body}\n", mimetype="application/json")
