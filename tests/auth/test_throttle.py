"""Failed logins are counted per account and per address, by the form and the API together,
by every worker process together (the database holds the counts)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.auth.models import LoginFailure
from makerlab.extensions import db
from tests.auth.wire import call
from tests.conftest import TEST_PASSWORD, base_config

ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 6


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    config = base_config(database_uri)
    config.update(
        {
            "RATELIMIT_ENABLED": True,
            "LOGIN_ACCOUNT_RATE_LIMIT": f"{ACCOUNT_LIMIT} per 5 minutes",
            "LOGIN_RATE_LIMIT": f"{ADDRESS_LIMIT} per 10 minutes",
        }
    )
    return config


def form(client: Any, email: str, password: str, address: str = "127.0.0.1", **kw: Any) -> Any:
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def api(client: Any, email: str, password: str, address: str = "127.0.0.1", **kw: Any) -> Any:
    return client.post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def test_an_account_is_locked_briefly_after_failures_by_form_and_api(
    app: Any, make_user: Any, frozen: dt.datetime
) -> None:
    user = make_user("youth_worker")
    client = app.test_client()
    assert form(client, user.email, "falsch-1", "10.0.0.1").status_code == 200
    assert api(client, user.email, "falsch-2", "10.0.0.2").status_code == 401
    assert form(client, user.email, "falsch-3", "10.0.0.3").status_code == 200
    # The right password from yet another address is refused now, in German ...
    locked = form(client, user.email, TEST_PASSWORD, "10.0.0.4")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 300
    text = locked.get_data(as_text=True)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text and "5 Minuten" in text
    assert 'name="password"' in text  # the form stays, with the message above it
    # ... or in English, and as problem+json from the API.
    english = form(client, user.email, TEST_PASSWORD, headers={"Accept-Language": "en"})
    assert "Too many failed logins. Please wait 5 minutes" in english.get_data(as_text=True)
    token = api(client, user.email, TEST_PASSWORD)
    assert token.status_code == 429 and token.mimetype == "application/problem+json"
    assert token.headers["Retry-After"] == "300"
    # A short lockout: five minutes after the first failure the account opens again.
    clock.set_frozen(frozen + dt.timedelta(minutes=4, seconds=30))
    later = form(client, user.email, TEST_PASSWORD)
    assert later.status_code == 429 and "1 Minute " in later.get_data(as_text=True)
    clock.set_frozen(frozen + dt.timedelta(minutes=5, seconds=1))
    assert form(client, user.email, TEST_PASSWORD).status_code == 302


def test_unknown_addresses_are_locked_alike(app: Any, frozen: dt.datetime) -> None:
    client = app.test_client()
    for i in range(ACCOUNT_LIMIT):
        assert api(client, "niemand@x.example", "falsch", f"10.0.1.{i}").status_code == 401
    assert api(client, "Niemand@X.example ", "falsch").status_code == 429


def test_a_success_clears_the_account_but_not_the_address(
    app: Any, make_user: Any, frozen: dt.datetime
) -> None:
    user = make_user("youth_worker")
    client = app.test_client()
    for _ in range(ACCOUNT_LIMIT - 1):
        assert api(client, user.email, "falsch").status_code == 401
    assert api(client, user.email, TEST_PASSWORD).status_code == 201
    for _ in range(ACCOUNT_LIMIT - 1):
        assert api(client, user.email, "falsch").status_code == 401
    assert api(client, user.email, TEST_PASSWORD).status_code == 201
    # The address has 4 failures; two more for other accounts and it is locked.
    assert api(client, "a@x.example", "falsch").status_code == 401
    assert api(client, "b@x.example", "falsch").status_code == 401
    assert api(client, user.email, TEST_PASSWORD).status_code == 429
    assert api(client, user.email, TEST_PASSWORD, "10.9.9.9").status_code == 201


def test_failures_are_stored_as_keyed_hashes_and_old_ones_are_deleted(
    app: Any, frozen: dt.datetime
) -> None:
    client = app.test_client()
    api(client, "geheim@x.example", "falsch", "192.0.2.7")
    keys = db.session.scalars(sa.select(LoginFailure.key)).all()
    assert len(keys) == 2 and all(re.fullmatch("[0-9a-f]{64}", key) for key in keys)
    clock.set_frozen(frozen + dt.timedelta(minutes=11))  # past the longest window
    api(client, "anders@x.example", "falsch", "192.0.2.8")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 2
    assert db.session.scalar(sa.select(sa.func.min(LoginFailure.failed_at))) == clock.now()


def test_switching_throttling_off_switches_the_lockout_off(app: Any, make_user: Any) -> None:
    app.config["RATELIMIT_ENABLED"] = False
    user = make_user("youth_worker")
    client = app.test_client()
    for _ in range(ACCOUNT_LIMIT + 1):
        assert api(client, user.email, "falsch").status_code == 401
    assert api(client, user.email, TEST_PASSWORD).status_code == 201


class TestWithAConfiguredStore:
    """With ``RATELIMIT_STORAGE_URI`` (Redis in production) the counts live there."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "RATELIMIT_STORAGE_URI": "memory://"}

    def test_the_lockout_holds_without_database_rows(self, app: Any, make_user: Any) -> None:
        user = make_user("youth_worker")
        client = app.test_client()
        for i in range(ACCOUNT_LIMIT):
            assert form(client, user.email, "falsch", f"10.0.2.{i}").status_code == 200
        locked = api(client, user.email, TEST_PASSWORD)
        assert locked.status_code == 429
        assert 0 < int(locked.headers["Retry-After"]) <= 300
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


