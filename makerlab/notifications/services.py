"""Outbox delivery: claim a due message, send it by SMTP, record the outcome.

Each message is claimed in a short transaction before it is sent: its
``attempts`` go up and ``next_attempt_at`` moves a lease ahead, so no other
worker picks it up meanwhile (PostgreSQL: ``FOR UPDATE SKIP LOCKED``;
SQLite: the database write lock). If the process dies while sending, the
lease runs out and the message is tried again: at least once, and never
twice while the sender is alive.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from makerlab import clock
from makerlab.auth.models import User
from makerlab.db import begin_write, is_postgres
from makerlab.enums import NotificationStatus
from makerlab.errors import Conflict, NotFound
from makerlab.extensions import db
from makerlab.notifications.mailer import (
    Mailer,
    PermanentFailure,
    ServerUnavailable,
    build_message,
    describe_error,
)
from makerlab.notifications.models import Notification

log = logging.getLogger(__name__)

PENDING = NotificationStatus.PENDING.value
SENT = NotificationStatus.SENT.value
FAILED = NotificationStatus.FAILED.value

BACKOFF_CAP = dt.timedelta(hours=6)
DEFAULT_LIMIT = 200


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1, 2, 4 ... minutes, capped."""
    base = float(current_app.config.get("OUTBOX_RETRY_BASE_SECONDS", 60))
    delay = dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_CAP)


def claim_lease() -> dt.timedelta:
    """How long a claimed message stays reserved for its sender."""
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    return dt.timedelta(seconds=max(300.0, 3 * timeout + 60))


def deliver_due(now: dt.datetime | None = None, limit: int = DEFAULT_LIMIT) -> dict[str, int]:
    """Send up to ``limit`` due messages; returns ``{"sent", "retried", "failed"}``.

    Commits its own short transactions, so call it after the transaction that
    queued the messages has been committed.
    """
    counts = {"sent": 0, "retried": 0, "failed": 0}
    db.session.commit()
    mailer = Mailer()
    try:
        for _i in range(limit):
            claimed = _claim_next(now)
            if claimed is None:
                break
            if isinstance(claimed, str):
                counts[claimed] += 1
                continue
            outcome, reachable = _attempt(mailer, claimed, now)
            counts[outcome] += 1
            if not reachable:
                # The rest stay due for the next run instead of each waiting
                # out a connection timeout and using up an attempt.
                break
    finally:
        mailer.close()
        db.session.rollback()
    if any(counts.values()):
        log.info("outbox: sent %(sent)d, retried %(retried)d, failed %(failed)d", counts)
    return counts


def _claim_next(now: dt.datetime | None) -> Notification | str | None:
    """Reserve the next due message for this worker (committed before sending)."""
    at = now or clock.now()
    begin_write(db.session())
    stmt = (
        sa.select(Notification)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= at)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(1)
    )
    if is_postgres(db.session):
        stmt = stmt.with_for_update(skip_locked=True)
    note = db.session.scalars(stmt).first()
    if note is None:
        db.session.commit()
        return None
    if note.attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"]):
        # Its last attempt was claimed and never finished (the sender died).
        note.status = FAILED
        note.last_error = note.last_error or "delivery interrupted"
        db.session.commit()
        return "failed"
    note.attempts += 1
    note.next_attempt_at = at + claim_lease()
    db.session.commit()
    return note


def _attempt(mailer: Mailer, note: Notification, now: dt.datetime | None) -> tuple[str, bool]:
    """Send one claimed message and record the outcome: (counter to bump, server reachable)."""
    note_id, attempts = note.id, note.attempts
    error: str | None = None
    permanent = False
    reachable = True
    try:
        message = build_message(note, mailer.sender)
        db.session.rollback()  # hold no transaction while talking to the mail server
        mailer.send_message(message)
    except PermanentFailure as exc:
        error, permanent = str(exc), True
    except ServerUnavailable as exc:
        error, reachable = str(exc), False
    except (smtplib.SMTPException, OSError) as exc:
        error = describe_error(exc)
    except Exception as exc:  # a message that cannot be built or encoded: trying again won't help
        log.exception("outbox: message %s cannot be sent", note_id)
        error, permanent = describe_error(exc), True
    db.session.rollback()
    at = now or clock.now()
    begin_write(db.session())
    stmt = sa.select(Notification).where(Notification.id == note_id)
    if is_postgres(db.session):
        stmt = stmt.with_for_update()
    row = db.session.scalars(stmt).one()
    if error is None:
        row.status = SENT
        row.sent_at = at
        outcome = "sent"
    else:
        row.last_error = error
        if permanent or attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"]):
            row.status = FAILED
            outcome = "failed"
            log.warning("outbox: giving up on %s to %s: %s", row.id, row.to_address, error)
        else:
            row.next_attempt_at = at + backoff(attempts)
            outcome = "retried"
            log.info("outbox: %s to %s failed (%s), retry at %s", row.id, row.to_address,
                     error, row.next_attempt_at.isoformat())
    db.session.commit()
    return outcome, reachable


def list_notifications(status: str | None = None) -> sa.Select[Notification]:
    """The outbox, newest first, optionally one status only."""
    stmt = sa.select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if status:
        stmt = stmt.where(Notification.status == status)
    return stmt


def status_counts() -> dict[str, int]:
    """How many messages the outbox holds per status."""
    rows = db.session.execute(
        sa.select(Notification.status, sa.func.count()).group_by(Notification.status)
    ).all()
    counts = {status.value: 0 for status in NotificationStatus}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def get_notification(actor: User, notification_id: int) -> Notification:
    """One outbox entry (404 if unknown)."""
    note = db.session.get(Notification, notification_id)
    if note is None:
        raise NotFound(_("No such message."))
    return note


def resend(actor: User, note: Notification) -> Notification:
    """Put a failed message back in the queue for a fresh round of attempts."""
    begin_write(db.session())
    db.session.refresh(note)
    if note.status != FAILED:
        raise Conflict(_("Only failed messages can be sent again."))
    note.status = PENDING
    note.attempts = 0
    note.next_attempt_at = clock.now()
    db.session.flush()
    return note
