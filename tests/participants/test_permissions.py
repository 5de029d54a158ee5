"""Every role against every participant route: allowed, 403 or 404 (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from makerlab.extensions import db

ROLES = ("admin", "coordinator", "youth_worker", "teacher_same", "teacher_other", "anonymous")
OK, FORBIDDEN, HIDDEN, UNAUTH = "ok", 403, 404, 401

# (method, path, body, expected status when allowed)
ROUTES = {
    "list": ("GET", "/api/v1/participants", None, 200),
    "create": ("POST", "/api/v1/participants", {"first_name": "Ada", "last_name": "Neu"}, 201),
    "read": ("GET", "/api/v1/participants/{id}", None, 200),
    "update": ("PATCH", "/api/v1/participants/{id}", {"may_go_home_alone": True}, 200),
    "erase": ("DELETE", "/api/v1/participants/{id}", None, 204),
    "export": ("GET", "/api/v1/participants/{id}/export", None, 200),
    "inductions": ("GET", "/api/v1/participants/{id}/inductions", None, 200),
    "induct": (
        "POST",
        "/api/v1/participants/{id}/inductions",
        {"category": "3d_printer", "completed_on": "2026-01-10"},
        201,
    ),
}
STAFF = {"admin": OK, "coordinator": OK, "youth_worker": OK}
# Teachers get no participant data at all, not even of their own school's pupils.
TEACHERS_NO = {"teacher_same": FORBIDDEN, "teacher_other": FORBIDDEN}
EXPECTED: dict[str, dict[str, Any]] = {
    "list": {**STAFF, **TEACHERS_NO},
    "create": {**STAFF, **TEACHERS_NO},
    "read": {**STAFF, **TEACHERS_NO},
    "update": {**STAFF, **TEACHERS_NO},
    "erase": {"admin": OK, "coordinator": OK, "youth_worker": FORBIDDEN, **TEACHERS_NO},
    "export": {**STAFF, **TEACHERS_NO},
    "inductions": {**STAFF, **TEACHERS_NO},
    "induct": {**STAFF, **TEACHERS_NO},
}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_participant_route(
    role: str, api_as: Any, client: Any, make_school: Any, make_participant: Any
) -> None:
    school = make_school()
    other_school = make_school()
    api = None
    if role == "teacher_same":
        api = api_as("teacher", school_id=school.id)
    elif role == "teacher_other":
        api = api_as("teacher", school_id=other_school.id)
    elif role != "anonymous":
        api = api_as(role)
    for name, (method, path, body, allowed_status) in ROUTES.items():
        participant = make_participant(school_id=school.id)
        url = path.format(id=participant.id)
        if api is None:
            response = client.open(url, method=method, json=body)
            expected = UNAUTH
        else:
            response = getattr(api, method.lower())(url, **({"json": body} if body else {}))
            outcome = EXPECTED[name][role]
            expected = allowed_status if outcome == OK else outcome
        assert response.status_code == expected, (role, name, response.get_data(as_text=True))
        if response.status_code == FORBIDDEN:
            assert participant.last_name not in response.get_data(as_text=True)
        if name == "list" and expected == 200:
            ids = [p["id"] for p in response.get_json()["items"]]
            assert participant.id in ids, (role, ids)
        db.session.rollback()


def test_unknown_participant_is_404_for_staff(api_as: Any) -> None:
    api = api_as("coordinator")
    assert api.get("/api/v1/participants/424242").status_code == 404
    assert api.delete("/api/v1/participants/424242").status_code == 404
    assert api.get("/api/v1/participants/424242/export").status_code == 404


def test_teachers_get_no_participant_pages_or_links(
    client: Any, login_as: Any, make_school: Any, make_participant: Any
) -> None:
    school = make_school()
    mine = make_participant(school_id=school.id, first_name="Ronja", last_name="Eigenschule")
    login_as("teacher", school_id=school.id)
    for url in (
        "/participants",
        f"/participants/{mine.id}",
        f"/participants/{mine.id}/edit",
        f"/participants/{mine.id}/export",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Eigenschule" not in response.get_data(as_text=True)
    dashboard = client.get("/").get_data(as_text=True)
    assert 'href="/participants"' not in dashboard and "Eigenschule" not in dashboard
