"""Answers of the busiest read routes, kept in each process until the data changes.

The week calendar, availability and the weekly report are read far more
often than bookings change, and building them is most of the app's work.
The database counts its own changes: triggers on every table those answers
read (migration 0002) add one to the single row of ``data_generation`` in
the transaction that changes the data. An answer is stored under the
generation read *before* its data, so it is never kept under a generation
newer than what it was built from; the first request after a change, in any
process, builds afresh.

What else an answer depends on (the language, the role, the minute for
"overdue") must be part of its key. Set ``READ_CACHE_SIZE`` to 0 to switch
the cache off.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, current_app, g

from makerlab.extensions import db
from makerlab.generation import GENERATION_ROW, WATCHED_TABLES, DataGeneration

T = TypeVar("T")
__all__ = ["WATCHED_TABLES", "DataGeneration", "cached", "generation", "json_response", "pinned"]

_GENERATION = sa.select(DataGeneration.value).where(DataGeneration.id == GENERATION_ROW)


def generation() -> int | None:
    """The current generation, or None when the row is missing (nothing is cached then)."""
    return db.session.scalar(_GENERATION)


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


def pinned(view: Callable[..., T]) -> Callable[..., T]:
    """Read the generation before the view reads anything else.

    Put it outside decorators that load rows (``resolve``): everything the
    answer is built from must be at least as new as the generation it is kept
    under.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        if _size() > 0:
            g.makerlab_generation = generation()
        return view(*args, **kwargs)

    return wrapper


def cached(kind: str, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """``build()``, or what it returned for the same ``kind`` and ``key`` at this generation.

    The view must be wrapped in ``pinned``. The value is shared between
    requests and threads: callers must not change it (strings are best).
    """
    store = _store(kind)
    current = g.get("makerlab_generation") if store is not None else None
    if store is None or current is None:
        return build()
    full_key = (current, *key)
    value = store.get(full_key)
    if value is _MISSING:
        value = build()
        store.put(full_key, value)
    return value  # type: ignore[no-any-return]


def json_response(
    kind: str, key: tuple[Hashable, ...], schema: Any, build: Callable[[], Any]
) -> Response:
    """A JSON answer: ``build()`` dumped with ``schema``, the text kept as by ``cached``.

    Returned from a Flask-Smorest view, the response passes through as it is;
    ``@blp.response`` with the same schema still documents it.
    """
    body = cached(kind, key, lambda: current_app.json.dumps(schema.dump(build())))
    return current_app.response_class(f"{body}\n", mimetype="application/json")
