"""Error pages speak the reader's language; the API keeps answering problem+json."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import base_config

WERKZEUG_TEXTS = (
    "The requested URL was not found on the server",
    "The method is not allowed for the requested URL",
    "You don't have the permission",
    "The server encountered an internal error",
    "per 1 minute",
)


@pytest.fixture
def app_config(database_uri: str) -> dict[str, Any]:
    config = base_config(database_uri)
    config.update({"RATELIMIT_ENABLED": True, "PASSWORD_RESET_RATE_LIMIT": "1 per minute"})
    return config


def page(response: Any) -> str:
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    for english in WERKZEUG_TEXTS:
        assert english not in text
    return str(text)


def test_404_and_405_in_german_and_english(client: Any) -> None:
    missing = client.get("/gibt-es-nicht")
    assert missing.status_code == 404
    assert "Diese Seite gibt es nicht (mehr)" in page(missing)
    english = client.get("/gibt-es-nicht", headers={"Accept-Language": "en"})
    assert "This page does not exist (any more)" in page(english)
    wrong_method = client.get("/logout")
    assert wrong_method.status_code == 405
    assert "lässt sich so nicht aufrufen" in page(wrong_method)
    assert "POST" in wrong_method.headers["Allow"]


def test_403_in_german(client: Any, login_as: Any) -> None:
    login_as("teacher")
    refused = client.get("/users")
    assert refused.status_code == 403
    assert "Ihr Konto darf diese Seite nicht öffnen" in page(refused)
    english = client.get("/users", headers={"Accept-Language": "en"})
    assert "Your account may not open this page" in page(english)


def test_429_in_german(client: Any) -> None:
    assert client.post("/password/forgot", data={"email": "a@x.example"}).status_code == 200
    limited = client.post("/password/forgot", data={"email": "b@x.example"})
    assert limited.status_code == 429
    assert "Zu viele Anfragen in kurzer Zeit" in page(limited)


def explode() -> str:
    raise RuntimeError("boom")


@pytest.mark.own_app
def test_500_in_german_and_english(app: Flask, client: Any) -> None:
    app.add_url_rule("/explode", "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production
    broken = client.get("/explode")
    assert broken.status_code == 500
    assert "Bei uns ist ein Fehler aufgetreten" in page(broken)
    english = client.get("/explode", headers={"Accept-Language": "en"})
    assert "An error occurred on our side" in page(english)


def test_api_errors_stay_problem_json(client: Any, api_as: Any) -> None:
    teacher = api_as("teacher")
    missing = teacher.get("/api/v1/gibt-es-nicht")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    refused = teacher.get("/api/v1/users")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    wrong = teacher.delete("/api/v1/users")
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"
    assert "GET" in wrong.headers["Allow"]
    client.post("/api/v1/auth/password-reset", json={"email": "a@x.example"})
    limited = client.post("/api/v1/auth/password-reset", json={"email": "b@x.example"})
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
