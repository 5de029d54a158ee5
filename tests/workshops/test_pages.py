"""The workshop pages: programme, teacher portal, running a session, planning."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from makerlab import clock
from makerlab.extensions import db
from makerlab.workshops.models import Enrolment
from tests.workshops.conftest import outbox


def _enrolments(session_id: int) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment).where(Enrolment.session_id == session_id).order_by(Enrolment.id)
        )
    )


def test_programme_is_public_and_shows_no_personal_data(
    client: Any,
    frozen: Any,
    make_session: Any,
    make_participant: Any,
    make_school: Any,
    make_workshop: Any,
    make_user: Any,
) -> None:
    from makerlab.workshops import services

    facilitator = make_user("youth_worker", name="Fatima Facilitatorin")
    workshop = make_workshop(title="Podcast-Labor", facilitator_id=facilitator.id)
    session = make_session(workshop, capacity=24)
    school = make_school(name="Gymnasium Geheimhausen")
    child = make_participant(first_name="Mira", last_name="Muster")
    actor = make_user("coordinator")
    services.enrol(
        actor,
        session,
        school_id=school.id,
        class_name="Klasse Zaunkoenig",
        headcount=20,
        contact_email="lehrerin@geheim.example",
    )
    services.enrol(actor, session, participant_id=child.id)
    db.session.commit()
    page = client.get("/programme")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Podcast-Labor" in html and "3" in html
    for secret in (
        "Gymnasium Geheimhausen",
        "Zaunkoenig",  # the class name (a short one such as 7c can occur in a hash)
        "lehrerin@geheim.example",
        "Mira",
        "Muster",
        "Fatima",
        facilitator.email,
        actor.email,
    ):
        assert secret not in html
    past = make_session(
        workshop,
        starts_at=dt.datetime(2027, 2, 1, 8, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 2, 1, 10, tzinfo=dt.UTC),
    )
    assert f"/sessions/{past.id}" not in client.get("/programme").get_data(as_text=True)


def test_teacher_portal_done_when(
    client: Any, login_as: Any, frozen: Any, make_session: Any, make_school: Any, make_user: Any
) -> None:
    from makerlab.workshops import services

    session = make_session(capacity=40)
    other_school = make_school(name="Grundschule Nachbarort")
    first = services.enrol(
        make_user("coordinator"),
        session,
        school_id=other_school.id,
        class_name="6a",
        headcount=20,
        contact_email="6a@nachbar.example",
    )
    db.session.commit()
    teacher = login_as("teacher")
    portal = client.get("/workshops")
    assert portal.status_code == 200 and "Synthesizer bauen" in portal.get_data(as_text=True)
    page = client.get(f"/sessions/{session.id}")
    assert page.status_code == 200
    assert "Grundschule Nachbarort" not in page.get_data(as_text=True)
    assert "6a@nachbar.example" not in page.get_data(as_text=True)

    response = client.post(
        f"/sessions/{session.id}/enrol",
        data={
            "school_id": teacher.school_id,
            "class_name": "8b",
            "headcount": 25,
            "contact_email": "8b@unsere-schule.example",
        },
    )
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    assert "waitlist" in html.lower() or "Warteliste" in html
    ours = [e for e in _enrolments(session.id) if e.school_id == teacher.school_id]
    assert len(ours) == 1 and ours[0].status == "waitlisted"
    portal = client.get("/workshops").get_data(as_text=True)
    assert "8b" in portal and ("place 1" in portal or "Platz 1" in portal)

    services.cancel_enrolment(make_user("coordinator"), db.session.get(Enrolment, first.id))
    db.session.commit()
    portal = client.get("/workshops").get_data(as_text=True)
    assert db.session.get(Enrolment, ours[0].id).status == "confirmed"
    assert "place 1" not in portal and "Platz 1" not in portal
    assert [m.to_address for m in outbox() if m.kind == "enrolment_promoted"] == [
        "8b@unsere-schule.example"]

    ics = client.get(f"/sessions/{session.id}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "DTSTART:20270310T080000Z" in body
    assert "SUMMARY:Synthesizer bauen" in body

    cancel = client.post(f"/enrolments/{ours[0].id}/cancel", data={"next": "portal"})
    assert cancel.status_code == 302
    assert db.session.get(Enrolment, ours[0].id).status == "cancelled"


def test_teacher_cannot_touch_another_schools_enrolment(
    client: Any, login_as: Any, frozen: Any, make_session: Any, make_school: Any, make_user: Any
) -> None:
    from makerlab.workshops import services

    session = make_session()
    theirs = services.enrol(
        make_user("coordinator"),
        session,
        school_id=make_school().id,
        class_name="9a",
        headcount=5,
        contact_email="x@y.example",
    )
    db.session.commit()
    teacher = login_as("teacher")
    assert client.post(f"/enrolments/{theirs.id}/cancel").status_code == 404
    assert db.session.get(Enrolment, theirs.id).status == "confirmed"
    refused = client.post(
        f"/sessions/{session.id}/enrol",
        data={"school_id": theirs.school_id, "class_name": "5a", "headcount": 3},
    )
    assert refused.status_code == 422
    assert len(_enrolments(session.id)) == 1
    assert client.get(f"/sessions/{session.id}/sign-in").status_code == 403
    assert client.post(f"/sessions/{session.id}/attendance", data={}).status_code == 403
    assert client.get(f"/workshops/{session.workshop_id}/edit").status_code == 403
    assert teacher.school_id != theirs.school_id


def test_staff_run_a_session_roster_attendance_and_sign_in_sheet(
    client: Any,
    login_as: Any,
    frozen: Any,
    make_session: Any,
    make_school: Any,
    make_participant: Any,
    make_user: Any,
) -> None:
    from makerlab.workshops import services

    session = make_session(capacity=22)
    coordinator = make_user("coordinator")
    klass = services.enrol(
        coordinator,
        session,
        school_id=make_school(name="GMS Am Treff").id,
        class_name="7a",
        headcount=20,
        contact_email="7a@treff.example",
    )
    db.session.commit()
    login_as("youth_worker")
    child = make_participant(
        first_name="Jonas",
        last_name="Beispiel",
        photo_consent=False,
        may_go_home_alone=False,
        guardian_phone="0345 1234567",
    )
    added = client.post(
        f"/sessions/{session.id}/enrol-participant", data={"participant_id": child.id}
    )
    assert added.status_code == 302
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    for expected in ("Jonas Beispiel", "0345 1234567", "GMS Am Treff", "7a@treff.example"):
        assert expected in page
    kid = [e for e in _enrolments(session.id) if e.participant_id == child.id][0]

    sheet = client.get(f"/sessions/{session.id}/sign-in")
    assert sheet.status_code == 200
    html = sheet.get_data(as_text=True)
    assert "Jonas Beispiel" in html and "GMS Am Treff" in html and "workshops.css" in html

    # Before the session starts nobody can say who came: no fields, and a post is refused.
    assert 'name="attended-' not in page
    early = client.post(f"/sessions/{session.id}/attendance", data={f"attended-{klass.id}": "18"})
    assert early.status_code == 409
    assert "begonnen" in early.get_data(as_text=True)
    assert db.session.get(Enrolment, klass.id).attended_count is None
    clock.set_frozen(session.starts_at + dt.timedelta(minutes=5))
    assert 'name="attended-' in client.get(f"/sessions/{session.id}").get_data(as_text=True)

    bad = client.post(
        f"/sessions/{session.id}/attendance",
        data={f"attended-{klass.id}": "25", f"attended-{kid.id}": "1"},
    )
    assert bad.status_code == 302
    shown = client.get(bad.location).get_data(as_text=True)
    assert "0 and 20" in shown or "0 und 20" in shown
    assert db.session.get(Enrolment, kid.id).attended_count is None  # all rows or none
    ok = client.post(
        f"/sessions/{session.id}/attendance",
        data={f"attended-{klass.id}": "18", f"attended-{kid.id}": "1"},
    )
    assert ok.status_code == 302
    assert db.session.get(Enrolment, klass.id).attended_count == 18
    assert db.session.get(Enrolment, kid.id).attended_count == 1

    clock.set_frozen(frozen)  # enrolments close when the session starts
    too_young = make_participant(
        first_name="Ben", last_name="Klein", birth_date=dt.date(2020, 1, 1)
    )
    refused = client.post(
        f"/sessions/{session.id}/enrol-participant", data={"participant_id": too_young.id}
    )
    assert refused.status_code == 422 and "Ben Klein" in refused.get_data(as_text=True)


def test_coordinator_plans_a_synthesizer_workshop_whose_session_reserves_the_kits(
    client: Any, login_as: Any, frozen: Any, make_user: Any
) -> None:
    from makerlab.bookings.models import Booking
    from makerlab.equipment.models import Equipment
    from makerlab.workshops.models import Workshop, WorkshopSession

    db.session.add_all(
        [
            Equipment(site_id=1, name=f"Synth {n}", category="synth_kit", loanable=True)
            for n in range(1, 7)
        ]
    )
    db.session.commit()
    login_as("coordinator")
    facilitator = make_user("youth_worker")
    assert client.get("/workshops/new").status_code == 200
    created = client.post(
        "/workshops/new",
        data={
            "title": "Synthesizer-Werkstatt",
            "description": "Wir bauen Synths.",
            "min_age": "12",
            "max_age": "16",
            "facilitator_id": facilitator.id,
            "need_synth_kit": "6",
        },
    )
    assert created.status_code == 302
    workshop = db.session.scalar(sa.select(Workshop))
    assert workshop.equipment_needs == {"synth_kit": 6}
    form = client.get(f"/workshops/{workshop.id}/sessions/new").get_data(as_text=True)
    assert "equipment-check" in form
    check = client.get(
        f"/workshops/{workshop.id}/equipment-check?day=2027-03-10&start=09:00"
        f"&end=12:00&site_id=1&capacity=12"
    )
    shown = check.get_data(as_text=True)
    assert check.status_code == 200 and (
        "6 needed, 6 free" in shown or "6 benötigt, 6 frei" in shown
    )
    saved = client.post(
        f"/workshops/{workshop.id}/sessions/new",
        data={
            "day": "2027-03-10",
            "start": "09:00",
            "end": "12:00",
            "capacity": "12",
            "site_id": "1",
            "location": "Werkstatt",
            "save": "1",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    session = db.session.scalar(sa.select(WorkshopSession))
    assert (
        len(db.session.scalars(sa.select(Booking).where(Booking.session_id == session.id)).all())
        == 6
    )
    # A second session at the same time cannot get the kits: refused, nothing saved.
    again = client.post(
        f"/workshops/{workshop.id}/sessions/new",
        data={
            "day": "2027-03-10",
            "start": "10:00",
            "end": "11:00",
            "capacity": "12",
            "site_id": "1",
            "save": "1",
        },
    )
    assert again.status_code == 409 and "Synthesizer-Bausatz" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkshopSession)) == 1
    edit = client.post(
        f"/sessions/{session.id}/edit",
        data={
            "day": "2027-03-11",
            "start": "09:00",
            "end": "12:00",
            "capacity": "14",
            "site_id": "1",
            "location": "Werkstatt",
            "save": "1",
        },
    )
    assert edit.status_code == 302
    ask = client.get(f"/sessions/{session.id}/cancel")
    assert ask.status_code == 200
    question = ask.get_data(as_text=True)
    assert "Nobody is enrolled" in question or "Niemand ist eingeschrieben" in question
    assert "synth_kit" in question or "Synth" in question or "freigegeben" in question
    no_reason = client.post(f"/sessions/{session.id}/cancel", data={"reason": " "})
    assert no_reason.status_code == 422
    assert db.session.get(WorkshopSession, session.id).status == "scheduled"
    cancel = client.post(f"/sessions/{session.id}/cancel", data={"reason": "Heizung kaputt"})
    assert cancel.status_code == 302
    assert db.session.get(WorkshopSession, session.id).status == "cancelled"
    assert client.get(f"/sessions/{session.id}/cancel").status_code == 409


def test_teacher_sees_no_pupil_names_not_even_of_their_own_school(
    client: Any,
    login_as: Any,
    frozen: Any,
    make_session: Any,
    make_participant: Any,
    make_user: Any,
    make_school: Any,
) -> None:
    from makerlab.workshops import services

    session = make_session()
    teacher = login_as("teacher")
    staff = make_user("youth_worker")
    ours = make_participant(first_name="Ayla", last_name="Eigene", school_id=teacher.school_id)
    theirs = make_participant(
        first_name="Bruno", last_name="Fremd", school_id=make_school(name="Andere Schule").id
    )
    services.enrol(staff, session, participant_id=ours.id)
    services.enrol(staff, session, participant_id=theirs.id)
    db.session.commit()
    for url in (f"/sessions/{session.id}", "/workshops", f"/sessions/{session.id}.ics"):
        html = client.get(url).get_data(as_text=True)
        assert "Bruno" not in html and "Fremd" not in html and "Andere Schule" not in html
        assert "Ayla" not in html and "Eigene" not in html


def test_a_refused_enrolment_is_shown_on_the_form_with_409(
    client: Any, login_as: Any, frozen: Any, make_session: Any
) -> None:
    """A conflict answers 409 on the page of the form, like every form page."""
    over = make_session(
        starts_at=frozen - dt.timedelta(hours=3), ends_at=frozen - dt.timedelta(hours=1)
    )
    teacher = login_as("teacher", locale="en")
    refused = client.post(
        f"/sessions/{over.id}/enrol",
        data={"school_id": teacher.school_id, "class_name": "5a", "headcount": 3},
    )
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "This session has started; enrolments are closed." in html
    assert _enrolments(over.id) == []


def test_a_session_that_has_started_takes_no_enrolments_from_teachers(
    client: Any, login_as: Any, frozen: Any, make_session: Any, make_school: Any
) -> None:
    """Teachers: closed. Staff: attendance, and a class that came unannounced can be added."""
    from makerlab.workshops import services

    session = make_session(
        starts_at=frozen + dt.timedelta(days=1), ends_at=frozen + dt.timedelta(days=1, hours=3)
    )
    school = make_school()
    staff = login_as("youth_worker")
    services.enrol(staff, session, school_id=school.id, class_name="6b", headcount=10,
                   contact_email="klasse6b@schule.example")
    db.session.commit()
    clock.set_frozen(frozen + dt.timedelta(days=4))  # days after it took place

    html = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Dieser Termin hat schon begonnen." in html
    assert "Einschreibung geschlossen" in html
    assert not re.search(r"\d+ von \d+ Plätzen frei|\d+ von 1 Platz frei", html)  # no free seats
    assert 'name="attended-' in html
    added = client.post(
        f"/sessions/{session.id}/enrol",
        data={"school_id": school.id, "class_name": "6c", "headcount": 3,
              "contact_email": "klasse6c@schule.example"},
    )
    assert added.status_code == 302  # recorded afterwards: it came
    assert len(_enrolments(session.id)) == 2

    client.post("/logout")
    login_as("teacher", school_id=school.id)
    html = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Dieser Termin hat schon begonnen; Einschreibungen sind geschlossen." in html
    for offered in ("Plätzen frei", "Klasse einschreiben", "Stornieren…",
                    f"/sessions/{session.id}/enrol"):
        assert offered not in html, offered
    english = client.get(f"/sessions/{session.id}", headers={"Accept-Language": "en"})
    assert "seats free" not in english.get_data(as_text=True)
    refused = client.post(
        f"/sessions/{session.id}/enrol",
        data={"school_id": school.id, "class_name": "6d", "headcount": 3,
              "contact_email": "klasse6d@schule.example"},
    )
    assert refused.status_code == 409
    assert "Einschreibungen sind geschlossen" in refused.get_data(as_text=True)
    assert len(_enrolments(session.id)) == 2


def test_seats_are_written_one_way_on_every_page(
    client: Any,
    frozen: Any,
    login_as: Any,
    make_session: Any,
    make_workshop: Any,
    make_school: Any,
) -> None:
    workshop = make_workshop(title="Podcast-Labor")
    session = make_session(workshop, capacity=24)
    single = make_session(workshop, capacity=1, starts_at=session.starts_at + dt.timedelta(days=7),
                          ends_at=session.ends_at + dt.timedelta(days=7))
    school = make_school()
    db.session.add(
        Enrolment(session_id=session.id, school_id=school.id, class_name="7b", headcount=18,
                  seats=18, contact_email="k@schule.example", status="confirmed")
    )
    db.session.commit()
    login_as("coordinator")
    pages = ("/programme", f"/workshops/{workshop.id}", f"/sessions/{session.id}", "/workshops")
    for path in pages:
        german = client.get(path).get_data(as_text=True)
        assert "6 von 24 Plätzen frei" in german, path
        for other in ("frei von", "18/24", "18 von 24", "belegt"):
            assert other not in german, (path, other)
        english = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "6 of 24 seats free" in english and "18 of 24" not in english, path
    programme = client.get("/programme").get_data(as_text=True)
    assert "1 von 1 Platz frei" in programme and single.capacity == 1


def test_a_session_that_is_over_offers_no_cancelling(
    client: Any, login_as: Any, frozen: Any, make_session: Any
) -> None:
    session = make_session(
        starts_at=frozen + dt.timedelta(days=1), ends_at=frozen + dt.timedelta(days=1, hours=3)
    )
    login_as("coordinator")
    assert "Termin absagen…" in client.get(f"/sessions/{session.id}").get_data(as_text=True)
    clock.set_frozen(frozen + dt.timedelta(days=2))
    html = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Termin absagen…" not in html and "Termin bearbeiten" in html
