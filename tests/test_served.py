from __future__ import annotations

from typing import Any

import requests

from tests.conftest import TEST_PASSWORD


def test_gunicorn_serves_login_and_token(served: str, make_user: Any) -> None:
    user = make_user("coordinator")
    assert requests.get(served + "/healthz", timeout=5).json() == {"status": "ok"}
    response = requests.post(
        served + "/api/v1/auth/token",
        json={"email": user.email, "password": TEST_PASSWORD},
        timeout=5,
    )
    assert response.status_code == 201
    token = response.json()["token"]
    schools = requests.get(
        served + "/api/v1/schools", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert schools.status_code == 200
