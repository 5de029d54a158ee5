"""Outbox delivery over real SMTP: exactly once, retries, nothing lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

import sqlalchemy as sa
from flask import Flask

from makerlab import clock
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.notifications.services import deliver_due
from tests.notifications.helpers import SmtpServer, queue_plain

UTC = dt.UTC
T0 = dt.datetime(2027, 3, 10, 8, 0, tzinfo=UTC)


def _notes() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_delivery_sends_multipart_mail_once_and_marks_it_sent(app: Flask, smtp: SmtpServer) -> None:
    from makerlab.notifications.outbox import enqueue

    clock.set_frozen(T0)
    enqueue(dedupe_key="k1", kind="test", to="anna@example.org", subject="Grüße aus der Werkstatt",
            body_text="Hallo Anna", body_html="<p>Hallo <b>Anna</b></p>", locale="de",
            attachments=[{"filename": "termin.ics", "mimetype": "text/calendar",
                          "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}])
    assert enqueue(dedupe_key="k1", kind="test", to="anna@example.org", subject="x",
                   body_text="x") is None  # same key: queued once
    db.session.commit()

    assert deliver_due() == {"sent": 1, "retried": 0, "failed": 0}
    assert deliver_due() == {"sent": 0, "retried": 0, "failed": 0}

    [msg] = smtp.sink.messages
    assert msg["Subject"] == "Grüße aus der Werkstatt"
    assert msg["To"] == "anna@example.org"
    assert msg["Content-Language"] == "de"
    assert msg.get_body(("plain",)).get_content().strip() == "Hallo Anna"
    assert "<b>Anna</b>" in msg.get_body(("html",)).get_content()
    [ics] = list(msg.iter_attachments())
    assert ics.get_filename() == "termin.ics"
    assert ics.get_content_type() == "text/calendar"
    [note] = _notes()
    assert (note.status, note.attempts, note.sent_at) == ("sent", 1, T0)


def test_mail_server_down_retries_with_backoff_then_fails(app: Flask, smtp: SmtpServer) -> None:
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    clock.set_frozen(T0)
    smtp.stop()
    queue_plain(1)

    assert deliver_due() == {"sent": 0, "retried": 1, "failed": 0}
    [note] = _notes()
    assert note.status == "pending" and note.attempts == 1
    assert note.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert "Connection refused" in (note.last_error or "")
    assert deliver_due() == {"sent": 0, "retried": 0, "failed": 0}  # not due yet

    clock.set_frozen(T0 + dt.timedelta(minutes=1))
    assert deliver_due()["retried"] == 1
    [note] = _notes()
    assert note.next_attempt_at == T0 + dt.timedelta(minutes=3)  # 2 minutes later: doubled

    clock.set_frozen(T0 + dt.timedelta(minutes=3))
    assert deliver_due() == {"sent": 0, "retried": 0, "failed": 1}
    [note] = _notes()
    assert (note.status, note.attempts) == ("failed", 3)

    # A coordinator puts it back; the server is up again; it goes out once.
    from makerlab.notifications.services import resend

    resend(None, note)
    db.session.commit()
    smtp.start()
    assert deliver_due()["sent"] == 1
    assert smtp.sink.subjects() == ["test message 0"]


def test_permanent_refusal_fails_at_once(app: Flask, smtp: SmtpServer) -> None:
    clock.set_frozen(T0)
    smtp.sink.refuse.add("person0@example.org")
    queue_plain(2)
    assert deliver_due() == {"sent": 1, "retried": 0, "failed": 1}
    first, second = _notes()
    assert first.status == "failed" and "550" in (first.last_error or "")
    assert second.status == "sent"


def test_server_stopped_during_delivery_loses_and_duplicates_nothing(
    app: Flask, smtp: SmtpServer
) -> None:
    """The server dies while receiving the 3rd of 6 messages, then comes back."""
    clock.set_frozen(T0)
    queue_plain(6)
    third_arriving = threading.Event()
    hold = threading.Event()

    async def on_data(already: int) -> None:
        if already == 2:
            third_arriving.set()
            while not hold.is_set():
                await asyncio.sleep(0.02)

    smtp.sink.on_data = on_data
    results: list[dict[str, int]] = []

    def worker() -> None:
        with app.app_context():
            results.append(deliver_due())

    thread = threading.Thread(target=worker)
    thread.start()
    assert third_arriving.wait(10)
    smtp.stop()  # connection dropped before the 3rd message was accepted
    hold.set()
    thread.join(20)
    # The 3rd failed mid-message, the 4th found no server; the rest were left alone.
    assert results == [{"sent": 2, "retried": 2, "failed": 0}]
    assert sorted(n.attempts for n in _notes()) == [0, 0, 1, 1, 1, 1]

    smtp.sink.on_data = None
    smtp.start()
    clock.set_frozen(T0 + dt.timedelta(minutes=5))
    assert deliver_due() == {"sent": 4, "retried": 0, "failed": 0}
    assert sorted(smtp.sink.subjects()) == [f"test message {i}" for i in range(6)]
    assert [n.status for n in _notes()] == ["sent"] * 6
    assert deliver_due()["sent"] == 0


def test_two_workers_at_once_send_each_message_once(app: Flask, smtp: SmtpServer) -> None:
    queue_plain(30)
    start = threading.Barrier(3)
    results: list[dict[str, int]] = []

    def worker() -> None:
        with app.app_context():
            start.wait()
            results.append(deliver_due())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r["sent"] for r in results) == 30
    subjects = smtp.sink.subjects()
    assert len(subjects) == 30 and len(set(subjects)) == 30
    notes = _notes()
    assert all(n.status == "sent" and n.attempts == 1 for n in notes)


def test_interrupted_send_is_retried_after_its_claim_expires(app: Flask, smtp: SmtpServer) -> None:
    """A sender that died after claiming leaves the message for the next run."""
    from makerlab.notifications import services

    clock.set_frozen(T0)
    queue_plain(1)
    claimed = services._claim_next(None)  # claim, then "die" before sending
    assert isinstance(claimed, Notification)
    db.session.rollback()
    assert deliver_due()["sent"] == 0  # still claimed
    clock.set_frozen(T0 + services.claim_lease() + dt.timedelta(seconds=1))
    assert deliver_due()["sent"] == 1
    [note] = _notes()
    assert note.attempts == 2
    assert len(smtp.sink.messages) == 1


def test_send_command_prints_counts(app: Flask, smtp: SmtpServer, runner: Any) -> None:
    queue_plain(3)
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 3, retried 0, failed 0" in result.output
    assert len(smtp.sink.messages) == 3


def test_a_message_that_cannot_be_built_fails_without_stopping_the_others(
    app: Flask, smtp: SmtpServer
) -> None:
    from makerlab.notifications.outbox import enqueue

    enqueue(dedupe_key="broken", kind="test", to="a@example.org", subject="broken",
            body_text="x", attachments=[{"filename": "r.pdf", "mimetype": "application/pdf",
                                         "encoding": "base64", "content": "%%% not base64"}])
    queue_plain(1)
    assert deliver_due() == {"sent": 1, "retried": 0, "failed": 1}
    broken, fine = _notes()
    assert broken.status == "failed" and "Error" in (broken.last_error or "")
    assert fine.status == "sent"


def test_two_send_processes_at_once_send_each_message_once(
    app: Flask, smtp: SmtpServer, database_uri: str, tmp_path: Any
) -> None:
    """Two ``notifications send`` cron runs overlapping: every message goes out once."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    queue_plain(40)
    env = {**os.environ, "MAKERLAB_SQLALCHEMY_DATABASE_URI": database_uri,
           "MAKERLAB_SECRET_KEY": "test-secret-key", "MAKERLAB_MAIL_SERVER": "127.0.0.1",
           "MAKERLAB_MAIL_PORT": str(smtp.port)}
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "notifications", "send"],
                         cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    sent = [int(out.split("sent ", 1)[1].split(",", 1)[0]) for out in outputs]
    assert sum(sent) == 40
    subjects = smtp.sink.subjects()
    assert len(subjects) == 40 and len(set(subjects)) == 40
    assert all(n.status == "sent" and n.attempts == 1 for n in _notes())
