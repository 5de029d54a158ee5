"""``flask --app wsgi notifications send`` and ``flask --app wsgi scheduler run``."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

notifications_group = AppGroup("notifications", help="The e-mail outbox.")
scheduler_group = AppGroup("scheduler", help="Reminders and other scheduled jobs.")


def _log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per job run (and per lease renewal) is noise; errors still show.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


@notifications_group.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Send at most this many messages.")
def send_command(limit: int) -> None:
    """Deliver the outbox once (for cron) and print what happened."""
    from makerlab.notifications.services import deliver_due, status_counts

    counts = deliver_due(limit=limit)
    left = status_counts()
    click.echo(
        f"sent {counts['sent']}, retried {counts['retried']}, failed {counts['failed']}"
        f" (outbox: {left['pending']} pending, {left['failed']} failed)"
    )


@scheduler_group.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground (one process per installation)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from makerlab.scheduler import SchedulerRunner

    _log_to_stderr()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = SchedulerRunner(app, BlockingScheduler)

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("makerlab.scheduler").info("signal %d: stopping", signum)
        runner.stop()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    click.echo(f"Scheduler {runner.holder} starting (Ctrl-C to stop).")
    runner.run()
    click.echo("Scheduler stopped.")


@scheduler_group.command("jobs")
def jobs_command() -> None:
    """List the job table and each job's next run."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from makerlab.extensions import db
    from makerlab.scheduler import JOBS, AppJobStore

    store = AppJobStore(db.engine)
    store.start(BackgroundScheduler(timezone=current_app.config["TIMEZONE"]), "default")
    stored = {job.id: job for job in store.get_all_jobs()}
    store.shutdown()
    for spec in JOBS:
        job = stored.get(spec.id)
        nxt = job.next_run_time.isoformat() if job and job.next_run_time else "-"
        click.echo(f"{spec.id:20} next {nxt:32} {spec.description}")


@scheduler_group.command("run-job")
@click.argument("job_id")
def run_job_command(job_id: str) -> None:
    """Run one job of the table now, in this process (for cron instead of the scheduler)."""
    import importlib

    from makerlab.scheduler import JOBS, bind_app

    specs = {spec.id: spec for spec in JOBS}
    spec = specs.get(job_id)
    if spec is None:
        click.echo(f"Unknown job {job_id!r}. Jobs: {', '.join(specs)}", err=True)
        raise SystemExit(2)
    bind_app(current_app._get_current_object())  # type: ignore[attr-defined]
    module_name, _sep, func_name = spec.func.partition(":")
    result = getattr(importlib.import_module(module_name), func_name)(*spec.args)
    click.echo(f"{job_id}: {result}")


commands = [notifications_group, scheduler_group]
