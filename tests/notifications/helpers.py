"""A real SMTP server on loopback and factories for what reminders are about."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from makerlab.extensions import db
from makerlab.notifications.jobs import bind_app
from tests.conftest import base_config, free_port

UTC = dt.UTC


class Sink:
    """aiosmtpd handler that keeps every accepted message (parsed)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.refuse: set[str] = set()
        self.on_data: Callable[[int], Any] | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_data is not None:
            result = self.on_data(len(self.messages))
            if asyncio.iscoroutine(result):
                await result
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def to(self) -> list[str]:
        return [str(m["To"]) for m in self.messages]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} mails, got {len(self.messages)}")
            time.sleep(0.05)
        return self.messages


class SmtpServer:
    """Start, stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sink = Sink()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app_config(database_uri: str, smtp: SmtpServer) -> dict[str, Any]:
    config = base_config(database_uri)
    config.update(
        {
            "MAIL_PORT": smtp.port,
            "MAIL_TIMEOUT": 5,
            "MAIL_DEFAULT_SENDER": "Passage 13 <makerlab@passage13.example>",
        }
    )
    return config


@pytest.fixture
def job_app(app: Flask) -> Flask:
    """Scheduled job functions run in this app (as in the scheduler process)."""
    bind_app(app)
    return app


@pytest.fixture
def make_booking(app: Flask, make_unit: Callable[..., Any]) -> Callable[..., Any]:
    from makerlab.bookings.models import Booking

    def make(user: Any, starts_at: dt.datetime, hours: float = 2, **overrides: Any) -> Booking:
        unit = overrides.pop("equipment", None) or make_unit()
        ends_at = starts_at + dt.timedelta(hours=hours)
        values: dict[str, Any] = {
            "equipment_id": unit.id,
            "booked_by_id": user.id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "blocked_until": ends_at,
            "purpose": "Projektwoche",
        }
        values.update(overrides)
        booking = Booking(**values)
        db.session.add(booking)
        db.session.commit()
        return booking

    return make


def queue_plain(n: int, prefix: str = "test") -> None:
    """Put ``n`` ready-to-send messages in the outbox and commit."""
    from makerlab.notifications.outbox import enqueue

    for i in range(n):
        enqueue(
            dedupe_key=f"{prefix}:{i}",
            kind="test",
            to=f"person{i}@example.org",
            subject=f"{prefix} message {i}",
            body_text=f"Body {i}",
        )
    db.session.commit()
