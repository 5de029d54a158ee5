"""The scheduler: persistent job table, catch-up after downtime, one leader at a time."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from makerlab import clock
from makerlab.extensions import db
from makerlab.notifications import jobs
from makerlab.scheduler import (
    JOBS,
    AdvisoryLock,
    JobSpec,
    leader_lock,
    should_embed,
    start_scheduler,
    stop_scheduler,
    wall_clock,
)
from tests.notifications.helpers import SmtpServer, queue_plain

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")


def _next_monday_7(after: dt.datetime) -> dt.datetime:
    local = after.astimezone(BERLIN)
    day = local.date()
    while True:
        candidate = dt.datetime.combine(day, dt.time(7, 0), tzinfo=BERLIN)
        if candidate.weekday() == 0 and candidate > local:
            return candidate
        day += dt.timedelta(days=1)


def _paused(app: Flask, job_table: tuple[JobSpec, ...] = JOBS) -> BackgroundScheduler:
    return start_scheduler(app, job_table, paused=True)


def test_job_table_is_stored_in_the_database_and_survives_a_restart(app: Flask) -> None:
    scheduler = _paused(app)
    stored = {job.id: job for job in scheduler.get_jobs()}
    assert set(stored) == {spec.id for spec in JOBS}
    weekly = stored["weekly-report"]
    assert weekly.func_ref == "makerlab.notifications.jobs:weekly_report"
    assert weekly.func is jobs.weekly_report
    assert weekly.coalesce and weekly.misfire_grace_time == 6 * 24 * 3600
    assert weekly.next_run_time == _next_monday_7(wall_clock())
    assert str(weekly.trigger.timezone) == "Europe/Berlin"
    # Someone moves the next run (as an operator or a misfire would).
    moved = weekly.next_run_time + dt.timedelta(days=7)
    scheduler.modify_job("weekly-report", next_run_time=moved)
    stop_scheduler(scheduler)

    stored = db.session.scalar(sa.text("SELECT count(*) FROM apscheduler_jobs"))
    assert stored == len(JOBS)
    db.session.commit()

    again = _paused(app)  # a new process: the stored schedule is kept
    assert again.get_job("weekly-report").next_run_time == moved
    stop_scheduler(again)


def test_changed_or_removed_jobs_follow_the_job_table(app: Flask) -> None:
    extra = JobSpec("obsolete", jobs.deliver_outbox, "Obsolete", 60, minutes=60)
    changed = tuple(
        JobSpec(s.id, s.func, s.description, s.misfire_grace_time,
                cron={"day_of_week": "tue", "hour": 6, "minute": 0})
        if s.id == "weekly-report" else s
        for s in JOBS
    )
    first = _paused(app, (*changed, extra))
    assert first.get_job("obsolete") is not None
    assert first.get_job("weekly-report").next_run_time.weekday() == 1
    stop_scheduler(first)

    second = _paused(app)
    assert second.get_job("obsolete") is None
    assert second.get_job("weekly-report").next_run_time == _next_monday_7(wall_clock())
    stop_scheduler(second)


@pytest.fixture
def recorded_runs() -> list[JobExecutionEvent]:
    return []


def _wait(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_a_run_missed_during_downtime_runs_once_after_restart(
    app: Flask, smtp: SmtpServer, make_user: Callable[..., Any],
    recorded_runs: list[JobExecutionEvent],
) -> None:
    clock.set_frozen(dt.datetime(2027, 3, 15, 6, 0, tzinfo=dt.UTC))  # what the jobs see
    make_user("coordinator", locale="en")
    make_user("coordinator", locale="de")
    scheduler = _paused(app)
    real_now = wall_clock()
    # Down over Monday 07:00, and over three nights of retention purges.
    scheduler.modify_job("weekly-report", next_run_time=real_now - dt.timedelta(hours=2))
    scheduler.modify_job("retention-purge", next_run_time=real_now - dt.timedelta(days=3))
    stop_scheduler(scheduler)
    db.session.commit()

    restarted = _paused(app)
    restarted.add_listener(recorded_runs.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    restarted.resume()
    try:
        wanted = {"weekly-report", "retention-purge", "deliver-outbox", "booking-reminders",
                  "session-reminders", "overdue-kits"}
        try:
            _wait(lambda: wanted <= {e.job_id for e in recorded_runs})
        except AssertionError:
            raise AssertionError([(e.job_id, e.exception) for e in recorded_runs]) from None
        try:
            smtp.sink.wait_for(2)
        except AssertionError:
            raise AssertionError([(e.job_id, e.retval) for e in recorded_runs]) from None
        time.sleep(0.3)  # room for a wrong second run to show up
        weekly = restarted.get_job("weekly-report")
        purge = restarted.get_job("retention-purge")
    finally:
        stop_scheduler(restarted)
    ids = [e.job_id for e in recorded_runs]
    assert [e for e in recorded_runs if e.exception] == []
    assert ids.count("weekly-report") == 1
    assert ids.count("retention-purge") == 1  # three missed nights coalesced into one run
    assert weekly.next_run_time == _next_monday_7(wall_clock())
    assert purge.next_run_time > wall_clock()
    assert sorted(smtp.sink.subjects()) == ["Weekly usage report, week 10 of 2027",
                                            "Wöchentlicher Nutzungsbericht KW 10 / 2027"]


def test_the_lock_admits_one_scheduler_and_passes_on_when_it_goes(
    app: Flask, backend: str
) -> None:
    first, second = leader_lock(app), leader_lock(app)
    assert first.acquire() and first.acquire()  # taking it again is a no-op
    assert not second.acquire()
    assert first.held() and not second.held()
    first.release()  # a dead process's connection or file closes the same way
    assert second.acquire()
    assert not first.acquire()
    second.release()
    assert first.acquire()
    if backend == "postgresql":
        # The server ended the lock's connection (a restart, a timeout): the holder notices.
        assert isinstance(first, AdvisoryLock) and first.conn is not None
        pid = first.conn.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.commit()
        assert not first.held()
        assert second.acquire()
        second.release()
    first.release()


def test_a_stopped_scheduler_leaves_due_jobs_for_the_next_one(app: Flask) -> None:
    """Stopping must not skip a due run (APScheduler 3 makes a last pass after shutdown)."""
    scheduler = _paused(app)
    due = wall_clock() - dt.timedelta(minutes=5)
    scheduler.modify_job("weekly-report", next_run_time=due)
    stop_scheduler(scheduler)
    db.session.commit()
    again = _paused(app)
    assert again.get_job("weekly-report").next_run_time == due
    stop_scheduler(again)


def _env(database_uri: str, smtp: SmtpServer, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MAKERLAB_SQLALCHEMY_DATABASE_URI": database_uri,
        "MAKERLAB_SECRET_KEY": "test-secret-key",
        "MAKERLAB_MAIL_SERVER": "127.0.0.1",
        "MAKERLAB_MAIL_PORT": str(smtp.port),
        "MAKERLAB_SCHEDULER_POLL_SECONDS": "0.3",
        **extra,
    }


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _spawn(args: list[str], env: dict[str, str], log: Path,
           started: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    started.append(proc)
    return proc


def test_two_scheduler_processes_send_each_message_once_and_the_standby_takes_over(
    app: Flask, database_uri: str, smtp: SmtpServer, tmp_path: Path,
    make_user: Callable[..., Any], make_booking: Callable[..., Any],
    processes: list[subprocess.Popen[bytes]],
) -> None:
    user = make_user("youth_worker", locale="en")
    make_booking(user, clock.now() + dt.timedelta(hours=3))
    db.session.commit()
    env = _env(database_uri, smtp)
    logs = [tmp_path / "scheduler-a.log", tmp_path / "scheduler-b.log"]
    procs = [_spawn(["scheduler", "run"], env, log, processes) for log in logs]

    def roles() -> list[str]:
        texts = [log.read_text() if log.exists() else "" for log in logs]
        return ["leader" if "took the lock" in t else "standby" if "standby" in t else "?"
                for t in texts]

    _wait(lambda: sorted(roles()) == ["leader", "standby"], timeout=30)
    smtp.sink.wait_for(1)
    time.sleep(1.5)  # several lease renewals and standby polls later: still one mail
    assert len(smtp.sink.messages) == 1
    assert smtp.sink.messages[0]["To"] == user.email

    leader = procs[roles().index("leader")]
    standby_log = logs[roles().index("standby")]
    leader.send_signal(signal.SIGKILL)  # dies without releasing anything
    leader.wait(10)
    queue_plain(1, "after-takeover")
    smtp.sink.wait_for(2, timeout=30)
    assert "took the lock" in standby_log.read_text()
    time.sleep(0.5)
    assert sorted(smtp.sink.subjects())[1:] == ["after-takeover message 0"]
    assert len(smtp.sink.messages) == 2

    standby = procs[logs.index(standby_log)]
    standby.send_signal(signal.SIGTERM)
    assert standby.wait(20) == 0
    assert "Scheduler stopped." in standby_log.read_text()


def test_make_run_embeds_the_scheduler_in_the_development_server(
    app: Flask, database_uri: str, smtp: SmtpServer, tmp_path: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    from tests.conftest import free_port

    queue_plain(2, "dev")
    env = _env(database_uri, smtp, MAKERLAB_SCHEDULER_EMBEDDED="1")
    env.pop("FLASK_DEBUG", None)
    _spawn(["run", "--port", str(free_port())], env, tmp_path / "dev.log", processes)
    smtp.sink.wait_for(2, timeout=30)
    assert "development scheduler embedded" in (tmp_path / "dev.log").read_text()


def test_embedding_only_in_flask_runs_serving_process(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask.cli import run_command

    from makerlab.notifications.cli import scheduler_group

    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "0")
    assert not should_embed(app)  # switched off
    app.config["SCHEDULER_EMBEDDED"] = True
    assert not should_embed(app)  # not under `flask run` (gunicorn, tests)
    with click.Context(scheduler_group):
        assert not should_embed(app)
    with click.Context(run_command):
        assert should_embed(app)
        monkeypatch.setenv("FLASK_DEBUG", "1")
        assert not should_embed(app)  # the reloader's watcher process
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
        assert should_embed(app)  # the reloader's serving child
        app.config["PRODUCTION"] = True
        assert not should_embed(app)


def test_scheduler_jobs_command_lists_the_table(app: Flask, runner: Any) -> None:
    stop_scheduler(_paused(app))
    result = runner.invoke(args=["scheduler", "jobs"])
    assert result.exit_code == 0, result.output
    for spec in JOBS:
        assert spec.id in result.output
    weekly = next(line for line in result.output.splitlines() if "weekly-report" in line)
    assert _next_monday_7(wall_clock()).isoformat() in weekly


def test_run_job_command_runs_one_job_for_cron(
    app: Flask, smtp: SmtpServer, runner: Any, make_user: Callable[..., Any],
    make_booking: Callable[..., Any],
) -> None:
    user = make_user("youth_worker")
    make_booking(user, clock.now() + dt.timedelta(hours=2))
    result = runner.invoke(args=["scheduler", "run-job", "booking-reminders"])
    assert result.exit_code == 0, result.output
    assert "booking-reminders: 1" in result.output
    assert smtp.sink.to() == [user.email]
    unknown = runner.invoke(args=["scheduler", "run-job", "nope"])
    assert unknown.exit_code == 2 and "Unknown job" in unknown.output
