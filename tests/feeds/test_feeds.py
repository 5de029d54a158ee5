"""Calendar feeds: their own secrets, what each holds, and everything that ends them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.auth.services import issue_token, revoke_all_tokens, update_user
from makerlab.extensions import db
from makerlab.feeds.models import CalendarFeed
from tests.conftest import at

UTC = dt.UTC


def _events(body: bytes) -> dict[str, Any]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _path(url: str) -> str:
    """The path of an absolute feed URL (the test client takes paths)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def unit_with_bookings(
    frozen: Any, make_unit: Any, make_booking: Any, make_user: Any, make_participant: Any
) -> dict[str, Any]:
    owner = make_user("youth_worker")
    unit = make_unit(name="Laser 60 W", category="laser_cutter", location="Laserraum")
    kept = make_booking(
        unit,
        at("2027-01-05", "10:00"),
        at("2027-01-05", "12:00"),
        booked_by_id=owner.id,
        purpose="Schilder",
    )
    child = make_participant(first_name="Wilhelmine", last_name="Zwiebelhaus")
    kept.participants.append(child)
    db.session.commit()
    gone = make_booking(
        unit,
        at("2027-01-06", "10:00"),
        at("2027-01-06", "12:00"),
        booked_by_id=owner.id,
        status="cancelled",
    )
    other = make_booking(
        make_unit(name="Prusa"), at("2027-01-07", "09:00"), at("2027-01-07", "10:00")
    )
    return {"owner": owner, "unit": unit, "kept": kept, "gone": gone, "other": other}


# --- the browser's own downloads ------------------------------------------------------


