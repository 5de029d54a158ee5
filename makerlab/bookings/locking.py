"""Taking SQLite's write lock once per transaction, before a check-then-write.

``makerlab.db.begin_write`` ends any open transaction first, which would
commit the earlier work of a caller making several bookings in one
transaction. :func:`hold_write_lock` only does that when the transaction has
neither taken the lock nor written yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from makerlab.db import begin_write
from makerlab.extensions import db

_LOCKED_TX = "write_locked_tx"
_WROTE_TX = "wrote_tx"


@event.listens_for(Session, "after_flush")
def _note_write(session: Session, _flush_context: Any) -> None:
    # A SQLite transaction that has written holds the write lock already.
    session.info[_WROTE_TX] = session.get_transaction()


def hold_write_lock() -> None:
    """Make sure the current transaction holds SQLite's write lock (no-op on PostgreSQL).

    Safe to call repeatedly: a transaction that holds the lock, or has
    written already, is kept (not committed), so several bookings can be
    made in one transaction and rolled back together.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    tx = session.get_transaction()
    if tx is not None and tx in (session.info.get(_LOCKED_TX), session.info.get(_WROTE_TX)):
        return
    begin_write(session)
    session.info[_LOCKED_TX] = session.get_transaction()
