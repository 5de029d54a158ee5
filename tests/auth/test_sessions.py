"""Sessions end for real: a copied cookie is worthless after logout, a new password or a lock."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from makerlab.auth import services
from makerlab.extensions import db
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "Lötkolben-Regal-42"


def log_in(app: Any, email: str, remember: bool = False) -> FlaskClient:
    browser = app.test_client()
    data = {"email": email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    assert browser.post("/login", data=data).status_code == 302
    return browser


def replay(app: Any, name: str, value: str) -> FlaskClient:
    """A fresh browser holding only a copied cookie."""
    browser = app.test_client()
    browser.set_cookie(name, value)
    return browser


def logged_in(browser: FlaskClient) -> bool:
    response = browser.get("/")
    assert response.status_code in (200, 302)
    return bool(response.status_code == 200)


def cookie(browser: FlaskClient, name: str) -> str:
    found = browser.get_cookie(name)
    assert found is not None, name
    return found.value


def test_a_copied_session_cookie_is_refused_after_logout(app: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    browser = log_in(app, user.email)
    stolen = cookie(browser, "session")
    assert logged_in(replay(app, "session", stolen))  # the copy works while logged in
    assert browser.post("/logout").status_code == 302
    assert not logged_in(browser)
    assert not logged_in(replay(app, "session", stolen))


def test_logout_ends_the_sessions_on_other_devices_too(app: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    phone, desktop = log_in(app, user.email), log_in(app, user.email)
    phone.post("/logout")
    assert not logged_in(desktop)
    assert logged_in(log_in(app, user.email))  # logging in again works


def test_a_password_change_ends_every_other_session(app: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    browser, other = log_in(app, user.email), log_in(app, user.email)
    stolen = cookie(browser, "session")
    changed = browser.post(
        "/account/password", data={"current_password": TEST_PASSWORD, "password": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    assert logged_in(browser)
    assert not logged_in(other)
    assert not logged_in(replay(app, "session", stolen))


def test_a_remember_me_cookie_is_refused_after_a_password_change(app: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    laptop = log_in(app, user.email, remember=True)
    remembered = cookie(laptop, "remember_token")
    assert logged_in(replay(app, "remember_token", remembered))  # it works before the change
    phone = log_in(app, user.email)
    phone.post(
        "/account/password", data={"current_password": TEST_PASSWORD, "password": NEW_PASSWORD}
    )
    assert not logged_in(replay(app, "remember_token", remembered))
    assert not logged_in(laptop)


def test_the_changing_browser_keeps_its_remember_me(app: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    laptop = log_in(app, user.email, remember=True)
    laptop.post(
        "/account/password", data={"current_password": TEST_PASSWORD, "password": NEW_PASSWORD}
    )
    fresh = cookie(laptop, "remember_token")
    assert logged_in(replay(app, "remember_token", fresh))


def test_a_password_set_for_the_user_ends_sessions(app: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    browser = log_in(app, user.email, remember=True)
    remembered = cookie(browser, "remember_token")
    services.set_password(user, NEW_PASSWORD)  # what a reset link or the CLI does
    db.session.commit()
    assert not logged_in(browser)
    assert not logged_in(replay(app, "remember_token", remembered))


def test_a_session_from_before_this_release_is_refused(app: Any, make_user: Any) -> None:
    """Old cookies carried only the id; they no longer name a session."""
    user = make_user("youth_worker")
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert not logged_in(browser)
