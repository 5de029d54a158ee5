"""The SPEC routes for workshops, sessions, enrolments and attendance (rules 9-11)."""

from __future__ import annotations

from typing import Any

from makerlab import clock
from tests.workshops.conftest import outbox

API = "/api/v1"


def _class(school_id: int, name: str, headcount: int, email: str | None = None) -> dict[str, Any]:
    return {
        "school_id": school_id,
        "class_name": name,
        "headcount": headcount,
        "contact_email": email or f"{name}@schule.example",
    }


def test_workshop_routes(api_as: Any, make_user: Any) -> None:
    coord = api_as("coordinator")
    facilitator = make_user("youth_worker")
    created = coord.post(
        f"{API}/workshops",
        json={
            "title": "Synthesizer-Werkstatt",
            "description": "Wir löten einen Synth.",
            "min_age": 12,
            "max_age": 16,
            "facilitator_id": facilitator.id,
            "equipment_needs": {"synth_kit": 6},
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["equipment_needs"] == {"synth_kit": 6} and body["facilitator_id"] == facilitator.id
    wid = body["id"]
    teacher = api_as("teacher")
    assert teacher.get(f"{API}/workshops/{wid}").status_code == 200
    assert teacher.post(f"{API}/workshops", json={"title": "X"}).status_code == 403
    assert teacher.patch(f"{API}/workshops/{wid}", json={"title": "X"}).status_code == 403
    assert coord.get(f"{API}/workshops").get_json()["total"] == 1
    patched = coord.patch(f"{API}/workshops/{wid}", json={"max_age": 18, "equipment_needs": {}})
    assert patched.status_code == 200 and patched.get_json()["max_age"] == 18
    assert patched.get_json()["equipment_needs"] == {}
    for bad in (
        {"title": "Y", "min_age": 14, "max_age": 10},
        {"title": "Y", "equipment_needs": {"Synth Kit!": 2}},
        {"title": "Y", "equipment_needs": {"synth_kit": -1}},
        {"title": "Y", "facilitator_id": teacher.user.id},
        {"title": "Y", "colour": "red"},
        {"title": ""},
    ):
        response = coord.post(f"{API}/workshops", json=bad)
        assert response.status_code == 422, bad
    assert coord.patch(f"{API}/workshops/{wid}", json={"min_age": 30}).status_code == 422
    assert coord.get(f"{API}/workshops/{wid}").get_json()["min_age"] == 12
    assert coord.get(f"{API}/workshops/9999").status_code == 404


def test_session_routes(api_as: Any, frozen: Any, make_workshop: Any) -> None:
    coord = api_as("coordinator")
    workshop = make_workshop()
    created = coord.post(
        f"{API}/workshops/{workshop.id}/sessions",
        json={
            "starts_at": "2027-03-10T09:00",
            "ends_at": "2027-03-10T12:00",
            "capacity": 20,
            "location": "Werkstatt 1",
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["starts_at"] == "2027-03-10T09:00:00+01:00"  # naive input read in site time
    assert body["workshop_id"] == workshop.id and body["site_id"] == 1
    assert (body["seats_taken"], body["seats_free"], body["waitlist"]) == (0, 20, [])
    assert body["status"] == "scheduled"
    sid = body["id"]
    assert (
        coord.post(
            f"{API}/workshops/{workshop.id}/sessions",
            json={"starts_at": "2027-03-10T12:00", "ends_at": "2027-03-10T09:00", "capacity": 20},
        ).status_code
        == 422
    )
    assert (
        coord.post(
            f"{API}/workshops/{workshop.id}/sessions",
            json={
                "starts_at": "2027-03-10T09:00",
                "ends_at": "2027-03-10T12:00",
                "capacity": 20,
                "site_id": 99,
            },
        ).status_code
        == 422
    )
    assert coord.post(f"{API}/workshops/999/sessions", json={}).status_code == 404
    teacher = api_as("teacher")
    assert teacher.post(f"{API}/workshops/{workshop.id}/sessions", json={}).status_code == 403
    assert teacher.get(f"{API}/sessions/{sid}").status_code == 200
    listed = teacher.get(f"{API}/workshops/{workshop.id}/sessions").get_json()
    assert listed["total"] == 1 and listed["items"][0]["seats_free"] == 20
    moved = coord.patch(
        f"{API}/sessions/{sid}",
        json={"starts_at": "2027-03-11T08:00:00+00:00", "ends_at": "2027-03-11T10:00:00+00:00"},
    )
    assert moved.status_code == 200 and moved.get_json()["starts_at"] == "2027-03-11T09:00:00+01:00"
    assert teacher.delete(f"{API}/sessions/{sid}").status_code == 403
    assert coord.get(f"{API}/sessions/424242").status_code == 404


def test_done_when_a_waitlisted_class_is_confirmed_after_another_cancels(
    api_as: Any, frozen: Any, make_session: Any
) -> None:
    session = make_session(capacity=40)
    first, second = api_as("teacher"), api_as("teacher")
    url = f"{API}/sessions/{session.id}/enrolments"
    early = first.post(url, json=_class(first.user.school_id, "7a", 20, "7a@schule-a.example"))
    assert early.status_code == 201 and early.get_json()["status"] == "confirmed"
    late = second.post(url, json=_class(second.user.school_id, "8b", 25, "8b@schule-b.example"))
    assert late.status_code == 201
    assert late.get_json()["status"] == "waitlisted"
    assert late.get_json()["waitlist_position"] == 1
    late_id = late.get_json()["id"]
    view = second.get(f"{API}/sessions/{session.id}").get_json()
    assert (view["seats_taken"], view["seats_free"], view["waitlist"]) == (20, 20, [late_id])
    # The waitlist notice goes out at once, with the place in line.
    [notice] = outbox("8b@schule-b.example")
    assert notice.kind == "enrolment_waitlisted" and "1" in notice.subject

    cancelled = first.delete(f"{API}/enrolments/{early.get_json()['id']}")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    now = second.get(f"{API}/enrolments/{late_id}").get_json()
    assert now["status"] == "confirmed" and now["waitlist_position"] is None
    mails = outbox("8b@schule-b.example")
    assert [m.kind for m in mails] == ["enrolment_waitlisted", "enrolment_promoted"]
    assert "8b" in mails[1].body_text
    view = second.get(f"{API}/sessions/{session.id}").get_json()
    assert (view["seats_taken"], view["seats_free"], view["waitlist"]) == (25, 15, [])


def test_first_fit_confirms_small_enrolments_and_promotes_in_order(
    api_as: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    coord = api_as("coordinator")
    school = make_school()
    session = make_session(capacity=20)
    url = f"{API}/sessions/{session.id}/enrolments"

    def enrol(name: str, n: int) -> dict[str, Any]:
        response = coord.post(url, json=_class(school.id, name, n))
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())

    a = enrol("a", 15)
    b = enrol("b", 10)  # does not fit: waits whole, never split
    c = enrol("c", 5)  # fits although b waits
    d = enrol("d", 3)
    e = enrol("e", 2)
    assert [x["status"] for x in (a, b, c, d, e)] == [
        "confirmed",
        "waitlisted",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert coord.get(f"{API}/sessions/{session.id}").get_json()["waitlist"] == [
        b["id"],
        d["id"],
        e["id"],
    ]
    assert coord.get(f"{API}/enrolments/{e['id']}").get_json()["waitlist_position"] == 3

    coord.delete(f"{API}/enrolments/{c['id']}")  # 5 free: b (10) does not fit, d (3) and e (2) do
    statuses = {
        x["id"]: coord.get(f"{API}/enrolments/{x['id']}").get_json()["status"] for x in (b, d, e)
    }
    assert statuses == {b["id"]: "waitlisted", d["id"]: "confirmed", e["id"]: "confirmed"}
    promoted = [m.to_address for m in outbox() if m.kind == "enrolment_promoted"]
    assert promoted == ["d@schule.example", "e@schule.example"]

    coord.delete(f"{API}/enrolments/{a['id']}")  # 15 free: b moves up
    assert coord.get(f"{API}/enrolments/{b['id']}").get_json()["status"] == "confirmed"
    view = coord.get(f"{API}/sessions/{session.id}").get_json()
    assert (view["seats_taken"], view["seats_free"], view["waitlist"]) == (15, 5, [])
    assert coord.delete(f"{API}/enrolments/{a['id']}").status_code == 409
    listed = coord.get(f"{url}?status=confirmed").get_json()
    assert listed["total"] == 3


def test_teachers_see_only_their_own_school(
    api_as: Any, frozen: Any, make_session: Any, make_participant: Any, make_school: Any
) -> None:
    session = make_session(capacity=30)
    mine, other = api_as("teacher"), api_as("teacher")
    other_school_name = db_school_name(other.user.school_id)
    url = f"{API}/sessions/{session.id}/enrolments"
    theirs = other.post(url, json={"class_name": "9c", "headcount": 12}).get_json()
    assert theirs["school_id"] == other.user.school_id
    assert theirs["contact_email"] == other.user.email  # defaults to the teacher
    ours = mine.post(url, json=_class(mine.user.school_id, "5a", 10)).get_json()

    assert mine.get(f"{API}/enrolments/{theirs['id']}").status_code == 404
    assert mine.delete(f"{API}/enrolments/{theirs['id']}").status_code == 404
    assert mine.get(f"{API}/enrolments/{ours['id']}").status_code == 200
    listed = mine.get(url)
    assert [e["id"] for e in listed.get_json()["items"]] == [ours["id"]]
    assert other_school_name not in listed.get_data(as_text=True)
    session_body = mine.get(f"{API}/sessions/{session.id}").get_data(as_text=True)
    assert other_school_name not in session_body and "9c" not in session_body

    # Naming another school answers like an unknown school: 422, nothing written.
    refused = mine.post(url, json=_class(other.user.school_id, "6b", 3))
    assert refused.status_code == 422 and "school_id" in refused.get_json()["errors"]
    assert (
        mine.post(url, json=_class(424242, "6b", 3)).get_json()["errors"]
        == refused.get_json()["errors"]
    )
    child = make_participant(school_id=other.user.school_id)
    assert mine.post(url, json={"participant_id": child.id}).status_code == 403
    staff = api_as("youth_worker")
    enrolled = staff.post(url, json={"participant_id": child.id})
    assert enrolled.status_code == 201
    assert mine.get(f"{API}/enrolments/{enrolled.get_json()['id']}").status_code == 404
    # A single pupil's enrolment is not the school's: even their own teacher sees no child.
    assert other.get(f"{API}/enrolments/{enrolled.get_json()['id']}").status_code == 404
    assert child.last_name not in mine.get(url).get_data(as_text=True)
    assert child.last_name not in other.get(url).get_data(as_text=True)
    assert enrolled.get_json()["id"] not in [e["id"] for e in other.get(url).get_json()["items"]]
    assert (
        mine.put(
            f"{API}/enrolments/{ours['id']}/attendance", json={"attended_count": 1}
        ).status_code
        == 403
    )
    assert staff.get(url).get_json()["total"] == 3


def db_school_name(school_id: int) -> str:
    from makerlab.extensions import db
    from makerlab.schools.models import School

    return db.session.get(School, school_id).name


def test_participants_must_fit_age_and_have_consent(
    api_as: Any, frozen: Any, make_session: Any, make_participant: Any, make_workshop: Any
) -> None:
    import datetime as dt

    staff = api_as("youth_worker")
    session = make_session(make_workshop(min_age=12, max_age=16))
    url = f"{API}/sessions/{session.id}/enrolments"
    # Session day is 2027-03-10: born 2015-03-11 is 11 that day, born 2015-03-10 is 12.
    young = make_participant(first_name="Lina", last_name="Klein", birth_date=dt.date(2015, 3, 11))
    refused = staff.post(url, json={"participant_id": young.id})
    assert refused.status_code == 422
    message = " ".join(refused.get_json()["errors"]["participant_id"])
    assert "Lina Klein" in message and "12" in message
    birthday = make_participant(birth_date=dt.date(2015, 3, 10))
    assert staff.post(url, json={"participant_id": birthday.id}).status_code == 201
    no_consent = make_participant(first_name="Ole", last_name="Ohne", guardian_consent=False)
    refused = staff.post(url, json={"participant_id": no_consent.id})
    assert refused.status_code == 422
    assert "Ole Ohne" in " ".join(refused.get_json()["errors"]["participant_id"])
    too_old = make_participant(birth_date=dt.date(2009, 1, 1))
    assert staff.post(url, json={"participant_id": too_old.id}).status_code == 422
    assert staff.post(url, json={"participant_id": 99999}).status_code == 422
    assert staff.post(url, json={"participant_id": birthday.id}).status_code == 409
    both = staff.post(url, json={"participant_id": young.id, "class_name": "7a"})
    assert both.status_code == 422
    assert staff.get(f"{API}/sessions/{session.id}").get_json()["seats_taken"] == 1


def test_attendance(
    api_as: Any, frozen: Any, make_session: Any, make_participant: Any, make_school: Any
) -> None:
    coord, staff = api_as("coordinator"), api_as("youth_worker")
    session = make_session(capacity=21)
    url = f"{API}/sessions/{session.id}/enrolments"
    klass = coord.post(url, json=_class(make_school().id, "7a", 20)).get_json()
    child = staff.post(url, json={"participant_id": make_participant().id}).get_json()
    waiting = coord.post(url, json=_class(make_school().id, "7b", 5)).get_json()
    assert waiting["status"] == "waitlisted"
    early = staff.put(f"{API}/enrolments/{klass['id']}/attendance", json={"attended_count": 18})
    assert early.status_code == 409 and "begonnen" in early.get_json()["detail"]
    clock.set_frozen(session.starts_at)
    recorded = staff.put(f"{API}/enrolments/{klass['id']}/attendance", json={"attended_count": 18})
    assert recorded.status_code == 200 and recorded.get_json()["attended_count"] == 18
    assert (
        staff.put(
            f"{API}/enrolments/{klass['id']}/attendance", json={"attended_count": 21}
        ).status_code
        == 422
    )
    assert (
        staff.put(
            f"{API}/enrolments/{klass['id']}/attendance", json={"attended_count": -1}
        ).status_code
        == 422
    )
    assert (
        staff.put(
            f"{API}/enrolments/{klass['id']}/attendance", json={"attended_count": "many"}
        ).status_code
        == 422
    )
    assert (
        staff.put(
            f"{API}/enrolments/{child['id']}/attendance", json={"attended_count": 2}
        ).status_code
        == 422
    )
    assert (
        staff.put(
            f"{API}/enrolments/{child['id']}/attendance", json={"attended_count": 1}
        ).status_code
        == 200
    )
    assert (
        staff.put(
            f"{API}/enrolments/{waiting['id']}/attendance", json={"attended_count": 1}
        ).status_code
        == 409
    )
    assert staff.get(f"{API}/enrolments/{klass['id']}").get_json()["attended_count"] == 18


def test_capacity_cannot_drop_below_confirmed_seats(
    api_as: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    coord = api_as("coordinator")
    school = make_school()
    session = make_session(capacity=20)
    url = f"{API}/sessions/{session.id}/enrolments"
    coord.post(url, json=_class(school.id, "a", 15))
    waiting = coord.post(url, json=_class(school.id, "b", 8)).get_json()
    refused = coord.patch(f"{API}/sessions/{session.id}", json={"capacity": 14})
    assert refused.status_code == 409 and "15" in refused.get_json()["detail"]
    assert coord.get(f"{API}/sessions/{session.id}").get_json()["capacity"] == 20
    assert coord.patch(f"{API}/sessions/{session.id}", json={"capacity": 15}).status_code == 200
    raised = coord.patch(f"{API}/sessions/{session.id}", json={"capacity": 23}).get_json()
    assert (raised["seats_taken"], raised["seats_free"], raised["waitlist"]) == (23, 0, [])
    assert coord.get(f"{API}/enrolments/{waiting['id']}").get_json()["status"] == "confirmed"
    assert [m.to_address for m in outbox() if m.kind == "enrolment_promoted"] == [
        "b@schule.example"]


def test_cancelling_a_session_tells_every_contact(
    api_as: Any, frozen: Any, make_session: Any, make_participant: Any, make_school: Any
) -> None:
    coord = api_as("coordinator")
    session = make_session(capacity=10)
    url = f"{API}/sessions/{session.id}/enrolments"
    coord.post(url, json=_class(make_school().id, "7a", 9, "lehrerin@schule.example"))
    coord.post(url, json=_class(make_school().id, "7b", 5, "lehrer@schule.example"))  # waitlisted
    child = make_participant(guardian_email="mama@familie.example")
    coord.post(url, json={"participant_id": child.id})
    cancelled = coord.delete(f"{API}/sessions/{session.id}")
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert body["status"] == "cancelled" and body["seats_taken"] == 0 and body["waitlist"] == []
    mails = [m for m in outbox() if m.kind == "session_cancelled"]
    assert sorted(m.to_address for m in mails) == [
        "lehrer@schule.example",
        "lehrerin@schule.example",
        "mama@familie.example",
    ]
    assert {m.kind for m in mails} == {"session_cancelled"}
    assert coord.delete(f"{API}/sessions/{session.id}").status_code == 409
    assert coord.post(url, json=_class(make_school().id, "8a", 1)).status_code == 409
    assert coord.patch(f"{API}/sessions/{session.id}", json={"capacity": 30}).status_code == 409


def test_odd_input_is_refused_cleanly(api_as: Any, frozen: Any, make_session: Any) -> None:
    coord = api_as("coordinator")
    session = make_session()
    wid = session.workshop_id
    far = coord.post(
        f"{API}/workshops/{wid}/sessions",
        json={
            "starts_at": "0332-09-11T00:45:27Z",
            "ends_at": "0340-07-03T04:56:13-16:14",
            "capacity": 3,
        },
    )
    assert far.status_code == 422 and "starts_at" in far.get_json()["errors"]
    assert coord.post(f"{API}/workshops", json={"title": "A\x00B"}).status_code == 422
    assert (
        coord.patch(f"{API}/sessions/{session.id}", json={"location": "Raum\x00"}).status_code
        == 422
    )
    huge = 2**63 + 5
    assert coord.get(f"{API}/sessions/{huge}").status_code == 404
    assert coord.get(f"{API}/enrolments/{huge}").status_code == 404
    assert coord.get(f"{API}/workshops/{huge}/sessions").status_code == 404
    url = f"{API}/sessions/{session.id}/enrolments"
    assert coord.post(url, json={"participant_id": huge}).status_code == 422
    assert (
        coord.post(url, json={"school_id": huge, "class_name": "7a", "headcount": 3}).status_code
        == 422
    )
    assert (
        coord.post(url, json={"class_name": "7\x00a", "headcount": 3, "school_id": 1}).status_code
        == 422
    )
    assert (
        coord.post(url, data="{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert coord.get(f"{API}/sessions/{session.id}").get_json()["seats_taken"] == 0


def test_sessions_that_have_started_take_no_enrolments_from_teachers(
    api_as: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    """Over or under way: teachers enrol no more (409); staff record classes that came."""
    import datetime as dt

    session = make_session(
        starts_at=dt.datetime(2027, 3, 2, 8, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 2, 11, tzinfo=dt.UTC),
    )
    staff = api_as("youth_worker")
    enrolled = staff.post(
        f"{API}/sessions/{session.id}/enrolments", json=_class(make_school().id, "7c", 12)
    )
    assert enrolled.status_code == 201
    under_way = dt.datetime(2027, 3, 2, 8, 0, tzinfo=dt.UTC)  # its very start
    for now in (under_way, dt.datetime(2027, 3, 5, 9, 0, tzinfo=dt.UTC)):  # and days later
        clock.set_frozen(now)
        url = f"{API}/sessions/{session.id}/enrolments"
        late = api_as("teacher").post(url, json={"class_name": "7a", "headcount": 3})
        assert late.status_code == 409
        assert late.headers["Content-Type"].startswith("application/problem+json")
        assert "Einschreibungen sind geschlossen" in late.get_json()["detail"]
        staff = api_as("youth_worker")  # recording a class that came unannounced
        recorded = staff.post(url, json=_class(make_school().id, f"7b{now.day}", 4))
        assert recorded.status_code == 201, recorded.get_json()
        came = staff.put(
            f"{API}/enrolments/{enrolled.get_json()['id']}/attendance",
            json={"attended_count": 11},
        )
        assert came.status_code == 200
    assert staff.get(f"{API}/sessions/{session.id}").get_json()["seats_taken"] == 12 + 4 + 4


def test_a_session_that_is_over_cannot_be_cancelled_nor_its_enrolments_by_teachers(
    api_as: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    """Cancelling afterwards would mail every contact about something that took place."""
    import datetime as dt

    session = make_session(
        starts_at=dt.datetime(2027, 3, 2, 8, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 2, 11, tzinfo=dt.UTC),
    )
    school = make_school()
    teacher = api_as("teacher", school_id=school.id)
    enrolled = teacher.post(f"{API}/sessions/{session.id}/enrolments",
                            json={"class_name": "5a", "headcount": 10})
    assert enrolled.status_code == 201, enrolled.get_json()
    clock.set_frozen(dt.datetime(2027, 3, 2, 9, 0, tzinfo=dt.UTC))  # under way
    late = teacher.delete(f"{API}/enrolments/{enrolled.get_json()['id']}")
    assert late.status_code == 409
    assert "begonnen" in late.get_json()["detail"]
    clock.set_frozen(dt.datetime(2027, 3, 3, 9, 0, tzinfo=dt.UTC))  # the day after
    coordinator = api_as("coordinator")
    refused = coordinator.delete(f"{API}/sessions/{session.id}")
    assert refused.status_code == 409
    assert "vorbei" in refused.get_json()["detail"]
    session_now = coordinator.get(f"{API}/sessions/{session.id}").get_json()
    assert session_now["status"] == "scheduled" and session_now["seats_taken"] == 10
