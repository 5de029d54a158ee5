"""A class of a school once per session; attendance only once the session has begun."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.extensions import db
from makerlab.workshops.models import Enrolment

API = "/api/v1"


def _class(school_id: int, name: str, headcount: int = 10) -> dict[str, Any]:
    return {
        "school_id": school_id,
        "class_name": name,
        "headcount": headcount,
        "contact_email": "klasse@schule.example",
    }


def test_the_same_class_twice_in_one_session_is_a_conflict(
    api_as: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    coord = api_as("coordinator")
    school, other = make_school().id, make_school().id
    session, later = make_session(capacity=40), make_session(capacity=40)
    url = f"{API}/sessions/{session.id}/enrolments"
    first = coord.post(url, json=_class(school, "7b"))
    assert first.status_code == 201
    for spelling in ("7b", "7B", " 7 b ", "7\tB"):
        again = coord.post(url, json=_class(school, spelling))
        assert again.status_code == 409, spelling
        assert again.get_json()["enrolment_id"] == first.get_json()["id"]
    # Another class, another school, another session: all fine.
    assert coord.post(url, json=_class(school, "7c")).status_code == 201
    assert coord.post(url, json=_class(other, "7b")).status_code == 201
    later_url = f"{API}/sessions/{later.id}/enrolments"
    assert coord.post(later_url, json=_class(school, "7b")).status_code == 201
    # A cancelled enrolment does not count.
    assert coord.delete(f"{API}/enrolments/{first.get_json()['id']}").status_code == 200
    assert coord.post(url, json=_class(school, "7B")).status_code == 201
    items = coord.get(url).get_json()["items"]
    assert sum(e["seats"] for e in items if e["status"] != "cancelled") == 30


def test_teachers_page_refuses_their_class_twice(
    client: Any, login_as: Any, frozen: Any, make_session: Any
) -> None:
    teacher = login_as("teacher")
    session = make_session()
    form = {"school_id": teacher.school_id, "class_name": "5a", "headcount": 12,
            "contact_email": teacher.email}
    assert client.post(f"/sessions/{session.id}/enrol", data=form).status_code == 302
    again = client.post(f"/sessions/{session.id}/enrol", data={**form, "class_name": "5 A"})
    assert again.status_code == 409
    assert "5 A" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 1


def test_the_database_keeps_one_active_class_per_session(
    app: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    session = make_session()
    school = make_school()

    def add(name: str, status: str = "confirmed") -> None:
        db.session.add(
            Enrolment(session_id=session.id, school_id=school.id, class_name=name,
                      headcount=5, seats=5, contact_email="k@schule.example", status=status)
        )
        db.session.flush()

    add("8a", status="cancelled")
    add("8a")
    with pytest.raises(sa.exc.IntegrityError):
        add("8 A")
    db.session.rollback()


def test_attendance_waits_for_the_start(
    api_as: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    staff = api_as("youth_worker")
    session = make_session()
    klass = staff.post(
        f"{API}/sessions/{session.id}/enrolments", json=_class(make_school().id, "6d", 12)
    ).get_json()
    url = f"{API}/enrolments/{klass['id']}/attendance"
    assert staff.put(url, json={"attended_count": 11}).status_code == 409
    assert staff.get(f"{API}/enrolments/{klass['id']}").get_json()["attended_count"] is None
    clock.set_frozen(session.starts_at)
    assert staff.put(url, json={"attended_count": 11}).status_code == 200
