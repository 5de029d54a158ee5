"""The audit log page: admins only, filters, before/after, paging, constant queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from makerlab import clock
from makerlab.audit import _AUDITED, set_actor
from makerlab.audit.presenter import FIELD_LABELS
from makerlab.db import recorded_statements
from makerlab.extensions import db
from makerlab.participants import services

UTC = dt.UTC
EN = {"Accept-Language": "en"}


def plain(html: str) -> str:
    """The page's text without tags."""
    return re.sub(r"<[^>]+>", "", html)


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
    assert "0345 111111" in text
    assert "Guardian phone from 0345 222222" not in text
    assert f"Participant #{p.id}: Guardian phone from 0345 111111 to 0345 222222" in plain(text)
    entries = text.split("</form>")[-1]  # the actor filter names everyone
    assert coordinator.name in entries and worker.name not in entries
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
    assert "Verborgen" not in text and "Audit7" not in text and "[gelöscht]" in text
    english = client.get(f"/audit?entity=participants&entity_id={p.id}", headers=EN)
    assert "[erased]" in english.get_data(as_text=True)


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


def test_a_change_reads_as_a_sentence_in_local_time(
    client: Any, login_as: Any, api_as: Any, make_unit: Any
) -> None:
    clock.set_frozen(dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    api = api_as("youth_worker")
    unit = make_unit(name="Podcast-Koffer 2", category="podcast_kit", loanable=True)
    booking = api.post(
        "/api/v1/bookings",
        json={
            "equipment_id": unit.id,
            "starts_at": "2026-12-11T15:00",
            "ends_at": "2026-12-11T17:00",
        },
    ).get_json()
    # 13:03:27.5 UTC is 14:03 in Halle; seconds and microseconds are not shown.
    clock.set_frozen(dt.datetime(2026, 12, 10, 13, 3, 27, 500000, tzinfo=UTC))
    assert api.delete(f"/api/v1/bookings/{booking['id']}").status_code in (200, 204)
    login_as("admin")

    text = client.get("/audit?entity=bookings").get_data(as_text=True)
    shown = plain(text)
    assert (
        f"Buchung #{booking['id']}: Status von reserviert zu storniert; "
        "Storniert am: Do., 10. Dez. 2026, 14:03, "
        f"von {api.user.name} am Do., 10. Dez. 2026, 14:03"
    ) in shown
    assert f'<a href="/bookings/{booking["id"]}">Buchung #{booking["id"]}</a>' in text
    # The creation lists its fields by label, with names and local times.
    created = f"Buchung #{booking['id']} angelegt von {api.user.name} am Di., 1. Dez. 2026, 10:00"
    assert created in shown
    assert "Podcast-Koffer 2" in shown and "Fr., 11. Dez. 2026, 15:00" in shown
    entries = plain(text.split("</form>")[-1])
    for raw in ("status", "starts_at", "equipment_id", "cancelled", ":27", "13:03"):
        assert raw not in entries

    english = client.get("/audit?entity=bookings", headers=EN).get_data(as_text=True)
    assert (
        f"Booking #{booking['id']}</a>: Status from reserved to cancelled; "
        "Cancelled on: Thu, 10 Dec 2026, 14:03, "
        f"by {api.user.name} on Thu, 10 Dec 2026, 14:03"
    ) in english


def test_roles_and_yes_no_are_translated(client: Any, login_as: Any, make_user: Any) -> None:
    admin = login_as("admin")
    user = make_user("youth_worker")
    set_actor(db.session, admin)
    db.session.refresh(user)  # loaded, as a service would have it: the entry has "before"
    user.role = "coordinator"
    user.active = False
    db.session.commit()
    text = client.get(f"/audit?entity=users&entity_id={user.id}").get_data(as_text=True)
    assert "Rolle von Jugendarbeit zu Koordination; Aktiv von ja zu nein" in text
    assert "coordinator" not in text.split("</form>")[-1]


def test_every_audited_field_has_a_label() -> None:
    for model, table in _AUDITED.items():
        columns = {column.key for column in sa.inspect(model).columns}
        missing = columns - set(FIELD_LABELS[table]) - {"id", "created_at", "updated_at"}
        assert not missing, f"{table}: no label for {sorted(missing)}"


def test_catalogue_and_calendar_changes_are_in_the_log(api_as: Any, client: Any,
                                                       login_as: Any) -> None:
    """Every write is audited: a unit's status and contents, a closure, opening hours."""
    api = api_as("coordinator")
    unit = api.post("/api/v1/equipment", json={
        "site_id": 1, "name": "Podcast-Koffer 9", "category": "podcast_kit", "loanable": True,
    }).get_json()
    api.patch(f"/api/v1/equipment/{unit['id']}", json={
        "status": "maintenance", "contents": [{"item": "Mikrofon", "count": 2}],
    })
    api.post("/api/v1/sites/1/closures", json={
        "starts_on": "2027-12-24", "ends_on": "2028-01-01", "reason": "Weihnachten",
    })
    api.patch("/api/v1/sites/1", json={"opening_hours": {"mon": [["10:00", "16:00"]]}})
    login_as("admin")
    text = plain(client.get("/audit", headers=EN).get_data(as_text=True))
    assert f"Unit #{unit['id']}" in text
    assert "Status from available to maintenance" in text
    assert "2 × Mikrofon" in text
    assert "Weihnachten" in text and "Closure #" in text
    assert "Monday 10:00–16:00" in text
    assert "podcast_kit" not in text and "opening_hours" not in text


def test_bookkeeping_and_changes_nobody_could_see_are_left_out(
    client: Any, login_as: Any, make_user: Any
) -> None:
    """Last activity, a calendar's revision and a start moved by seconds are not news."""
    from makerlab.workshops.models import Workshop, WorkshopSession

    clock.set_frozen(dt.datetime(2026, 12, 4, 7, 26, tzinfo=UTC))
    worker = make_user("youth_worker")
    p = _register(worker, 8)
    workshop = Workshop(title="Löten", min_age=8, max_age=14)
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(
        workshop_id=workshop.id, site_id=1, capacity=12, location="Werkstatt",
        starts_at=dt.datetime(2026, 12, 10, 14, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 12, 10, 16, 0, tzinfo=UTC),
    )
    db.session.add(session)
    db.session.commit()

    set_actor(db.session, worker)
    db.session.refresh(p)
    db.session.refresh(session)
    p.last_activity_at = dt.datetime(2026, 12, 4, 7, 26, 40, tzinfo=UTC)  # the same minute
    p.notes = "Bringt eigenen Lötkolben mit"
    session.starts_at = dt.datetime(2026, 12, 10, 14, 0, 30, tzinfo=UTC)  # seconds only
    session.location = "Raum 2"
    session.sequence += 1
    db.session.commit()
    set_actor(db.session, worker)
    db.session.refresh(p)
    p.last_activity_at = dt.datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # nothing else changed
    db.session.commit()
    login_as("admin")

    text = plain(client.get("/audit").get_data(as_text=True).split("</form>")[-1])
    assert f"Teilnehmende Person #{p.id}: Notizen: Bringt eigenen Lötkolben mit, von" in text
    assert f"Workshop-Termin #{session.id}: Ort von Werkstatt zu Raum 2, von" in text
    assert f"Teilnehmende Person #{p.id} geändert von {worker.name}" in text
    for noise in ("Letzte Aktivität", "Kalenderstand", "Beginn von", "Start von"):
        assert noise not in text
    english = plain(client.get("/audit", headers=EN).get_data(as_text=True).split("</form>")[-1])
    assert f"Workshop session #{session.id}: Location from Werkstatt to Raum 2, by" in english
    for noise in ("Last activity", "Calendar revision", "Start from"):
        assert noise not in english