def test_unit_calendar_for_a_staff_session(
    client: Any, login_as: Any, unit_with_bookings: dict[str, Any]
) -> None:
    login_as("youth_worker")
    unit, kept, gone = (unit_with_bookings[k] for k in ("unit", "kept", "gone"))
    response = client.get(f"/calendar/equipment/{unit.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    events = _events(response.data)
    assert set(events) == {f"booking-{kept.id}@makerlab", f"booking-{gone.id}@makerlab"}
    event = events[f"booking-{kept.id}@makerlab"]
    assert event.decoded("DTSTART") == at("2027-01-05", "10:00")
    assert event.decoded("DTEND") == at("2027-01-05", "12:00")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Schilder" in str(event["SUMMARY"]) and str(event["LOCATION"]) == "Laserraum"
    assert str(events[f"booking-{gone.id}@makerlab"]["STATUS"]) == "CANCELLED"
    assert b"Zwiebelhaus" not in response.data and b"Wilhelmine" not in response.data


def test_uids_stay_stable_when_a_booking_changes(
    client: Any, login_as: Any, unit_with_bookings: dict[str, Any]
) -> None:
    login_as("coordinator")
    unit, kept = unit_with_bookings["unit"], unit_with_bookings["kept"]
    before = _events(client.get(f"/calendar/equipment/{unit.id}.ics").data)
    kept.status = "cancelled"
    kept.ends_at = at("2027-01-05", "11:00")
    db.session.commit()
    after = _events(client.get(f"/calendar/equipment/{unit.id}.ics").data)
    assert set(before) == set(after)
    uid = f"booking-{kept.id}@makerlab"
    assert str(after[uid]["STATUS"]) == "CANCELLED"
    assert after[uid].decoded("DTEND") == at("2027-01-05", "11:00")


def test_an_api_token_in_a_calendar_url_opens_nothing(
    client: Any, make_user: Any, login_as: Any, unit_with_bookings: dict[str, Any]
) -> None:
    unit = unit_with_bookings["unit"]
    token = issue_token(unit_with_bookings["owner"], "calendar")
    db.session.commit()
    assert client.get(f"/calendar/me.ics?token={token}").status_code == 401
    assert client.get(f"/calendar/equipment/{unit.id}.ics?token={token}").status_code == 401
    assert client.get(f"/feeds/{token}.ics").status_code == 404
    login_as("teacher")
    assert client.get(f"/calendar/equipment/{unit.id}.ics").status_code == 403
    assert client.get("/calendar/me.ics").status_code == 403


# --- feeds with their own secrets --------------------------------------------------------


def test_a_feed_url_works_without_login_and_is_no_bearer_token(
    app: Any, api_as: Any, unit_with_bookings: dict[str, Any]
) -> None:
    owner, kept, gone = (unit_with_bookings[k] for k in ("owner", "kept", "gone"))
    token = issue_token(owner, "phone")
    db.session.commit()
    api = api_as("youth_worker")
    api.token = token  # the owner's own API client
    created = api.post("/api/v1/feeds", json={"kind": "mine"})
    assert created.status_code == 201, created.json
    body = created.json
    assert set(body) >= {"id", "kind", "url"} and body["kind"] == "mine"
    assert body["webcal_url"] == "webcal://" + body["url"].split("://", 1)[1]
    secret = body["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) >= 40
    # Stored only as a hash.
    stored = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.id == body["id"]))
    assert stored is not None and secret not in stored.secret_hash

    anonymous = app.test_client()
    response = anonymous.get(_path(body["url"]))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert set(_events(response.data)) == {
        f"booking-{kept.id}@makerlab",
        f"booking-{gone.id}@makerlab",
    }
    assert b"Zwiebelhaus" not in response.data
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # The secret opens the feed and nothing else.
    refused = anonymous.get("/api/v1/bookings", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401


def test_feeds_outlive_api_tokens_and_end_when_revoked(
    app: Any, client: Any, unit_with_bookings: dict[str, Any]
) -> None:
    owner = unit_with_bookings["owner"]
    token = issue_token(owner, "setup")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    body = client.post("/api/v1/feeds", json={"kind": "mine"}, headers=bearer).json
    path = _path(body["url"])
    revoke_all_tokens(owner)
    db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    # Revoked through the API (with a new token): 404 at once.
    token = issue_token(owner, "again")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/feeds", headers=bearer).json["total"] == 1
    assert client.delete(f"/api/v1/feeds/{body['id']}", headers=bearer).status_code == 204
    assert anonymous.get(path).status_code == 404
    assert client.delete(f"/api/v1/feeds/{body['id']}", headers=bearer).status_code == 404
    assert client.get("/api/v1/feeds", headers=bearer).json == {"items": [], "total": 0}


def test_deactivating_the_owner_ends_the_feed(
    app: Any, make_user: Any, unit_with_bookings: dict[str, Any]
) -> None:
    from makerlab.feeds.services import create_feed

    owner = unit_with_bookings["owner"]
    _feed, secret = create_feed(owner, "mine")
    db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get(f"/feeds/{secret}.ics").status_code == 200
    update_user(make_user("admin"), owner, {"active": False})
    db.session.commit()
    assert anonymous.get(f"/feeds/{secret}.ics").status_code == 404
    # A role that may no longer read the calendar ends it too.
    update_user(None, owner, {"active": True, "role": "teacher", "school_id": _school_id()})
    db.session.commit()
    assert anonymous.get(f"/feeds/{secret}.ics").status_code == 404


def _school_id() -> int:
    from makerlab.schools.models import School

    school = School(name="Grundschule Am Tulpenbrunnen", address="", contact_email="")
    db.session.add(school)
    db.session.flush()
    return school.id


def test_unit_feed_and_the_kinds_each_role_may_have(
    app: Any, api_as: Any, unit_with_bookings: dict[str, Any]
) -> None:
    unit, kept = unit_with_bookings["unit"], unit_with_bookings["kept"]
    staff = api_as("coordinator")
    assert staff.post("/api/v1/feeds", json={"kind": "equipment"}).status_code == 422
    assert (
        staff.post("/api/v1/feeds", json={"kind": "equipment", "equipment_id": 999}).status_code
        == 422
    )
    assert (
        staff.post("/api/v1/feeds", json={"kind": "mine", "equipment_id": unit.id}).status_code
        == 422
    )
    assert staff.post("/api/v1/feeds", json={"kind": "everything"}).status_code == 422
    assert staff.post("/api/v1/feeds", json={"kind": "school"}).status_code == 403
    created = staff.post("/api/v1/feeds", json={"kind": "equipment", "equipment_id": unit.id})
    assert created.status_code == 201 and created.json["equipment_id"] == unit.id
    events = _events(app.test_client().get(_path(created.json["url"])).data)
    assert f"booking-{kept.id}@makerlab" in events
    teacher = api_as("teacher")
    assert teacher.post("/api/v1/feeds", json={"kind": "mine"}).status_code == 403
    # Nobody sees or revokes another's feed.
    assert teacher.get("/api/v1/feeds").json["total"] == 0
    assert teacher.delete(f"/api/v1/feeds/{created.json['id']}").status_code == 404


def test_teachers_feed_holds_their_schools_sessions_without_names(
    app: Any,
    api_as: Any,
    make_school: Any,
    make_session: Any,
    make_participant: Any,
) -> None:
    from makerlab.workshops import services as workshops

    clock.set_frozen(dt.datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    teacher = api_as("teacher")
    school_id = teacher.user.school_id
    ours = make_session()
    theirs = make_session()
    dropped = make_session()
    staff = make_user_for(app, "coordinator")
    workshops.enrol(staff, ours, school_id=school_id, class_name="7b", headcount=20,
                    contact_email="7b@schule.example")
    workshops.enrol(staff, theirs, school_id=make_school().id, class_name="8a", headcount=5,
                    contact_email="8a@schule.example")
    child = make_participant(first_name="Wilhelmine", last_name="Zwiebelhaus")
    workshops.enrol(staff, ours, participant_id=child.id)
    gone = workshops.enrol(staff, dropped, school_id=school_id, class_name="9c", headcount=3,
                           contact_email="9c@schule.example")
    workshops.cancel_enrolment(staff, gone)
    db.session.commit()
    created = teacher.post("/api/v1/feeds", json={"kind": "school"})
    assert created.status_code == 201, created.json
    response = app.test_client().get(_path(created.json["url"]))
    assert response.status_code == 200
    events = _events(response.data)
    assert set(events) == {f"session-{ours.id}@localhost"}
    description = str(events[f"session-{ours.id}@localhost"]["DESCRIPTION"])
    assert "7b" in description and "20" in description
    assert b"Zwiebelhaus" not in response.data and b"Wilhelmine" not in response.data
    # The session cancelled: still in the feed, marked as cancelled.
    workshops.cancel_session(staff, ours)
    db.session.commit()
    events = _events(app.test_client().get(_path(created.json["url"])).data)
    assert str(events[f"session-{ours.id}@localhost"]["STATUS"]) == "CANCELLED"


def make_user_for(app: Any, role: str) -> Any:
    from makerlab.auth.models import User

    user = User(email=f"{role}@feeds.example", name=role, role=role, password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def test_public_programme_feed(
    app: Any, make_session: Any, make_school: Any, make_participant: Any
) -> None:
    from makerlab.workshops import services as workshops

    clock.set_frozen(dt.datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    running = make_session()
    called_off = make_session()
    long_ago = make_session(
        starts_at=dt.datetime(2026, 9, 1, 8, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 9, 1, 10, 0, tzinfo=UTC),
    )
    staff = make_user_for(app, "coordinator")
    child = make_participant(first_name="Wilhelmine", last_name="Zwiebelhaus")
    workshops.enrol(staff, running, participant_id=child.id)
    workshops.enrol(staff, running, school_id=make_school().id, class_name="Klasse Zwiebel",
                    headcount=4, contact_email="zwiebel@schule.example")
    workshops.cancel_session(staff, called_off)
    db.session.commit()
    response = app.test_client().get("/programme.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = _events(response.data)
    assert set(events) == {f"session-{running.id}@localhost", f"session-{called_off.id}@localhost"}
    assert str(events[f"session-{called_off.id}@localhost"]["STATUS"]) == "CANCELLED"
    assert f"session-{long_ago.id}@" not in response.get_data(as_text=True)
    assert b"Zwiebel" not in response.data


# --- the page ------------------------------------------------------------------------------


def test_feeds_page_creates_shows_once_and_revokes(
    app: Any, client: Any, login_as: Any, make_unit: Any
) -> None:
    login_as("youth_worker")
    unit = make_unit(name="Plotter")
    page = client.get("/account/feeds")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/programme.ics" in text and "webcal://" in text
    created = client.post("/account/feeds", data={"kind": "equipment", "equipment_id": unit.id})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    feed = db.session.scalar(sa.select(CalendarFeed))
    assert feed is not None and feed.equipment_id == unit.id
    start = html.index("http://localhost/feeds/")
    url = html[start : html.index('"', start)]
    assert "webcal://localhost/feeds/" in html
    assert app.test_client().get(_path(url)).status_code == 200
    # Shown once: the list does not repeat the address.
    assert "/feeds/" not in client.get("/account/feeds").get_data(as_text=True).replace(
        f"/account/feeds/{feed.id}/revoke", ""
    )
    question = client.get(f"/account/feeds/{feed.id}/revoke")
    assert question.status_code == 200 and "Plotter" in question.get_data(as_text=True)
    assert client.post(f"/account/feeds/{feed.id}/revoke").status_code == 302
    assert app.test_client().get(_path(url)).status_code == 404
    assert client.get(f"/account/feeds/{feed.id}/revoke").status_code == 404


def test_teachers_page_offers_the_school_feed_only(client: Any, login_as: Any) -> None:
    login_as("teacher")
    html = client.get("/account/feeds").get_data(as_text=True)
    assert 'value="school"' in html and 'value="mine"' not in html
    assert client.post("/account/feeds", data={"kind": "mine"}).status_code == 403
    assert client.post("/account/feeds", data={"kind": "school"}).status_code == 200
    assert db.session.scalar(sa.select(CalendarFeed.kind)) == "school"
