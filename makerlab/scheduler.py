"""The job table and the scheduler process.

``flask --app wsgi scheduler run`` calls :func:`run`; ``make run`` runs the
same loop in a thread of the development server (``SCHEDULER_EMBEDDED``).
APScheduler keeps the jobs in the app's database (``apscheduler_jobs``), so a
run missed while no scheduler was up is caught up within its misfire grace.

One lock picks the process that runs the jobs: a PostgreSQL advisory lock
held by a connection of its own, or on SQLite an OS lock on a file beside the
database. The server or the kernel drops it when its holder dies, so a second
process started by mistake waits as a standby and then takes over. Exactly
once does not rest on the lock: every mail has a unique ``dedupe_key`` and
each delivery is claimed first (``notifications/services.py``), so even an
overlap sends nothing twice.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask.cli import get_debug_flag, run_command

from makerlab.extensions import db
from makerlab.notifications import jobs

log = logging.getLogger("makerlab.scheduler")

HOUR = 3600
DAY = 24 * HOUR
ADVISORY_KEY = 0x4D4B4C42  # "MKLB"


@dataclass(frozen=True)
class JobSpec:
    """One job: a stable id, its function, and every ``minutes`` or a ``cron`` time (site time)."""

    id: str
    func: Callable[[], object]
    description: str
    misfire_grace_time: int  # seconds a run missed during downtime may still start late
    minutes: int = 0
    cron: dict[str, Any] | None = None

    def trigger(self, tz: ZoneInfo) -> IntervalTrigger | CronTrigger:
        if self.cron is not None:
            return CronTrigger(timezone=tz, **self.cron)
        return IntervalTrigger(minutes=self.minutes, timezone=tz)


JOBS: tuple[JobSpec, ...] = (
    JobSpec("deliver-outbox", jobs.deliver_outbox,
            "Send due e-mails from the outbox", HOUR, minutes=1),
    JobSpec("booking-reminders", jobs.booking_reminders,
            "Remind bookers 24 h before their booking", HOUR, minutes=5),
    JobSpec("session-reminders", jobs.session_reminders,
            "Remind class contacts 48 h before a session", HOUR, minutes=15),
    JobSpec("overdue-kits", jobs.overdue_kits,
            "Tell bookers and coordinators about overdue kits (daily)", HOUR, minutes=30),
    JobSpec("induction-expiry", jobs.induction_expiry,
            "Tell staff which inductions expire within 30 days (daily)", DAY,
            cron={"hour": 6, "minute": 30}),
    JobSpec("induction-attention", jobs.induction_attention,
            "Flag future bookings whose participants' inductions lapsed (daily)", DAY,
            cron={"hour": 5, "minute": 45}),
    JobSpec("weekly-report", jobs.weekly_report,
            "Weekly usage report to coordinators, Monday 07:00 site time", 6 * DAY,
            cron={"day_of_week": "mon", "hour": 7, "minute": 0}),
    JobSpec("retention-purge", jobs.retention_purge,
            "Erase participants inactive beyond retention", DAY,
            cron={"hour": 3, "minute": 30}),
)


def wall_clock() -> dt.datetime:
    """APScheduler runs on the real clock (tests freeze only the app's)."""
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)


def _paused_scheduler(app: Flask) -> BackgroundScheduler:
    """A started but paused scheduler on the job store in the app's database."""
    with app.app_context():
        engine = db.engine
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(str(app.config["TIMEZONE"])),
    )
    scheduler.start(paused=True)
    return scheduler


def start_scheduler(
    app: Flask, job_table: tuple[JobSpec, ...] = JOBS, paused: bool = False
) -> BackgroundScheduler:
    """A running scheduler whose stored jobs match ``job_table``."""
    jobs.bind_app(app)
    scheduler = _paused_scheduler(app)
    try:
        _install_jobs(scheduler, job_table)
    except BaseException:
        stop_scheduler(scheduler)
        raise
    if not paused:
        scheduler.resume()
    return scheduler


def _install_jobs(scheduler: BackgroundScheduler, job_table: tuple[JobSpec, ...]) -> None:
    """Make the stored jobs match the table, keeping unchanged cron jobs' next run.

    ``replace_existing`` alone would move a report missed during downtime into
    the future. Interval jobs run at once: they are idempotent, and a new
    leader need not wait for the old one's timers.
    """
    stored: dict[str, Job] = {job.id: job for job in scheduler.get_jobs()}
    for job_id in stored.keys() - {spec.id for spec in job_table}:
        log.info("removing job %s: no longer in the job table", job_id)
        scheduler.remove_job(job_id)
    now = wall_clock()
    for spec in job_table:
        trigger = spec.trigger(scheduler.timezone)
        old = stored.get(spec.id)
        if spec.cron is None:
            next_run = now
        elif old is not None and old.func == spec.func and repr(old.trigger) == repr(trigger):
            next_run = old.next_run_time
        else:
            next_run = trigger.get_next_fire_time(None, now)
        scheduler.add_job(spec.func, trigger, id=spec.id, name=spec.description,
                          misfire_grace_time=spec.misfire_grace_time, next_run_time=next_run,
                          replace_existing=True)


