"""Accounts for admins: the users API, and the last-admin rule through API, pages and CLI."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab.auth.models import ApiToken, User
from makerlab.auth.services import issue_token
from makerlab.extensions import db
from tests.auth.wire import call
from tests.conftest import TEST_PASSWORD


def reload(user: User) -> User:
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh is not None
    return fresh


def test_admin_lists_and_reads_accounts(api_as: Any, make_user: Any) -> None:
    admin = api_as("admin")
    teacher = make_user("teacher", locale="en")
    make_user("youth_worker", active=False)
    listing = admin.get("/api/v1/users?limit=2")
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    teachers = admin.get("/api/v1/users?role=teacher").get_json()
    assert [u["id"] for u in teachers["items"]] == [teacher.id]
    locked = admin.get("/api/v1/users?active=false").get_json()
    assert [u["role"] for u in locked["items"]] == ["youth_worker"]
    one = admin.get(f"/api/v1/users/{teacher.id}").get_json()
    assert one["email"] == teacher.email
    assert one["school_id"] == teacher.school_id and one["language"] == "en"
    assert one["active"] is True and one["has_password"] is True
    assert "password_hash" not in one and "session_version" not in one
    assert admin.get("/api/v1/users/424242").status_code == 404


def test_admin_changes_role_school_language_and_active(
    api_as: Any, make_user: Any, make_school: Any
) -> None:
    admin = api_as("admin")
    worker = make_user("youth_worker")
    school = make_school()
    response = admin.patch(
        f"/api/v1/users/{worker.id}",
        json={"role": "teacher", "school_id": school.id, "language": "en"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["role"] == "teacher"
    assert response.get_json()["language"] == "en"
    changed = reload(worker)
    assert (changed.role, changed.school_id, changed.locale) == ("teacher", school.id, "en")
    back = admin.patch(f"/api/v1/users/{worker.id}", json={"role": "coordinator"})
    assert back.get_json()["school_id"] is None  # only teachers belong to a school
    off = admin.patch(f"/api/v1/users/{worker.id}", json={"active": False, "language": None})
    assert off.status_code == 200
    assert off.get_json()["active"] is False and off.get_json()["language"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "teacher"}, "school_id"),
        ({"role": "teacher", "school_id": 9999}, "school_id"),
        ({"role": "pupil"}, "role"),
        ({"language": "fr"}, "language"),
        ({"password_hash": "x"}, "password_hash"),
        ({"email": "other@x.example"}, "email"),
    ],
)
def test_bad_changes_are_422(api_as: Any, make_user: Any, payload: dict, field: str) -> None:
    admin = api_as("admin")
    worker = make_user("youth_worker")
    response = admin.patch(f"/api/v1/users/{worker.id}", json=payload)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert reload(worker).role == "youth_worker"


@pytest.mark.parametrize("role", ["coordinator", "youth_worker", "teacher"])
def test_only_admins_use_the_users_api(api_as: Any, make_user: Any, role: str) -> None:
    other = make_user("youth_worker")
    client = api_as(role)
    assert client.get("/api/v1/users").status_code == 403
    assert client.get(f"/api/v1/users/{other.id}").status_code == 403
    assert client.patch(f"/api/v1/users/{other.id}", json={"active": False}).status_code == 403
    assert reload(other).active


def test_the_last_active_admin_cannot_be_demoted_or_deactivated_by_api(
    api_as: Any, make_user: Any
) -> None:
    admin = api_as("admin")
    me = admin.user
    demote = admin.patch(f"/api/v1/users/{me.id}", json={"role": "coordinator"})
    assert demote.status_code == 409
    assert demote.mimetype == "application/problem+json"
    assert "Administrator" in demote.get_json()["detail"]
    assert admin.patch(f"/api/v1/users/{me.id}", json={"active": False}).status_code == 409
    assert reload(me).role == "admin" and reload(me).active

    # A locked admin does not count as one.
    locked = make_user("admin", active=False)
    assert admin.patch(f"/api/v1/users/{me.id}", json={"role": "coordinator"}).status_code == 409
    # With a second active admin the first may step down, but never lock themselves out.
    second = make_user("admin")
    assert admin.patch(f"/api/v1/users/{me.id}", json={"active": False}).status_code == 409
    assert admin.patch(f"/api/v1/users/{locked.id}", json={"active": True}).status_code == 200
    assert admin.patch(f"/api/v1/users/{second.id}", json={"active": False}).status_code == 200
    step_down = admin.patch(f"/api/v1/users/{me.id}", json={"role": "coordinator"})
    assert step_down.status_code == 200
    assert reload(me).role == "coordinator"
    # Now ``locked`` (re-activated) is the last admin.
    assert db.session.scalars(
        sa.select(User.id).where(User.role == "admin", User.active.is_(True))
    ).all() == [locked.id]


def test_deactivating_ends_sessions_and_tokens(api_as: Any, make_user: Any, app: Any) -> None:
    admin = api_as("admin")
    worker = make_user("youth_worker")
    token = issue_token(worker, "script")
    db.session.commit()
    browser = app.test_client()
    browser.post("/login", data={"email": worker.email, "password": TEST_PASSWORD})
    assert browser.get("/").status_code == 200
    assert admin.patch(f"/api/v1/users/{worker.id}", json={"active": False}).status_code == 200
    assert browser.get("/").status_code == 302
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/equipment", headers=headers).status_code == 401
    # Activated again, the old cookie stays dead (a new login is needed).
    assert admin.patch(f"/api/v1/users/{worker.id}", json={"active": True}).status_code == 200
    assert browser.get("/").status_code == 302


def test_account_page_obeys_the_same_rules(client: Any, login_as: Any, make_user: Any) -> None:
    admin = login_as("admin")
    form = {"name": admin.name, "role": "coordinator", "school_id": 0, "locale": "", "active": "y"}
    page = client.post(f"/users/{admin.id}", data=form, headers={"Accept-Language": "de"})
    assert page.status_code == 409
    assert "mindestens ein aktives Administrator-Konto" in page.get_data(as_text=True)
    assert reload(admin).role == "admin"
    other = make_user("admin")
    itself = client.post(f"/users/{admin.id}", data={**form, "role": "admin", "active": ""})
    assert itself.status_code == 409
    assert "eigenes Konto nicht deaktivieren" in itself.get_data(as_text=True)
    assert reload(admin).active
    ok = client.post(f"/users/{other.id}", data={**form, "name": "Zweite", "active": ""})
    assert ok.status_code == 302
    assert not reload(other).active
    listing = client.get("/users").get_data(as_text=True)
    assert "Gesperrt" in listing


def test_cli_activates_deactivates_and_keeps_the_last_admin(runner: Any, make_user: Any) -> None:
    admin = make_user("admin")
    worker = make_user("youth_worker")
    refused = runner.invoke(args=["users", "deactivate", "--email", admin.email])
    assert refused.exit_code == 1
    assert "Administrator" in refused.output
    assert reload(admin).active
    assert runner.invoke(args=["users", "deactivate", "--email", worker.email]).exit_code == 0
    assert not reload(worker).active
    assert runner.invoke(args=["users", "activate", "--email", worker.email]).exit_code == 0
    assert reload(worker).active
    unknown = runner.invoke(args=["users", "activate", "--email", "nobody@x.example"])
    assert unknown.exit_code == 1 and "No account" in unknown.output


def test_cli_sets_a_password_given_or_asked_for(runner: Any, make_user: Any, app: Any) -> None:
    worker = make_user("youth_worker")
    given = runner.invoke(
        args=["users", "set-password", "--email", worker.email, "--password", "Neue-Loetstation-7"]
    )
    assert given.exit_code == 0, given.output
    assert "Neue-Loetstation-7" not in given.output
    assert login_status(app, worker.email, "Neue-Loetstation-7") == 302
    asked = runner.invoke(
        args=["users", "set-password", "--email", worker.email],
        input="Vinyl-Schneider-88\nVinyl-Schneider-88\n",
    )
    assert asked.exit_code == 0, asked.output
    assert "Vinyl-Schneider-88" not in asked.output  # typed hidden, never echoed
    assert login_status(app, worker.email, "Vinyl-Schneider-88") == 302
    assert login_status(app, worker.email, "Neue-Loetstation-7") == 200
    weak = runner.invoke(
        args=["users", "set-password", "--email", worker.email, "--password", "kurz"]
    )
    assert weak.exit_code == 1 and "10" in weak.output


def login_status(app: Any, email: str, password: str) -> int:
    response = app.test_client().post("/login", data={"email": email, "password": password})
    return int(response.status_code)


def _patch(url: str, path: str, token: str, payload: dict[str, Any]) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return call(url, "PATCH", path, json_body=payload, headers=headers)[0]


def test_two_admins_stepping_down_at_once_leave_one(served: str, make_user: Any) -> None:
    """Under gunicorn (3 workers): of two simultaneous self-demotions exactly one succeeds."""
    admins = [make_user("admin"), make_user("admin")]
    jobs = [
        (served, f"/api/v1/users/{user.id}", issue_token(user, "race"), {"role": "coordinator"})
        for user in admins
    ]
    for _round in range(4):
        db.session.execute(sa.update(User).values(role="admin"))
        db.session.commit()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(lambda job: _patch(*job), jobs))
        assert statuses == [200, 409]
        db.session.commit()  # a fresh snapshot after the server's writes
        remaining = db.session.scalar(
            sa.select(sa.func.count()).where(User.role == "admin", User.active.is_(True))
        )
        assert remaining == 1


def test_deactivating_asks_first_and_says_what_ends(
    client: Any, login_as: Any, make_user: Any
) -> None:
    admin = login_as("admin")
    worker = make_user("youth_worker", name="Wanda Werkstatt")
    issue_token(worker, "phone")
    issue_token(worker, "laptop")
    db.session.commit()
    page = client.get(f"/users/{worker.id}").get_data(as_text=True)
    assert f'href="/users/{worker.id}/deactivate" data-confirm' in page
    assert 'name="active"' in page and 'type="checkbox"' not in page
    ask = client.get(f"/users/{worker.id}/deactivate")
    text = ask.get_data(as_text=True)
    assert ask.status_code == 200
    assert "Wanda Werkstatt kann sich nicht mehr anmelden" in text
    assert "2 API-Tokens funktionieren nicht mehr" in text
    assert "Konto deaktivieren</button>" in text
    assert reload(worker).active  # asking changes nothing
    # Saving the form keeps the account as active as it is.
    form = {"name": "Wanda W.", "role": "youth_worker", "school_id": 0, "locale": "",
            "active": "y"}
    assert client.post(f"/users/{worker.id}", data=form).status_code == 302
    assert reload(worker).active
    assert client.post(f"/users/{worker.id}/deactivate").status_code == 302
    assert not reload(worker).active
    assert client.get(f"/users/{worker.id}/deactivate").status_code == 409
    # Nobody asks about themselves, and the last admin stays.
    assert client.get(f"/users/{admin.id}/deactivate").status_code == 409
    refused = client.post(f"/users/{admin.id}/deactivate")
    assert refused.status_code == 302 and reload(admin).active
    assert client.post(f"/users/{worker.id}/activate").status_code == 302
    assert reload(worker).active


def test_revoking_a_token_asks_first(client: Any, login_as: Any, make_user: Any) -> None:
    user = login_as("teacher")
    issue_token(user, "Stundenplan-Skript")
    db.session.commit()
    token = db.session.scalar(sa.select(ApiToken))
    page = client.get("/account/tokens").get_data(as_text=True)
    assert f'href="/account/tokens/{token.id}/revoke" data-confirm' in page
    ask = client.get(f"/account/tokens/{token.id}/revoke").get_data(as_text=True)
    assert "Stundenplan-Skript" in ask and "401" in ask and "Token widerrufen</button>" in ask
    other = issue_token(make_user("teacher"), "x")
    db.session.commit()
    assert other  # someone else's token is not found
    foreign = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id != user.id))
    assert client.get(f"/account/tokens/{foreign}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert client.get(f"/account/tokens/{token.id}/revoke").status_code == 404
