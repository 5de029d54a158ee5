"""The coordinators' outbox page and ``GET /api/v1/notifications``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from makerlab.extensions import db
from makerlab.notifications.models import Notification
from tests.notifications.helpers import queue_plain


def _fail(key: str, error: str = "ConnectionRefusedError: [Errno 111] Connection refused") -> None:
    note = db.session.scalars(sa.select(Notification).where(Notification.dedupe_key == key)).one()
    note.status, note.attempts, note.last_error = "failed", 8, error
    db.session.commit()


def test_outbox_page_lists_filters_and_resends_failed(
    app: Flask, client: Any, login_as: Callable[..., Any]
) -> None:
    queue_plain(3)
    _fail("test:1")
    sent = db.session.scalars(
        sa.select(Notification).where(Notification.dedupe_key == "test:2")).one()
    sent.status, sent.attempts, sent.sent_at = "sent", 1, sent.created_at
    db.session.commit()
    login_as("coordinator")

    page = client.get("/outbox")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "test message 0" in body and "test message 1" in body
    assert "Connection refused" in body
    assert body.count('action="/outbox/') == 1  # a re-send button for the failed one only

    failed = client.get("/outbox?status=failed").get_data(as_text=True)
    assert "test message 1" in failed and "test message 0" not in failed
    assert "test message 0" in client.get("/outbox?status=pending").get_data(as_text=True)
    assert "test message 2" in client.get("/outbox?status=sent").get_data(as_text=True)
    alias = client.get("/notifications?status=failed").get_data(as_text=True)
    assert "test message 1" in alias and "test message 0" not in alias

    note_id = db.session.scalar(
        sa.select(Notification.id).where(Notification.dedupe_key == "test:1"))
    response = client.post(f"/outbox/{note_id}/resend")
    assert response.status_code == 302
    db.session.expire_all()
    note = db.session.get(Notification, note_id)
    assert (note.status, note.attempts) == ("pending", 0)
    # Only failed ones: a second click changes nothing and says why.
    assert client.post(f"/outbox/{note_id}/resend").status_code == 302
    assert "Nur fehlgeschlagene" in client.get("/outbox").get_data(as_text=True)


def test_outbox_page_is_for_coordinators_and_admins(
    app: Flask, client: Any, login_as: Callable[..., Any]
) -> None:
    assert client.get("/outbox").status_code == 302  # to the login page
    login_as("youth_worker")
    assert client.get("/outbox").status_code == 403
    queue_plain(1)
    _fail("test:0")
    note_id = db.session.scalar(sa.select(Notification.id))
    assert client.post(f"/outbox/{note_id}/resend").status_code == 403
    assert db.session.get(Notification, note_id).status == "failed"


def test_api_lists_the_outbox_paginated_with_status_filter(
    app: Flask, api_as: Callable[..., Any]
) -> None:
    queue_plain(5)
    _fail("test:3", "SMTPDataError: (451, b'try later')")
    api = api_as("coordinator")

    everything = api.get("/api/v1/notifications?limit=2")
    assert everything.status_code == 200, everything.get_data(as_text=True)
    data = everything.get_json()
    assert data["total"] == 5 and len(data["items"]) == 2

    failed = api.get("/api/v1/notifications?status=failed").get_json()
    assert failed["total"] == 1
    [item] = failed["items"]
    assert item["dedupe_key"] == "test:3"
    assert item["status"] == "failed" and item["attempts"] == 8
    assert item["last_error"].startswith("SMTPDataError")
    assert item["to"] == "person3@example.org"
    assert item["next_attempt_at"].endswith(("+01:00", "+02:00"))  # site time with offset

    assert api.get("/api/v1/notifications?status=lost").status_code == 422
    resent = api.post(f"/api/v1/notifications/{item['id']}/resend")
    assert resent.status_code == 200 and resent.get_json()["status"] == "pending"
    assert api.post(f"/api/v1/notifications/{item['id']}/resend").status_code == 409
    assert api.get("/api/v1/notifications/99999").status_code == 404
    assert api_as("admin").get("/api/v1/notifications").status_code == 200


def test_api_refuses_other_roles(app: Flask, api_as: Callable[..., Any]) -> None:
    for role in ("youth_worker", "teacher"):
        assert api_as(role).get("/api/v1/notifications").status_code == 403


def test_resend_needs_the_forms_csrf_token(
    app: Flask, client: Any, login_as: Callable[..., Any]
) -> None:
    import re

    queue_plain(1)
    _fail("test:0")
    login_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    note_id = db.session.scalar(sa.select(Notification.id))
    assert client.post(f"/outbox/{note_id}/resend").status_code == 400
    assert db.session.get(Notification, note_id).status == "failed"
    page = client.get("/outbox").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    response = client.post(f"/outbox/{note_id}/resend", data={"csrf_token": match.group(1)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, note_id).status == "pending"


def test_outbox_says_automatically_in_german(client: Any, login_as: Callable[..., Any]) -> None:
    login_as("coordinator")
    html = client.get("/outbox").get_data(as_text=True)
    assert "E-Mails werden automatisch mindestens einmal pro Minute verschickt" in html
    assert "Scheduler" not in html
