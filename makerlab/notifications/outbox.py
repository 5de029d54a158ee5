"""Queueing e-mail: the one way any part of the app sends a message.

A notification is written to the outbox inside the caller's transaction, so
it exists exactly when the change that caused it is committed. Its
``dedupe_key`` is unique: queueing the same message twice is a no-op.
Delivery (SMTP, retries) is the notifications domain's job.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from makerlab.extensions import db
from makerlab.notifications.models import Notification


def enqueue(
    *,
    dedupe_key: str,
    kind: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    locale: str = "de",
    attachments: list[dict[str, Any]] | None = None,
) -> Notification | None:
    """Add a message to the outbox unless one with ``dedupe_key`` exists.

    Returns the new notification, or None when it was queued before.
    """
    exists = db.session.scalar(
        sa.select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    )
    if exists is not None:
        return None
    # A savepoint keeps the caller's transaction alive if a concurrent
    # process queued the same key between our check and the insert.
    try:
        with db.session.begin_nested():
            note = Notification(
                dedupe_key=dedupe_key,
                kind=kind,
                to_address=to,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                locale=locale,
                attachments=attachments or [],
            )
            db.session.add(note)
    except sa.exc.IntegrityError:
        return None
    return note
