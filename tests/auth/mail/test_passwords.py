"""Passwords: change, reset by e-mail, invitations; mails delivered to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.auth.models import ApiToken, User
from makerlab.auth.services import issue_token
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.notifications.services import deliver_due
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "Lötkolben-Regal-42"
CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def delivered(smtp: Any, count: int) -> list[EmailMessage]:
    """Deliver the outbox to the SMTP server and return what it received."""
    deliver_due()
    return smtp.sink.wait_for(count)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def link_path(message: EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/(?:password/reset|welcome)/\S+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


def can_log_in(app: Any, email: str, password: str) -> bool:
    response = app.test_client().post("/login", data={"email": email, "password": password})
    return bool(response.status_code == 302)


def test_forgotten_password_is_reset_once_by_a_mailed_link(
    app: Any, client: Any, make_user: Any, smtp: Any
) -> None:
    user = make_user("youth_worker", locale="en")
    page = client.post("/password/forgot", data={"email": user.email.upper()})
    assert page.status_code == 200
    [mail] = delivered(smtp, 1)
    assert mail["To"] == user.email
    assert "new password" in str(mail["Subject"])  # the user's language: English
    assert "once and for 1 hour" in text_of(mail)
    path = link_path(mail)
    assert "Neues Passwort wählen" in client.get(path).get_data(as_text=True)

    short = client.post(path, data={"password": "kurz"})
    assert short.status_code == 422 and "10" in short.get_data(as_text=True)
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200  # logged in by the link
    assert can_log_in(app, user.email, NEW_PASSWORD)
    assert not can_log_in(app, user.email, TEST_PASSWORD)

    # One use only: the same link is dead now, and changes nothing.
    again = app.test_client().get(path)
    assert again.status_code == 404
    assert "abgelaufen" in again.get_data(as_text=True)
    stale = app.test_client().post(path, data={"password": "Ganz-Anderes-Wort-9"})
    assert stale.status_code == 404
    assert can_log_in(app, user.email, NEW_PASSWORD)


def test_a_reset_link_expires_after_an_hour(
    app: Any, client: Any, make_user: Any, smtp: Any
) -> None:
    user = make_user("coordinator")
    start = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_frozen(start)
    client.post("/password/forgot", data={"email": user.email})
    [mail] = delivered(smtp, 1)
    assert "Passwort" in str(mail["Subject"])  # no language set: German
    path = link_path(mail)
    clock.set_frozen(start + dt.timedelta(minutes=59))
    assert client.get(path).status_code == 200
    clock.set_frozen(start + dt.timedelta(minutes=61))
    assert client.get(path).status_code == 404
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 404
    assert can_log_in(app, user.email, TEST_PASSWORD)


def test_a_tampered_or_foreign_link_is_refused(client: Any, make_user: Any, smtp: Any) -> None:
    user = make_user("youth_worker")
    client.post("/password/forgot", data={"email": user.email})
    path = link_path(delivered(smtp, 1)[0])
    token = path.rsplit("/", 1)[1]
    assert client.get(f"/password/reset/{token[:-2]}xx").status_code == 404
    # A reset link is no invitation (other salt), and nonsense is just 404.
    assert client.get(f"/welcome/{token}").status_code == 404
    assert client.get("/password/reset/not-a-token").status_code == 404


def test_unknown_and_known_addresses_get_the_same_answer(
    client: Any, make_user: Any, smtp: Any
) -> None:
    user = make_user("youth_worker")
    locked = make_user("youth_worker", active=False)
    answers = [
        client.post("/password/forgot", data={"email": email})
        for email in (user.email, "niemand@nirgends.example", locked.email)
    ]
    assert {a.status_code for a in answers} == {200}
    # Alike but for the CSRF token of the language button (it carries the second it was made).
    pages = {CSRF.sub("", a.get_data(as_text=True)) for a in answers}
    assert len(pages) == 1 and "unterwegs" in pages.pop()
    api = [
        client.post("/api/v1/auth/password-reset", json={"email": email})
        for email in (user.email, "niemand@nirgends.example", locked.email)
    ]
    assert {a.status_code for a in api} == {202}
    assert len({a.get_data(as_text=True) for a in api}) == 1
    # Only the active account got mail (links made in the same second are one mail).
    delivered(smtp, 1)
    assert {m["To"] for m in smtp.sink.messages} == {user.email}
    assert set(db.session.scalars(sa.select(Notification.to_address))) == {user.email}


def _median_seconds(client: Any, email: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.post("/api/v1/auth/password-reset", json={"email": email})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_known_and_unknown_addresses_take_about_as_long(client: Any, make_user: Any) -> None:
    """The same link and e-mail are rendered for an unknown address (and thrown away)."""
    user = make_user("youth_worker")
    _median_seconds(client, user.email, 3)  # warm up templates and connections
    known = _median_seconds(client, user.email, 15)
    unknown = _median_seconds(client, "niemand@nirgends.example", 15)
    assert abs(known - unknown) < max(0.5 * known, 0.01), (known, unknown)


def test_invited_account_chooses_its_password(
    app: Any, client: Any, login_as: Any, smtp: Any
) -> None:
    login_as("admin")
    created = client.post(
        "/users/new",
        data={
            "email": "neu@passage13.example",
            "name": "Neu",
            "role": "youth_worker",
            "school_id": 0,
            "locale": "",
            "password": "",
        },
    )
    assert created.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "neu@passage13.example"))
    assert user is not None and not user.has_password
    assert "Eingeladen" in client.get("/users").get_data(as_text=True)
    assert not can_log_in(app, user.email, "")
    [mail] = delivered(smtp, 1)
    assert mail["To"] == user.email and "Konto" in str(mail["Subject"])
    assert "7 Tage" in text_of(mail)
    path = link_path(mail)
    assert path.startswith("/welcome/")
    newcomer = app.test_client()
    assert "Willkommen" in newcomer.get(path).get_data(as_text=True)
    assert newcomer.post(path, data={"password": NEW_PASSWORD}).status_code == 302
    assert newcomer.get("/").status_code == 200
    assert can_log_in(app, user.email, NEW_PASSWORD)
    assert app.test_client().get(path).status_code == 404  # used


def test_an_invitation_is_valid_for_seven_days(app: Any, runner: Any, smtp: Any) -> None:
    start = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_frozen(start)
    result = runner.invoke(
        args=["users", "create", "--email", "Lena@Schule.example", "--role", "coordinator"]
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output and "7 days" in result.output
    path = link_path(delivered(smtp, 1)[0])
    client = app.test_client()
    clock.set_frozen(start + dt.timedelta(days=6, hours=23))
    assert client.get(path).status_code == 200
    clock.set_frozen(start + dt.timedelta(days=7, minutes=1))
    assert client.get(path).status_code == 404
    # "Forgot your password?" still gets the person in.
    client.post("/password/forgot", data={"email": "lena@schule.example"})
    reset = link_path(delivered(smtp, 2)[1])
    assert client.post(reset, data={"password": NEW_PASSWORD}).status_code == 302
    assert can_log_in(app, "lena@schule.example", NEW_PASSWORD)


def _tokens_alive(user: User) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
            )
        )
        or 0
    )


@pytest.mark.parametrize("keep", [False, True])
def test_changing_the_password_needs_the_current_one_and_may_keep_tokens(
    app: Any, client: Any, login_as: Any, keep: bool
) -> None:
    user = login_as("youth_worker")
    token = issue_token(user, "script")
    db.session.commit()
    wrong = client.post(
        "/account/password", data={"current_password": "falsch-falsch", "password": NEW_PASSWORD}
    )
    assert "nicht Ihr aktuelles Passwort" in wrong.get_data(as_text=True)
    assert can_log_in(app, user.email, TEST_PASSWORD)
    form = {"current_password": TEST_PASSWORD, "password": NEW_PASSWORD}
    if keep:
        form["keep_tokens"] = "y"
    assert client.post("/account/password", data=form).status_code == 302
    assert client.get("/").status_code == 200  # this browser stays logged in
    assert can_log_in(app, user.email, NEW_PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    status = app.test_client().get("/api/v1/equipment", headers=headers).status_code
    assert status == (200 if keep else 401)
    assert _tokens_alive(user) == (1 if keep else 0)


def test_a_reset_always_revokes_api_tokens(
    app: Any, client: Any, make_user: Any, smtp: Any
) -> None:
    user = make_user("youth_worker")
    issue_token(user, "script")
    db.session.commit()
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    path = link_path(delivered(smtp, 1)[0])
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302
    assert _tokens_alive(user) == 0
