from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from makerlab.auth.models import ApiToken
from makerlab.extensions import db
from tests.conftest import TEST_PASSWORD

PROBLEM = "application/problem+json"


def test_token_for_every_role(client: Any, make_user: Any) -> None:
    for role in ("admin", "coordinator", "youth_worker", "teacher"):
        user = make_user(role)
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 201
        token = response.get_json()["token"]
        me = client.get("/api/v1/schools", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert token not in stored  # only hashes are kept


def test_bad_credentials_are_401_problem(client: Any, make_user: Any) -> None:
    user = make_user("admin")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "nope"})
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == 401


def test_missing_and_revoked_tokens_are_401(client: Any, api_as: Any) -> None:
    assert client.get("/api/v1/schools").status_code == 401
    assert client.get("/api/v1/schools", headers={"Authorization": "Bearer x"}).status_code == 401
    api = api_as("coordinator")
    assert api.get("/api/v1/schools").status_code == 200
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == api.user.id))
    from makerlab.auth.services import revoke_token

    revoke_token(api.user, token.id)
    db.session.commit()
    response = api.get("/api/v1/schools")
    assert response.status_code == 401 and response.mimetype == PROBLEM


def test_browser_cookie_does_not_authenticate_the_api(client: Any, login_as: Any) -> None:
    login_as("admin")
    assert client.get("/api/v1/schools").status_code == 401


def test_wrong_role_is_403_problem(api_as: Any) -> None:
    teacher = api_as("teacher")
    response = teacher.post("/api/v1/schools", json={"name": "X"})
    assert response.status_code == 403
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == 403


def test_unknown_object_is_404_problem(api_as: Any) -> None:
    response = api_as("coordinator").get("/api/v1/schools/999")
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_unknown_route_is_404_problem(api_as: Any) -> None:
    response = api_as("coordinator").get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_malformed_json_is_400_even_before_auth(client: Any) -> None:
    response = client.post(
        "/api/v1/schools", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_invalid_and_unknown_fields_are_422_with_errors(api_as: Any) -> None:
    api = api_as("coordinator")
    response = api.post("/api/v1/schools", json={"name": "", "colour": "blue"})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    errors = response.get_json()["errors"]
    assert "colour" in errors and "name" in errors


def test_403_comes_before_422(api_as: Any) -> None:
    response = api_as("teacher").post("/api/v1/schools", json={"bogus": 1})
    assert response.status_code == 403


def test_pagination_counts_all_matches(api_as: Any, make_school: Any) -> None:
    for _ in range(7):
        make_school()
    api = api_as("coordinator")
    page = api.get("/api/v1/schools?limit=3&offset=3").get_json()
    assert page["total"] == 7
    assert len(page["items"]) == 3
    assert api.get("/api/v1/schools?limit=501").status_code == 422


def test_openapi_document_lists_routes(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/auth/token" in doc["paths"]
    assert "/api/v1/schools/{school_id}" in doc["paths"]


def test_text_that_is_not_unicode_is_refused(client: Any, api_as: Any) -> None:
    api = api_as("coordinator")
    response = api.client.post(
        "/api/v1/schools",
        data='{"name": "Schule \\udb39"}',
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.mimetype == PROBLEM


def test_availability_of_a_closed_site_without_kits(api_as: Any) -> None:
    api = api_as("coordinator")
    site = api.post("/api/v1/sites", json={"name": "Jugendclub Südpark"}).get_json()
    api.post("/api/v1/equipment", json={"name": "Plotter", "category": "vinyl_cutter",
                                        "site_id": site["id"]})
    response = api.get(f"/api/v1/availability?category=vinyl_cutter&site_id={site['id']}")
    assert response.status_code == 200
    assert response.get_json()["items"] == []
