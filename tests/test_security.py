from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import TEST_PASSWORD


def test_security_headers_and_csp_without_inline_script(client: Any) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script found"
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing from other hosts


def test_session_cookie_flags(client: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    from tests.conftest import base_config

    config = base_config(database_uri)
    config.update(
        {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute", "WTF_CSRF_ENABLED": True}
    )
    return config


def test_login_is_throttled(client: Any, make_user: Any) -> None:
    make_user("youth_worker")
    for _ in range(3):
        response = client.post(
            "/api/v1/auth/token", json={"email": "x@y.example", "password": "nope"}
        )
        assert response.status_code == 401
    blocked = client.post("/api/v1/auth/token", json={"email": "x@y.example", "password": "nope"})
    assert blocked.status_code == 429
    assert blocked.mimetype == "application/problem+json"


def test_forms_need_a_csrf_token(client: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    ok = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token.group(1)},
    )
    assert ok.status_code == 302


def test_api_needs_no_csrf_token(client: Any, make_user: Any) -> None:
    user = make_user("youth_worker")
    response = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 201
