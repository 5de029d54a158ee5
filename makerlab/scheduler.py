"""The job table and the scheduler process.

``flask --app wsgi scheduler run`` runs :class:`SchedulerRunner` with a
``BlockingScheduler``; ``make run`` embeds the same runner with a
``BackgroundScheduler`` in the development server (``SCHEDULER_EMBEDDED``).
Jobs live in the app's database (``apscheduler_jobs``) and are referenced as
``"module:function"`` with plain arguments, so nothing unpicklable is stored.

Only one scheduler runs jobs at a time: it must hold a lock the database
enforces (PostgreSQL: a session-level advisory lock; SQLite: a lease row in
``scheduler_leases``, renewed while it runs). A second process started by
mistake waits and takes over when the first one dies. The outbox's unique
keys and delivery claims keep even an overlap from sending anything twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app, has_app_context

from makerlab import clock

log = logging.getLogger("makerlab.scheduler")

JOBSTORE_TABLE = "apscheduler_jobs"
LOCK_NAME = "scheduler"
# pg_try_advisory_lock key: "MKLB" as a 32-bit integer.
ADVISORY_KEY = 0x4D4B4C42
HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: a stable id, a function reference and when it runs.

    Interval jobs also run once whenever a scheduler takes the lock (they are
    idempotent, and a new leader should not wait for the old one's timers);
    cron jobs keep their stored schedule, so a run missed during downtime is
    caught up once within ``misfire_grace_time``.
    """

    id: str
    func: str
    trigger: str  # "interval" | "cron"
    schedule: dict[str, Any]
    misfire_grace_time: int
    description: str = ""
    args: tuple[Any, ...] = field(default=())


JOBS: tuple[JobSpec, ...] = (
    JobSpec("deliver-outbox", "makerlab.notifications.jobs:deliver_outbox", "interval",
            {"minutes": 1}, HOUR, "Send due e-mails from the outbox"),
    JobSpec("booking-reminders", "makerlab.notifications.jobs:booking_reminders", "interval",
            {"minutes": 5}, HOUR, "Remind bookers 24 h before their booking"),
    JobSpec("session-reminders", "makerlab.notifications.jobs:session_reminders", "interval",
            {"minutes": 15}, HOUR, "Remind class contacts 48 h before a session"),
    JobSpec("overdue-kits", "makerlab.notifications.jobs:overdue_kits", "interval",
            {"minutes": 30}, HOUR, "Tell bookers and coordinators about overdue kits (daily)"),
    JobSpec("weekly-report", "makerlab.notifications.jobs:weekly_report", "cron",
            {"day_of_week": "mon", "hour": 7, "minute": 0}, 6 * DAY,
            "Weekly usage report to coordinators, Monday 07:00 site time"),
    JobSpec("retention-purge", "makerlab.notifications.jobs:retention_purge", "cron",
            {"hour": 3, "minute": 30}, DAY, "Erase participants inactive beyond retention"),
)

_bound_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """The app whose context scheduled jobs run in (this process's scheduler app)."""
    global _bound_app
    _bound_app = app


def job_app() -> Flask:
    """The app a job runs in: the caller's, the scheduler's, or a fresh one."""
    global _bound_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    if _bound_app is None:
        from makerlab import create_app

        _bound_app = create_app()
    return _bound_app


def wall_clock() -> dt.datetime:
    """APScheduler schedules on the real clock, so job start times use it too."""
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)


def make_trigger(spec: JobSpec, tz: ZoneInfo) -> IntervalTrigger | CronTrigger:
    if spec.trigger == "interval":
        return IntervalTrigger(timezone=tz, **spec.schedule)
    if spec.trigger == "cron":
        return CronTrigger(timezone=tz, **spec.schedule)
    raise ValueError(f"unknown trigger {spec.trigger!r} for job {spec.id}")


def _signature(func: str, args: tuple[Any, ...], trigger: Any) -> tuple[str, ...]:
    return (func, repr(tuple(args)), type(trigger).__name__, str(trigger), str(trigger.timezone))


def _engine(app: Flask) -> sa.Engine:
    from makerlab.extensions import db

    with app.app_context():
        return db.engine


class AppJobStore(SQLAlchemyJobStore):
    """The job store on the app's own engine (WAL, busy timeout), which it must not dispose."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine=engine, tablename=JOBSTORE_TABLE)

    def shutdown(self) -> None:
        """The engine belongs to the app: leave its pool alone."""


class _StopSafe(BaseScheduler):
    """APScheduler 3 runs one more round of due jobs after ``shutdown()``.

    Their executor is gone by then, so they are logged as errors and moved to
    their next run time: missed without a trace. This mix-in skips that round
    and lets a round in progress finish before stopping.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()  # type: ignore[no-any-return]

    def shutdown(self, wait: bool = True) -> None:
        with self._jobstores_lock:
            super().shutdown(wait)


_safe_classes: dict[type[BaseScheduler], type[BaseScheduler]] = {}


