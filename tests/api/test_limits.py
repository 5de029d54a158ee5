"""Hostile bodies: deep nesting, huge bodies and huge id lists never reach a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.test_authorization_matrix import _routes

DEEP = "[" * 1000 + "]" * 1000  # 2,000 bytes, 1,000 levels
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_400_on_every_api_route_before_authentication(
    app: Flask, body: str
) -> None:
    client = app.test_client()
    checked = 0
    for _endpoint, method, url, _permission in _routes(app):
        if not url.startswith("/api/") or method not in ("POST", "PUT", "PATCH"):
            continue
        response = client.open(url, method=method, data=body, content_type="application/json")
        assert response.status_code == 400, (method, url, response.status_code)
        assert response.mimetype == "application/problem+json"
        checked += 1
    assert checked > 20


def test_deep_json_with_a_token_is_400_too(api_as: Any) -> None:
    api = api_as("coordinator")
    response = api.client.post(
        "/api/v1/bookings",
        data=DEEP,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 400


def test_a_huge_body_is_413(app: Flask, api_as: Any) -> None:
    api = api_as("coordinator")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert 1_000_000 <= limit <= 20_000_000
    body = '{"name": "' + "x" * limit + '"}'
    response = api.client.post(
        "/api/v1/schools",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    anonymous = app.test_client().post(
        "/api/v1/auth/token", data=body, content_type="application/json"
    )
    assert anonymous.status_code == 413
    page = app.test_client().post("/login", data={"email": "x" * limit})
    assert page.status_code == 413


def test_id_lists_have_a_maximum_length(api_as: Any, make_unit: Any, frozen: Any) -> None:
    api = api_as("coordinator")
    unit = make_unit()
    body = {
        "equipment_id": unit.id,
        "starts_at": "2027-03-02T10:00:00",
        "ends_at": "2027-03-02T11:00:00",
        "participant_ids": list(range(1, 100_001)),
    }
    response = api.post("/api/v1/bookings", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    errors = response.get_json()["errors"]
    assert "participant_ids" in errors
    assert errors["participant_ids"] == ["At most 500 ids in one list."]
