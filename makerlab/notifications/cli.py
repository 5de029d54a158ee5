"""``flask --app wsgi notifications send`` and ``flask --app wsgi scheduler run``."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from makerlab import scheduler
from makerlab.notifications.services import deliver_due, status_counts

notifications_group = AppGroup("notifications", help="The e-mail outbox.")
scheduler_group = AppGroup("scheduler", help="Reminders and other scheduled jobs.")


def _log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per job run is noise; errors still show.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


@notifications_group.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Send at most this many messages.")
def send_command(limit: int) -> None:
    """Deliver the outbox once (for cron) and print what happened."""
    counts = deliver_due(limit=limit)
    left = status_counts()
    click.echo(
        f"sent {counts['sent']}, retried {counts['retried']}, failed {counts['failed']}"
        f" (outbox: {left['pending']} pending, {left['failed']} failed)"
    )


@scheduler_group.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground (one process per installation)."""
    _log_to_stderr()
    stop = threading.Event()

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("makerlab.scheduler").info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    click.echo("Scheduler starting (Ctrl-C to stop).")
    scheduler.run(current_app._get_current_object(), stop)  # type: ignore[attr-defined]
    click.echo("Scheduler stopped.")


@scheduler_group.command("jobs")
def jobs_command() -> None:
    """List the job table and each job's next run."""
    stored = scheduler.stored_jobs(current_app._get_current_object())  # type: ignore[attr-defined]
    for spec in scheduler.JOBS:
        job = stored.get(spec.id)
        nxt = job.next_run_time.isoformat() if job and job.next_run_time else "-"
        click.echo(f"{spec.id:20} next {nxt:32} {spec.description}")


@scheduler_group.command("run-job")
@click.argument("job_id")
def run_job_command(job_id: str) -> None:
    """Run one job of the table now, in this process (for cron instead of the scheduler)."""
    specs = {spec.id: spec for spec in scheduler.JOBS}
    spec = specs.get(job_id)
    if spec is None:
        click.echo(f"Unknown job {job_id!r}. Jobs: {', '.join(specs)}", err=True)
        raise SystemExit(2)
    click.echo(f"{job_id}: {spec.func()}")


commands = [notifications_group, scheduler_group]