def _stop_safe(scheduler_class: type[BaseScheduler]) -> type[BaseScheduler]:
    if issubclass(scheduler_class, _StopSafe):
        return scheduler_class
    if scheduler_class not in _safe_classes:
        _safe_classes[scheduler_class] = type(
            f"StopSafe{scheduler_class.__name__}", (_StopSafe, scheduler_class), {}
        )
    return _safe_classes[scheduler_class]


def build_scheduler(
    app: Flask,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    jobs: tuple[JobSpec, ...] | None = None,
) -> BaseScheduler:
    """A scheduler with the job table installed in the app's database (not started)."""
    bind_app(app)
    engine = _engine(app)
    tz = ZoneInfo(str(app.config["TIMEZONE"]))
    scheduler = _stop_safe(scheduler_class)(
        jobstores={
            "default": AppJobStore(engine),
            "local": MemoryJobStore(),
        },
        # The lease renewal has a thread of its own, so long jobs cannot starve it.
        executors={"default": ThreadPoolExecutor(4), "lease": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=tz,
    )
    install_jobs(scheduler, engine, tz, JOBS if jobs is None else jobs)
    return scheduler


def install_jobs(
    scheduler: BaseScheduler, engine: sa.Engine, tz: ZoneInfo, jobs: tuple[JobSpec, ...]
) -> None:
    """Put the job table into the store, keeping unchanged cron jobs' stored schedule.

    ``replace_existing=True`` alone would reset every next run time to the
    future and silently skip a run missed while the scheduler was down.
    """
    store = AppJobStore(engine)
    _create_table(store, engine)
    store.start(scheduler, "default")
    stored: dict[str, Job] = {job.id: job for job in store.get_all_jobs()}
    wanted = {spec.id for spec in jobs}
    for job_id in stored.keys() - wanted:
        log.info("removing job %s: no longer in the job table", job_id)
        store.remove_job(job_id)
    store.shutdown()
    now = wall_clock()
    for spec in jobs:
        trigger = make_trigger(spec, tz)
        options: dict[str, Any] = {}
        old = stored.get(spec.id)
        if spec.trigger == "interval":
            options["next_run_time"] = now
        elif old is not None and _signature(old.func_ref, tuple(old.args), old.trigger) == (
            _signature(spec.func, spec.args, trigger)
        ):
            options["next_run_time"] = old.next_run_time
        scheduler.add_job(
            spec.func,
            trigger,
            args=list(spec.args),
            id=spec.id,
            name=spec.description or spec.id,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=spec.misfire_grace_time,
            max_instances=1,
            jobstore="default",
            **options,
        )


def _create_table(store: AppJobStore, engine: sa.Engine) -> None:
    """Create ``apscheduler_jobs`` holding the write lock (SQLite cannot upgrade a reader)."""
    from makerlab.db import begin_write
    from makerlab.extensions import db

    app = job_app()
    with app.app_context():
        if db.engine is not engine:
            store.jobs_t.create(engine, checkfirst=True)
            return
        begin_write(db.session())
        store.jobs_t.create(db.session.connection(), checkfirst=True)
        db.session.commit()


class LeaderLock(Protocol):
    def acquire(self) -> bool: ...
    def renew(self) -> bool: ...
    def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL: a session-level advisory lock on a connection of its own.

    The lock lives as long as that connection: if the process dies, the server
    drops the connection and the lock with it.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
        self._conn: sa.Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.renew()
        try:
            conn = self._engine.connect()
        except sa.exc.DBAPIError:
            log.warning("database unreachable: cannot take the scheduler lock")
            return False
        try:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"),
                               {"key": ADVISORY_KEY}).scalar()
            conn.commit()
        except sa.exc.DBAPIError:
            conn.close()
            return False
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def renew(self) -> bool:
        """Still holding it? (The connection is alive.)"""
        if self._conn is None:
            return False
        try:
            self._conn.execute(sa.text("SELECT 1"))
            self._conn.commit()
        except sa.exc.DBAPIError:
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            self._conn.commit()
        except sa.exc.DBAPIError:
            pass
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._conn.close()
            self._conn = None


class LeaseLock:
    """SQLite: a lease row with an expiry, taken and renewed under the write lock."""

    def __init__(self, app: Flask, holder: str, ttl: float) -> None:
        self.app, self.holder, self.ttl = app, holder, ttl

    def acquire(self) -> bool:
        from makerlab.db import begin_write
        from makerlab.extensions import db
        from makerlab.notifications.models import SchedulerLease

        with self.app.app_context():
            try:
                begin_write(db.session())
                now = clock.now()
                lease = db.session.get(SchedulerLease, LOCK_NAME)
                if lease is None:
                    db.session.add(SchedulerLease(
                        name=LOCK_NAME, holder=self.holder,
                        expires_at=now + dt.timedelta(seconds=self.ttl),
                    ))
                elif lease.holder == self.holder or lease.expires_at <= now:
                    if lease.holder != self.holder:
                        log.warning("lease of %s expired at %s: taking over",
                                    lease.holder, lease.expires_at.isoformat())
                    lease.holder = self.holder
                    lease.expires_at = now + dt.timedelta(seconds=self.ttl)
                else:
                    db.session.rollback()
                    return False
                db.session.commit()
                return True
            except sa.exc.SQLAlchemyError:
                db.session.rollback()
                log.exception("could not take or renew the scheduler lease")
                return False

    renew = acquire

    def release(self) -> None:
        from makerlab.db import begin_write
        from makerlab.extensions import db
        from makerlab.notifications.models import SchedulerLease

        with self.app.app_context():
            try:
                begin_write(db.session())
                db.session.execute(sa.delete(SchedulerLease).where(
                    SchedulerLease.name == LOCK_NAME, SchedulerLease.holder == self.holder))
                db.session.commit()
            except sa.exc.SQLAlchemyError:
                db.session.rollback()


