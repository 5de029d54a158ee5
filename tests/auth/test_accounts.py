from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from makerlab.audit.models import AuditEntry
from makerlab.auth.models import User
from makerlab.extensions import db


def test_admin_creates_account_in_browser(client: Any, login_as: Any, make_school: Any) -> None:
    login_as("admin")
    school = make_school()
    response = client.post(
        "/users/new",
        data={
            "email": "Frau.Mueller@Schule.example",
            "name": "Frau Müller",
            "role": "teacher",
            "school_id": school.id,
            "locale": "",
            "password": "Kreidetafel-2026!",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "frau.mueller@schule.example"))
    assert user is not None and user.school_id == school.id
    assert user.password_hash.startswith("$argon2")
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity == "users", AuditEntry.entity_id == user.id)
    )
    assert entry is not None and entry.action == "create"
    assert entry.changes["password_hash"] == [None, "***"]


def test_account_form_explains_refusals(client: Any, login_as: Any) -> None:
    login_as("admin")
    response = client.post(
        "/users/new",
        data={"email": "t@x.example", "role": "teacher", "school_id": 0, "password": "kurz"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Eine Lehrkraft gehört zu einer Schule." in text
    assert "Mindestens 10 Zeichen" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_common_password_is_refused(client: Any, login_as: Any) -> None:
    login_as("admin")
    response = client.post(
        "/users/new",
        data={
            "email": "yw@x.example",
            "role": "youth_worker",
            "school_id": 0,
            "password": "password123",
        },
    )
    assert "zu verbreitet" in response.get_data(as_text=True)


def test_only_admins_manage_accounts(client: Any, login_as: Any) -> None:
    login_as("coordinator")
    assert client.get("/users").status_code == 403
    assert client.get("/users/new").status_code == 403


def test_anonymous_is_sent_to_login(client: Any) -> None:
    response = client.get("/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_cli_creates_user_and_prints_token(runner: Any, make_school: Any, app: Any) -> None:
    school = make_school()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "lehrer@schule.example",
            "--role",
            "teacher",
            "--school-id",
            str(school.id),
            "--password",
            "Kreidetafel-2026!",
        ]
    )
    assert result.exit_code == 0, result.output
    token = runner.invoke(args=["users", "token", "--email", "lehrer@schule.example"])
    assert token.exit_code == 0
    plain = token.output.strip()
    response = app.test_client().get(
        "/api/v1/schools", headers={"Authorization": f"Bearer {plain}"}
    )
    assert response.status_code == 200
    assert [s["id"] for s in response.get_json()["items"]] == [school.id]


def test_cli_refuses_teacher_without_school(runner: Any) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "l@s.example",
            "--role",
            "teacher",
            "--password",
            "Kreidetafel-2026!",
        ]
    )
    assert result.exit_code == 1
    assert "school" in result.output.lower()


def test_passwords_are_hashed_with_argon2_defaults_unless_configured(tmp_path: Any) -> None:
    """Production keeps argon2-cffi's parameters; only the tests configure cheap ones."""
    from makerlab import create_app
    from makerlab.auth.passwords import hash_password, verify_password

    production = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "k"}
    )
    cheap = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
            "SECRET_KEY": "k",
            "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        }
    )
    with production.app_context():
        strong = hash_password("Werkbank-Laser-2026")
    with cheap.app_context():
        weak = hash_password("Werkbank-Laser-2026")
        assert verify_password(strong, "Werkbank-Laser-2026")
    assert "$m=65536,t=3,p=4$" in strong
    assert "$m=8,t=1,p=1$" in weak
