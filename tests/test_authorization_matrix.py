"""Every route against every role and anonymous, read from the app itself.

A route either is public, needs only a login, or declares a permission
(``require(...)`` in the API, ``permission_required(...)`` in views). The
matrix checks: anonymous is refused (401 API / redirect to login HTML);
roles without the permission get 403; roles with it are never refused; and
nobody ever gets a 5xx. A new route without a declared permission fails
this test until it is added to one of the lists below.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from makerlab.auth.permissions import PERMISSIONS
from tests.conftest import TEST_PASSWORD

ROLES = ("admin", "coordinator", "youth_worker", "teacher")

# Reachable without logging in.
PUBLIC = {
    "static",
    "assets.favicon",
    "main.index",  # redirects to the login page
    "main.healthz",
    "main.set_language",
    "auth.login",
    "auth.logout",
    "api-docs.openapi_json",
    "auth_api.TokenView",
    "auth_api.PasswordResetView",  # 202 whatever the address
    "auth.forgot_password",
    "auth.reset_password",  # authenticated by the signed link
    "auth.accept_invitation",
    "workshops.programme",
    "feeds.subscribed",  # the feed's own secret is the key (never an API token)
    "feeds.programme",  # the public programme as a calendar
    "participants.consent.guardian_page",  # the guardian's personal link is the key
}
# Any logged-in user, whatever the role.
LOGIN_ONLY = {
    "auth.tokens",
    "auth.revoke_token",
    "auth.change_password",
    # Everyone subscribes to their own calendars (the kinds depend on the role).
    "feeds.manage",
    "feeds.revoke",
    "feeds_api.Feeds",
    "feeds_api.FeedItem",
}

SAMPLE_ARGS = {"week": "2027-W12", "code": "en", "filename": "app.css", "fmt": "csv"}


def _routes(app: Flask) -> list[tuple[str, str, str, str | None]]:
    """(endpoint, method, url, permission) for every rule of the app."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            func = getattr(view_class, method.lower(), None) if view_class else view
            permission = getattr(func, "required_permission", None)
            args = {}
            for name in rule.arguments:
                numeric = isinstance(rule._converters[name], IntegerConverter)
                args[name] = 999999 if numeric else SAMPLE_ARGS.get(name, "x")
            url = rule.build(args, append_unknown=False)[1] if rule.arguments else rule.rule
            found.append((rule.endpoint, method, url, permission))
    return found


def _call(client: Any, method: str, url: str, headers: dict[str, str] | None = None) -> Any:
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if method in ("POST", "PUT", "PATCH") and url.startswith("/api/"):
        kwargs["json"] = {}
    return client.open(url, method=method, **kwargs)


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    undeclared = [
        (endpoint, method)
        for endpoint, method, _url, permission in _routes(app)
        if permission is None and endpoint not in PUBLIC | LOGIN_ONLY
    ]
    assert not undeclared, f"routes without a declared permission: {undeclared}"
    for _e, _m, _u, permission in _routes(app):
        assert permission is None or permission in PERMISSIONS


def test_anonymous_is_refused_everywhere_but_public_routes(app: Flask) -> None:
    client = app.test_client()
    for endpoint, method, url, _permission in _routes(app):
        if endpoint in PUBLIC:
            continue
        response = _call(client, method, url)
        assert response.status_code < 500, (endpoint, method, response.status_code)
        if url.startswith("/api/"):
            assert response.status_code == 401, (endpoint, method, response.status_code)
        else:
            assert response.status_code in (302, 401, 404), (endpoint, method, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (endpoint, method)


@pytest.mark.parametrize("role", ROLES)
def test_roles_get_exactly_their_permissions(app: Flask, make_user: Any, role: str) -> None:
    from makerlab.auth.services import issue_token
    from makerlab.extensions import db

    user = make_user(role)
    token = issue_token(user, "matrix")
    db.session.commit()
    browser = app.test_client()
    assert (
        browser.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code
        == 302
    )
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    for endpoint, method, url, permission in _routes(app):
        if endpoint in PUBLIC or endpoint in ("auth.logout",):
            continue
        is_api = url.startswith("/api/")
        response = _call(api if is_api else browser, method, url, bearer if is_api else None)
        status = response.status_code
        assert status < 500, (role, endpoint, method, status)
        if permission is None or role in PERMISSIONS[permission]:
            assert status not in (401, 403), (role, endpoint, method, status)
        else:
            assert status == 403, (role, endpoint, method, status)


def test_site_pages_are_for_site_managers_only(app: Flask) -> None:
    """Opening hours and closures change what everyone can book: coordinators and admins."""
    site_pages = [
        (endpoint, method, permission)
        for endpoint, method, _url, permission in _routes(app)
        if endpoint.startswith("sites.")
    ]
    assert {e for e, _m, _p in site_pages} >= {
        "sites.index",
        "sites.detail",
        "sites.check_closure",
        "sites.add_closure",
        "sites.delete_closure",
        "sites.add_holidays",
        "sites.import_closures",
    }
    assert {p for _e, _m, p in site_pages} == {"sites.manage"}


def test_the_lending_desk_and_labels_are_for_staff(app: Flask) -> None:
    """The desk lends kits (loans.manage); a label's /u/ address and the label sheet are for
    whoever may see the equipment: staff, never teachers (nor anyone not logged in)."""
    declared = {
        endpoint: permission
        for endpoint, _method, _url, permission in _routes(app)
        if endpoint in {"desk.index", "desk.unit", "equipment.labels_pdf"}
    }
    assert declared == {
        "desk.index": "loans.manage",
        "desk.unit": "equipment.view",
        "equipment.labels_pdf": "equipment.view",
    }
    assert "teacher" not in {r.value for r in PERMISSIONS["loans.manage"]}
    assert "teacher" not in {r.value for r in PERMISSIONS["equipment.view"]}