# Under gunicorn with 3 worker processes, from several client addresses.


@pytest.fixture
def served_env() -> dict[str, str]:
    return {
        "MAKERLAB_RATELIMIT_ENABLED": "true",
        "MAKERLAB_LOGIN_ACCOUNT_RATE_LIMIT": "4 per 5 minutes",
        "MAKERLAB_LOGIN_RATE_LIMIT": "6 per 5 minutes",
    }


def form_over_the_wire(base: str, email: str, password: str, source: str) -> int:
    """The login form as a browser sends it: its page first (CSRF token and cookie)."""
    status, headers, page = call(base, "GET", "/login", source=source)
    assert status == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    session = headers["Set-Cookie"].split(";", 1)[0]
    body = urlencode({"csrf_token": token.group(1), "email": email, "password": password})
    return call(base, "POST", "/login", form=body, headers={"Cookie": session}, source=source)[0]


def api_over_the_wire(base: str, email: str, password: str, source: str) -> int:
    payload = {"email": email, "password": password}
    return call(base, "POST", "/api/v1/auth/token", json_body=payload, source=source)[0]


def test_workers_share_the_count_per_account_across_addresses(served: str, make_user: Any) -> None:
    email, other = make_user("youth_worker").email, make_user("youth_worker").email
    db.session.commit()  # no read transaction stays open while the server writes
    answers = [
        (form_over_the_wire if i % 2 else api_over_the_wire)(
            served, email, "falsch-falsch", f"127.0.0.{10 + i}"
        )
        for i in range(4)
    ]
    assert answers == [401, 200, 401, 200]
    assert api_over_the_wire(served, email, TEST_PASSWORD, "127.0.0.20") == 429
    assert form_over_the_wire(served, email, TEST_PASSWORD, "127.0.0.21") == 429
    assert api_over_the_wire(served, other, TEST_PASSWORD, "127.0.0.22") == 201


def test_workers_share_the_count_per_address_across_accounts(served: str) -> None:
    for i in range(6):
        status = api_over_the_wire(served, f"rate{i}@x.example", "falsch-falsch", "127.0.0.30")
        assert status == 401
    assert api_over_the_wire(served, "rate9@x.example", "falsch", "127.0.0.30") == 429
    assert form_over_the_wire(served, "rate9@x.example", "falsch", "127.0.0.30") == 429
    assert api_over_the_wire(served, "rate9@x.example", "falsch", "127.0.0.31") == 401
