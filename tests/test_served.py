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


def test_concurrent_writes_queue_instead_of_failing(served: str, make_user: Any) -> None:
    """On SQLite, writers wait for the lock instead of failing with 'database is locked'."""
    from concurrent.futures import ThreadPoolExecutor

    user = make_user("coordinator")
    token = requests.post(
        served + "/api/v1/auth/token",
        json={"email": user.email, "password": TEST_PASSWORD},
        timeout=5,
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def create(n: int) -> int:
        response = requests.post(
            served + "/api/v1/schools",
            json={"name": f"Schule {n}", "address": "Neustadt"},
            headers=headers,
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(create, range(48)))
    assert statuses == [201] * 48


def test_huge_ids_are_not_found_not_errors(served: str, make_user: Any) -> None:
    user = make_user("coordinator")
    token = requests.post(
        served + "/api/v1/auth/token",
        json={"email": user.email, "password": TEST_PASSWORD},
        timeout=5,
    ).json()["token"]
    response = requests.get(
        served + "/api/v1/schools/87677864612018475604377600",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 404
