"""Registering participants, consent history, inductions and the pages staff use."""

from __future__ import annotations

import base64
import datetime as dt
import zlib
from typing import Any

import sqlalchemy as sa

from makerlab import clock
from makerlab.extensions import db
from makerlab.participants import services
from makerlab.participants.models import ConsentRecord, Induction, Participant

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
EN = {"Accept-Language": "en"}


def _count(model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_youth_worker_registers_inducts_and_is_refused_the_laser(api_as: Any, laser: Any) -> None:
    """Issue 5 "done when": a 13-year-old with consent and induction may not use a 14+ laser."""
    clock.set_frozen(NOW)
    api = api_as("youth_worker")
    created = api.post(
        "/api/v1/participants",
        json={
            "first_name": "Lotta",
            "last_name": "Dreizehn",
            "birth_date": "2013-09-01",
            "guardian_name": "Jan Dreizehn",
            "guardian_phone": "+49 345 112233",
            "guardian_consent": True,
            "photo_consent": True,
        },
    )
    assert created.status_code == 201, created.get_json()
    child = created.get_json()
    assert child["guardian_consent_on"] == "2027-03-10"  # defaults to today
    induction = api.post(
        f"/api/v1/participants/{child['id']}/inductions",
        json={"category": "laser_cutter", "completed_on": "2027-03-10"},
    )
    assert induction.status_code == 201 and induction.get_json()["valid"] is True
    booking = api.post(
        "/api/v1/bookings",
        headers=EN,
        json={
            "equipment_id": laser.id,
            "starts_at": "2027-03-11T10:00:00+01:00",
            "ends_at": "2027-03-11T11:00:00+01:00",
            "participant_ids": [child["id"]],
        },
    )
    assert booking.status_code == 422, booking.get_json()
    problems = " ".join(booking.get_json()["errors"]["participant_ids"])
    assert "Lotta Dreizehn is 13; the minimum age is 14." in problems
    assert "induction" not in problems and "consent" not in problems
    assert api.get("/api/v1/bookings").get_json()["total"] == 0


def test_invalid_input_is_422_and_changes_nothing(api_as: Any) -> None:
    clock.set_frozen(NOW)
    api = api_as("coordinator")
    bad = [
        {"first_name": "Ada"},
        {"first_name": "Ada", "last_name": "  "},
        {"first_name": "Ada", "last_name": "B", "school_id": 4711},
        {"first_name": "Ada", "last_name": "B", "guardian_email": "kein-at"},
        {"first_name": "Ada", "last_name": "B", "birth_date": "2030-01-01"},
        {
            "first_name": "Ada",
            "last_name": "B",
            "guardian_consent": True,
            "guardian_consent_on": "2027-04-01",
        },
        {"first_name": "Ada", "last_name": "B", "guardian_phone": "ruf mich an"},
        {"first_name": "Ada", "last_name": "B", "shoe_size": 38},
    ]
    for body in bad:
        response = api.post("/api/v1/participants", json=body)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json" and response.get_json()["errors"]
    assert _count(Participant) == 0
    assert (
        api.post(
            "/api/v1/participants", data="{nope", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_consent_revocation_keeps_history(api_as: Any, make_participant: Any) -> None:
    clock.set_frozen(NOW)
    api = api_as("youth_worker")
    p = make_participant(
        guardian_consent=True, guardian_consent_on=dt.date(2027, 1, 15), photo_consent=True
    )
    url = f"/api/v1/participants/{p.id}"
    revoked = api.patch(url, json={"guardian_consent": False, "photo_consent": False})
    assert revoked.status_code == 200
    body = revoked.get_json()
    assert body["guardian_consent"] is False and body["guardian_consent_on"] is None
    clock.set_frozen(NOW + dt.timedelta(days=2))
    again = api.patch(url, json={"guardian_consent": True, "guardian_consent_on": "2027-03-12"})
    assert again.get_json()["guardian_consent_on"] == "2027-03-12"
    api.patch(url, json={"notes": "nothing about consent"})
    history = db.session.execute(
        sa.select(ConsentRecord.kind, ConsentRecord.granted, ConsentRecord.effective_on)
        .where(ConsentRecord.participant_id == p.id)
        .order_by(ConsentRecord.id)
    ).all()
    assert [tuple(r) for r in history] == [
        ("guardian", True, dt.date(2027, 1, 15)),
        ("photo", True, dt.date(2027, 3, 10)),
        ("guardian", False, dt.date(2027, 3, 10)),
        ("photo", False, dt.date(2027, 3, 10)),
        ("guardian", True, dt.date(2027, 3, 12)),
    ]


def test_consent_history_on_the_page(client: Any, login_as: Any, make_participant: Any) -> None:
    clock.set_frozen(NOW)
    p = make_participant(photo_consent=True)
    services.update_participant(None, p, photo_consent=False)
    db.session.commit()
    login_as("youth_worker")
    text = client.get(f"/participants/{p.id}", headers=EN).get_data(as_text=True)
    assert "Consent history" in text and "revoked" in text and "given" in text
    assert "No photos/audio" in text and "Must be picked up" in text
    assert 'href="tel:0345123456"' in text


def test_inductions_validity_and_machines(
    api_as: Any, make_participant: Any, laser: Any, printer: Any
) -> None:
    clock.set_frozen(NOW)
    api = api_as("youth_worker")
    p = make_participant(birth_date=dt.date(2010, 1, 1))
    url = f"/api/v1/participants/{p.id}/inductions"
    old = api.post(
        url,
        json={
            "category": "laser_cutter",
            "completed_on": "2025-01-01",
            "valid_until": "2026-01-01",
        },
    )
    assert old.status_code == 201 and old.get_json()["valid"] is False
    machines = {m["category"]: m for m in services.machine_permissions(p)}
    assert machines["3d_printer"]["allowed"] and not machines["laser_cutter"]["allowed"]
    assert machines["laser_cutter"]["reasons"]
    api.post(
        url,
        json={
            "category": "laser_cutter",
            "completed_on": "2027-03-01",
            "valid_until": "2028-03-01",
        },
    )
    assert services.machine_permissions(p)[1]["allowed"] is True
    listed = api.get(url).get_json()
    assert listed["total"] == 2 and [i["valid"] for i in listed["items"]] == [True, False]
    for bad in (
        {"category": "Laser Cutter!", "completed_on": "2027-03-01"},
        {"category": "laser_cutter", "completed_on": "2027-04-01"},
        {"category": "laser_cutter", "completed_on": "2027-03-01", "valid_until": "2027-02-01"},
        {"completed_on": "2027-03-01"},
    ):
        assert api.post(url, json=bad).status_code == 422, bad
    assert _count(Induction) == 2


def test_inductions_due_to_expire(client: Any, login_as: Any, make_participant: Any) -> None:
    clock.set_frozen(NOW)
    soon = make_participant(last_name="Baldweg")
    renewed = make_participant(last_name="Erneuert")
    forever = make_participant(last_name="Dauerhaft")
    later = make_participant(last_name="Spaeter")
    today = dt.date(2027, 3, 10)
    services.record_induction(
        None,
        soon,
        category="laser_cutter",
        completed_on=today,
        valid_until=today + dt.timedelta(days=10),
    )
    services.record_induction(
        None,
        renewed,
        category="laser_cutter",
        completed_on=today,
        valid_until=today + dt.timedelta(days=5),
    )
    services.record_induction(
        None,
        renewed,
        category="laser_cutter",
        completed_on=today,
        valid_until=today + dt.timedelta(days=365),
    )
    services.record_induction(None, forever, category="3d_printer", completed_on=today)
    services.record_induction(
        None,
        later,
        category="3d_printer",
        completed_on=today,
        valid_until=today + dt.timedelta(days=31),
    )
    db.session.commit()
    rows = services.expiring_inductions(None)
    assert [(p.id, c, u) for p, c, u in rows] == [
        (soon.id, "laser_cutter", today + dt.timedelta(days=10))
    ]
    login_as("youth_worker")
    text = client.get("/participants/inductions/expiring").get_data(as_text=True)
    assert "Baldweg" in text and "Erneuert" not in text and "Spaeter" not in text


def test_search_by_name_and_school(api_as: Any, make_school: Any, make_participant: Any) -> None:
    a, b = make_school(), make_school()
    make_participant(first_name="Karla", last_name="Kolumna", school_id=a.id)
    make_participant(first_name="Karl", last_name="Klammer", school_id=b.id)
    make_participant(first_name="Till", last_name="Kolumna", school_id=b.id)
    api = api_as("youth_worker")

    def names(query: str) -> list[str]:
        items = api.get(f"/api/v1/participants?{query}").get_json()["items"]
        return [f"{i['first_name']} {i['last_name']}" for i in items]

    assert names("q=kolumna") == ["Karla Kolumna", "Till Kolumna"]
    assert names("q=karl") == ["Karl Klammer", "Karla Kolumna"]
    assert names("q=karl kol") == ["Karla Kolumna"]
    assert names(f"school_id={b.id}") == ["Karl Klammer", "Till Kolumna"]
    assert names("q=100%25") == []
    assert api.get("/api/v1/participants?limit=1").get_json()["total"] == 3


def test_staff_register_and_edit_in_the_browser(
    client: Any, login_as: Any, make_school: Any
) -> None:
    clock.set_frozen(NOW)
    school = make_school()
    login_as("youth_worker")
    assert client.get("/participants/new").status_code == 200
    response = client.post(
        "/participants/new",
        data={
            "first_name": "Mats",
            "last_name": "Formular",
            "birth_date": "2014-02-03",
            "school_id": school.id,
            "guardian_name": "Eva Formular",
            "guardian_phone": "bitte anrufen",
            "guardian_email": "",
            "guardian_consent": "y",
            "guardian_consent_on": "",
            "notes": "",
        },
    )
    assert response.status_code == 422  # not a phone number: form shown again
    assert _count(Participant) == 0
    response = client.post(
        "/participants/new",
        data={
            "first_name": "Mats",
            "last_name": "Formular",
            "birth_date": "2014-02-03",
            "school_id": school.id,
            "guardian_name": "Eva Formular",
            "guardian_phone": "0345 998877",
            "guardian_email": "eva@familie.example",
            "guardian_consent": "y",
            "guardian_consent_on": "",
            "photo_consent": "y",
            "notes": "",
        },
    )
    assert response.status_code == 302
    p = db.session.scalar(sa.select(Participant))
    assert p.guardian_consent_on == dt.date(2027, 3, 10) and p.birth_year == 2014
    assert p.guardian_email == "eva@familie.example" and p.notes is None
    edit = client.post(
        f"/participants/{p.id}/edit",
        data={
            "first_name": "Mats",
            "last_name": "Formular",
            "birth_date": "2014-02-03",
            "school_id": school.id,
            "guardian_name": "Eva Formular",
            "guardian_phone": "0345 998877",
            "guardian_email": "eva@familie.example",
            "photo_consent": "y",
            "may_go_home_alone": "y",
            "notes": "",
        },
    )
    assert edit.status_code == 302
    db.session.refresh(p)
    assert p.guardian_consent is False and p.may_go_home_alone is True
    assert [c.granted for c in services.consent_history(p) if c.kind == "guardian"] == [False, True]
    induct = client.post(
        f"/participants/{p.id}/inductions/new",
        data={"category": "podcast_kit", "completed_on": "2027-03-10", "valid_until": ""},
    )
    assert induct.status_code == 302
    detail = client.get(f"/participants/{p.id}", headers=EN).get_data(as_text=True)
    assert "Podcast kit" in detail and "no expiry" in detail


def test_participant_names_never_reach_the_logs(api_as: Any, caplog: Any, laser: Any) -> None:
    clock.set_frozen(NOW)
    api = api_as("coordinator")
    caplog.set_level("DEBUG")
    created = api.post(
        "/api/v1/participants",
        json={"first_name": "Geheimrat", "last_name": "Logfrei", "birth_date": "2012-01-01"},
    ).get_json()
    api.patch(f"/api/v1/participants/{created['id']}", json={"notes": "Logfrei bleibt"})
    api.get(f"/api/v1/participants/{created['id']}/export")
    api.delete(f"/api/v1/participants/{created['id']}")
    assert "Logfrei" not in caplog.text and "Geheimrat" not in caplog.text


def test_search_page_keeps_names_out_of_urls_and_the_session_cookie(
    client: Any, login_as: Any, make_school: Any, make_participant: Any
) -> None:
    school = make_school()
    for n in range(30):
        make_participant(first_name=f"Wanda{n:02d}", last_name="Suchbar", school_id=school.id)
    make_participant(first_name="Xaver", last_name="Anders")
    login_as("youth_worker")
    response = client.post("/participants", data={"q": "suchbar", "school_id": 0})
    assert response.status_code == 200  # answered at once: no redirect, no URL with the name
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert "Suchbar" in text and "Anders" not in text and "Wanda00" in text
    assert "Wanda29" not in text  # 25 a page
    assert "suchbar" not in "".join(response.headers.getlist("Set-Cookie")).lower()
    cookie = client.get_cookie("session")
    assert cookie is None or "suchbar" not in _session_text(cookie.value).lower()
    second = client.post("/participants", data={"q": "suchbar", "school_id": 0, "page": 2})
    assert "Wanda29" in second.get_data(as_text=True)
    assert "Wanda00" not in second.get_data(as_text=True)
    by_school = client.post("/participants", data={"q": "", "school_id": school.id})
    assert "Suchbar" in by_school.get_data(as_text=True)
    assert "Anders" not in by_school.get_data(as_text=True)
    # The plain page forgets the search: everyone, paged by ?page=.
    text = client.get("/participants").get_data(as_text=True)
    assert "Anders" in text


def _session_text(value: str) -> str:
    """The readable payload of Flask's signed session cookie (base64, maybe zlib)."""
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if value.startswith(".") else raw).decode("utf-8", "replace")
