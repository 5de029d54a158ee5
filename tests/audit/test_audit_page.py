"""The audit log page: admins only, filters, before/after, paging, constant queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from makerlab import clock
from makerlab.audit import set_actor
from makerlab.db import recorded_statements
from makerlab.extensions import db
from makerlab.participants import services

UTC = dt.UTC
EN = {"Accept-Language": "en"}


def counted_statements() -> Any:
    return recorded_statements(db.engine)


def _register(actor: Any, n: int, **extra: Any) -> Any:
    set_actor(db.session, actor)
    p = services.create_participant(
        actor, first_name=f"Audit{n}", last_name="Kind", birth_date=dt.date(2012, 1, 1), **extra
    )
    db.session.commit()
    return p


def test_only_admins_see_the_audit_log(client: Any, login_as: Any) -> None:
    for role in ("coordinator", "youth_worker", "teacher"):
        login_as(role)
        assert client.get("/audit").status_code == 403
        client.post("/logout")
    login_as("admin")
    assert client.get("/audit").status_code == 200


def test_filters_and_before_after(client: Any, login_as: Any, make_user: Any) -> None:
    worker, coordinator = make_user("youth_worker"), make_user("coordinator")
    clock.set_frozen(dt.datetime(2027, 3, 1, 10, 0, tzinfo=UTC))
    p = _register(worker, 1, guardian_phone="0345 111111")
    clock.set_frozen(dt.datetime(2027, 3, 5, 10, 0, tzinfo=UTC))
    set_actor(db.session, coordinator)
    services.update_participant(coordinator, p, guardian_phone="0345 222222")
    db.session.commit()
    login_as("admin")

    text = client.get(f"/audit?entity=participants&actor_id={coordinator.id}", headers=EN).get_data(
        as_text=True
    )
    assert "0345 111111" in text and "0345 222222" in text and "→" in text
    assert coordinator.name in text and worker.name not in text
    assert "1 entry" in text

    text = client.get("/audit?entity=consent_records", headers=EN).get_data(as_text=True)
    assert "0345" not in text
    text = client.get(
        "/audit?entity=participants&from=2027-03-02&to=2027-03-05", headers=EN
    ).get_data(as_text=True)
    assert "0345 222222" in text and "1 entry" in text
    text = client.get("/audit?entity=participants&to=2027-03-01", headers=EN).get_data(as_text=True)
    assert "0345 222222" not in text and "1 entry" in text
    # Nonsense filters are ignored, not a 500.
    assert client.get("/audit?entity=nope&actor_id=x&from=gestern&page=-3").status_code == 200


def test_erased_values_are_not_shown(client: Any, login_as: Any, make_user: Any) -> None:
    admin = login_as("admin")
    p = _register(make_user("youth_worker"), 7, guardian_name="Olga Verborgen", notes="Verborgen")
    set_actor(db.session, admin)
    services.erase_participant(admin, p)
    db.session.commit()
    text = client.get(f"/audit?entity=participants&entity_id={p.id}").get_data(as_text=True)
    assert "Verborgen" not in text and "Audit7" not in text and "[erased]" in text


def test_paged_with_a_fixed_number_of_queries(client: Any, login_as: Any, make_user: Any) -> None:
    login_as("admin")
    actors = [make_user("youth_worker") for _ in range(3)]
    _register(actors[0], 0)
    with counted_statements() as few:
        assert client.get("/audit").status_code == 200
    for n in range(1, 70):
        _register(actors[n % 3], n)
    with counted_statements() as many:
        first = client.get("/audit", headers=EN)
    assert len(many) == len(few)
    assert "Page 1 of" in first.get_data(as_text=True)
    second = client.get("/audit?page=2", headers=EN).get_data(as_text=True)
    assert "Page 2 of" in second
