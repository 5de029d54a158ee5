"""Scheduled job functions (``"makerlab.notifications.jobs:<name>"`` in the job table).

Each builds its own app context (the caller's app, else the one the scheduler
bound), so nothing but the function's name is stored in the job store.
Queueing jobs commit, then deliver what they queued.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from flask import Flask, current_app, has_app_context

from makerlab import clock
from makerlab.audit import set_actor
from makerlab.extensions import db
from makerlab.notifications import reminders
from makerlab.notifications.services import deliver_due
from makerlab.planning.impact import flag_lapsed_inductions

log = logging.getLogger(__name__)

_bound_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """The app jobs run in when the scheduler's threads call them."""
    global _bound_app
    _bound_app = app


def job_app() -> Flask:
    """The caller's app (``scheduler run-job``, tests), else the scheduler's."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    if _bound_app is None:
        raise RuntimeError("no app for scheduled jobs: call bind_app(app) first")
    return _bound_app


def _run(name: str, work: Callable[[dt.datetime], int | None], deliver: bool = True) -> int | None:
    with job_app().app_context():
        set_actor(db.session, None)
        try:
            result = work(clock.now())
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            raise
        if result:
            log.info("job %s: %s", name, result)
        if deliver:
            deliver_due()
        return result


def deliver_outbox() -> dict[str, int]:
    """Send what is due in the outbox."""
    with job_app().app_context():
        return deliver_due()


def booking_reminders() -> int | None:
    """Queue (and send) booking reminders 24 h ahead."""
    return _run("booking-reminders", reminders.queue_booking_reminders)


def session_reminders() -> int | None:
    """Queue (and send) session reminders with .ics 48 h ahead."""
    return _run("session-reminders", reminders.queue_session_reminders)


def overdue_kits() -> int | None:
    """Queue (and send) today's overdue-kit notices."""
    return _run("overdue-kits", reminders.queue_overdue_notices)


def induction_expiry() -> int | None:
    """Queue (and send) the notice of inductions expiring within 30 days."""
    return _run("induction-expiry", reminders.queue_induction_expiry_notices)


def induction_attention() -> int | None:
    """Flag future bookings whose participants' inductions lapsed; tell their bookers once."""
    return _run("induction-attention", flag_lapsed_inductions)


def weekly_report() -> int | None:
    """Queue (and send) last week's report to coordinators."""
    return _run("weekly-report", reminders.queue_weekly_report)


def retention_purge() -> int | None:
    """Erase participants past the retention period."""
    return _run("retention-purge", reminders.purge_retention, deliver=False)
