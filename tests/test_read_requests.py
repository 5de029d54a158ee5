"""Safe requests (GET, HEAD, OPTIONS) read outside a transaction on PostgreSQL and never write."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from makerlab.extensions import db
from makerlab.schools.models import School

pytestmark = pytest.mark.own_app  # the tests add routes


@pytest.fixture(params=["postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """PostgreSQL only: SQLite has no round trips to save and keeps its transactions."""
    return str(request.param)


@pytest.fixture
def routes(app: Flask) -> dict[str, Any]:
    """Two test routes that add a school, one for GET and one for POST."""
    seen: dict[str, Any] = {}

    def add_school(name: str) -> str:
        seen[name] = db.session.connection().connection.dbapi_connection.autocommit
        db.session.add(School(name=name))
        db.session.flush()
        db.session.commit()
        return "ok"

    app.add_url_rule("/_test/get-writes", "get_writes", lambda: add_school("Schule per GET"))
    app.add_url_rule(
        "/_test/post-writes",
        "post_writes",
        lambda: add_school("Schule per POST"),
        methods=["POST"],
    )
    return seen


def _schools() -> list[str]:
    return list(db.session.scalars(sa.select(School.name).order_by(School.name)))


def test_a_get_request_reads_in_autocommit_and_its_write_changes_nothing(
    app: Flask, routes: dict[str, Any]
) -> None:
    before = _schools()
    response = app.test_client().get("/_test/get-writes")
    assert response.status_code == 500
    assert routes["Schule per GET"] is True  # no BEGIN, no ROLLBACK
    db.session.rollback()
    assert _schools() == before


def test_a_post_request_writes_in_a_transaction(app: Flask, routes: dict[str, Any]) -> None:
    response = app.test_client().post("/_test/post-writes")
    assert response.status_code == 200
    assert routes["Schule per POST"] is False
    db.session.rollback()
    assert "Schule per POST" in _schools()