def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    """Stop once running jobs have finished; the stored schedule stays as it is.

    The store is detached first: after ``shutdown()`` APScheduler 3 makes one
    more pass over due jobs, with its executor gone, and would move them to
    their next run without running them. The app's engine stays open.
    """
    scheduler.remove_jobstore("default", shutdown=False)
    scheduler.shutdown(wait=True)


def stored_jobs(app: Flask) -> dict[str, Job]:
    """The jobs as stored in the database, without changing them."""
    scheduler = _paused_scheduler(app)
    try:
        return {job.id: job for job in scheduler.get_jobs()}
    finally:
        stop_scheduler(scheduler)


class AdvisoryLock:
    """PostgreSQL: a session advisory lock, held as long as its own connection lives."""

    def __init__(self, url: sa.URL) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
        self.conn: sa.Connection | None = None

    def acquire(self) -> bool:
        if self.held():
            return True
        try:
            self.conn = self.engine.connect()
            if not self.conn.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"),
                                    {"key": ADVISORY_KEY}):
                self.release()
        except sa.exc.DBAPIError:
            log.warning("database unreachable: cannot take the scheduler lock")
            self.release()
        return self.conn is not None

    def held(self) -> bool:
        """Still connected, so still holding it."""
        try:
            return self.conn is not None and self.conn.scalar(sa.text("SELECT 1")) == 1
        except sa.exc.DBAPIError:
            self.release()
            return False

    def release(self) -> None:
        """Unlock, then close the connection (closing alone drops the lock too, but only
        once the server has noticed, so another scheduler could find it still held)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):  # a dead connection holds nothing
                conn.scalar(sa.text("SELECT pg_advisory_unlock_all()"))
            with contextlib.suppress(sa.exc.DBAPIError):
                conn.close()


class FileLock:
    """SQLite: an exclusive ``flock`` on a file beside the database, dropped with the process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self.file is None:
            file = self.path.open("ab")
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.close()
                return False
            self.file = file
        return True

    def held(self) -> bool:
        return self.file is not None

    def release(self) -> None:
        if self.file is not None:
            self.file.close()  # closing the file drops the lock
            self.file = None


def leader_lock(app: Flask) -> AdvisoryLock | FileLock:
    """The lock that makes one process the scheduler, of the kind the database allows."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(url)
    database = url.database
    if not database or database == ":memory:":  # one process only; any file will do
        database = str(Path(app.instance_path, "memory"))
    return FileLock(Path(database + ".scheduler-lock"))


def run(app: Flask, stop: threading.Event) -> None:
    """Run the jobs while this process holds the lock, else wait as a standby; until ``stop``."""
    lock = leader_lock(app)
    poll = float(app.config["SCHEDULER_POLL_SECONDS"])
    me = f"{os.uname().nodename}:{os.getpid()}"
    said_standby = False
    try:
        while not stop.is_set():
            if lock.acquire():
                said_standby = False
                log.info("scheduler %s took the lock and runs the jobs", me)
                _lead(app, lock, stop, poll)
            elif not said_standby:
                log.info("another scheduler holds the lock; %s waits as standby", me)
                said_standby = True
            stop.wait(poll)
    finally:
        lock.release()


def _lead(app: Flask, lock: AdvisoryLock | FileLock, stop: threading.Event, poll: float) -> None:
    try:
        scheduler = start_scheduler(app)
    except Exception:  # e.g. the database went away: the caller tries again
        log.exception("could not start the jobs")
        return
    try:
        while not stop.wait(poll):
            if not lock.held():
                log.warning("scheduler lost the lock; back to standby")
                return
    finally:
        stop_scheduler(scheduler)


def should_embed(app: Flask) -> bool:
    """Embed only in ``flask run``'s serving process, and only when switched on."""
    if not app.config.get("SCHEDULER_EMBEDDED") or app.config.get("PRODUCTION"):
        return False
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.command is not run_command:
        return False
    # With the reloader on, the parent only watches files: the child serves.
    return os.environ.get("WERKZEUG_RUN_MAIN") == "true" or not get_debug_flag()


def start_embedded(app: Flask) -> None:
    """Development: run the scheduler loop in a background thread of ``flask run``."""
    if not should_embed(app):
        return
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(app, stop), name="makerlab-scheduler",
                              daemon=True)
    thread.start()
    atexit.register(_stop_embedded, stop, thread)
    log.warning("development scheduler embedded in this server (SCHEDULER_EMBEDDED); "
                "in production run 'flask --app wsgi scheduler run' instead")


def _stop_embedded(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    thread.join(timeout=10)
