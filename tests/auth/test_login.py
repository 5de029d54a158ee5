from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_PASSWORD


@pytest.mark.parametrize("role", ["admin", "coordinator", "youth_worker", "teacher"])
def test_every_role_logs_in_and_sees_a_dashboard(client: Any, login_as: Any, role: str) -> None:
    user = login_as(role)
    page = client.get("/", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Abmelden" in text  # German by default
    assert (user.name or user.email) in text


def test_wrong_password_gives_a_generic_error(client: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    page = client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
    assert page.status_code == 200
    assert "E-Mail oder Passwort ist falsch" in page.get_data(as_text=True)
    unknown = client.post("/login", data={"email": "nobody@x.example", "password": "whatever12"})
    assert "E-Mail oder Passwort ist falsch" in unknown.get_data(as_text=True)


def test_logout_ends_the_session(client: Any, login_as: Any) -> None:
    login_as("coordinator")
    assert client.post("/logout").status_code == 302
    assert client.get("/").headers["Location"].endswith("/login")


def test_locked_account_cannot_log_in(client: Any, make_user: Any) -> None:
    user = make_user("youth_worker", active=False)
    page = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert page.status_code == 200


def test_open_redirect_is_refused(client: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    response = client.post(
        "/login?next=//evil.example/", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_language_switch_to_english(client: Any, login_as: Any) -> None:
    login_as("youth_worker")
    client.post("/language/en", data={"next": "/"})
    assert "Log out" in client.get("/").get_data(as_text=True)
    client.post("/language/de", data={"next": "/"})
    assert "Abmelden" in client.get("/").get_data(as_text=True)


def test_english_by_accept_language_when_logged_out(client: Any) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Log in" in page.get_data(as_text=True)
    page = client.get("/login")
    assert "Anmelden" in page.get_data(as_text=True)