def leader_lock(app: Flask, holder: str) -> LeaderLock:
    """The right kind of lock for the app's database."""
    engine = _engine(app)
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    return LeaseLock(app, holder, float(app.config.get("SCHEDULER_LEASE_SECONDS", 60)))


class SchedulerRunner:
    """Wait for the lock, run the scheduler while holding it, step down if it is lost."""

    def __init__(self, app: Flask, scheduler_class: type[BaseScheduler] = BlockingScheduler,
                 jobs: tuple[JobSpec, ...] | None = None) -> None:
        self.app = app
        self.scheduler_class = scheduler_class
        self.jobs = jobs
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lock = leader_lock(app, self.holder)
        ttl = float(app.config.get("SCHEDULER_LEASE_SECONDS", 60))
        self.renew_every = max(ttl / 3, 0.2)
        self.poll_every = float(app.config.get("SCHEDULER_POLL_SECONDS", min(10.0, ttl / 2)))
        self.scheduler: BaseScheduler | None = None
        self._stop = threading.Event()
        self._lost = threading.Event()

    def run(self) -> None:
        """Block until :meth:`stop` (or Ctrl-C / SIGTERM)."""
        waiting_logged = False
        try:
            while not self._stop.is_set():
                if not self.lock.acquire():
                    if not waiting_logged:
                        log.info("another scheduler is running; %s waits as standby",
                                 self.holder)
                        waiting_logged = True
                    self._stop.wait(self.poll_every)
                    continue
                waiting_logged = False
                log.info("scheduler %s took the lock and runs the jobs", self.holder)
                try:
                    self._lead()
                except Exception:  # e.g. the database went away: keep the process alive
                    log.exception("scheduler %s failed; trying again", self.holder)
                    self._stop.wait(self.poll_every)
        finally:
            self.lock.release()

    def _lead(self) -> None:
        self._lost.clear()
        scheduler = build_scheduler(self.app, self.scheduler_class, self.jobs)
        scheduler.add_job(self._renew, "interval", seconds=self.renew_every, id="leader-lease",
                          jobstore="local", executor="lease", coalesce=True, max_instances=1,
                          misfire_grace_time=None)
        self.scheduler = scheduler
        if self._stop.is_set():  # stopped while the job table was being installed
            self.scheduler = None
            return
        try:
            scheduler.start()  # a BlockingScheduler returns only after shutdown
            while scheduler.running and not self._stop.is_set() and not self._lost.is_set():
                self._stop.wait(0.2)
        finally:
            self.scheduler = None
            _shutdown(scheduler, wait=True)
        if self._lost.is_set():
            log.warning("scheduler %s lost the lock; back to standby", self.holder)

    def _renew(self) -> None:
        if self._stop.is_set() or self.lock.renew():
            return
        self._lost.set()
        if self.scheduler is not None:
            _shutdown(self.scheduler, wait=False)

    def stop(self) -> None:
        """Ask the runner to finish (thread-safe)."""
        self._stop.set()
        scheduler = self.scheduler
        if scheduler is not None:
            _shutdown(scheduler, wait=False)


def _shutdown(scheduler: BaseScheduler, wait: bool) -> None:
    with contextlib.suppress(SchedulerNotRunningError):
        scheduler.shutdown(wait=wait)


def should_embed(app: Flask) -> bool:
    """Embed only in ``flask run``'s serving process, and only when switched on."""
    if not app.config.get("SCHEDULER_EMBEDDED") or app.config.get("PRODUCTION"):
        return False
    import click
    from flask.cli import get_debug_flag, run_command

    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.command is not run_command:
        return False
    # With the reloader on, the parent only watches files: the child serves.
    return os.environ.get("WERKZEUG_RUN_MAIN") == "true" or not get_debug_flag()


_embedded: SchedulerRunner | None = None


def start_embedded(app: Flask) -> SchedulerRunner | None:
    """Development: run the job table in a background thread of ``flask run``."""
    global _embedded
    if not should_embed(app) or _embedded is not None:
        return None
    runner = SchedulerRunner(app, BackgroundScheduler)
    thread = threading.Thread(target=runner.run, name="makerlab-scheduler", daemon=True)
    thread.start()
    _embedded = runner
    log.warning("development scheduler embedded in this server (SCHEDULER_EMBEDDED); "
                "in production run 'flask --app wsgi scheduler run' instead")
    import atexit

    atexit.register(runner.stop)
    return runner
