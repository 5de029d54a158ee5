"""Cancelling a session or an enrolment asks first, with the numbers the services compute."""

from __future__ import annotations

from typing import Any

import pytest

from makerlab.extensions import db
from makerlab.workshops import services
from makerlab.workshops.models import Enrolment, WorkshopSession
from tests.workshops.conftest import outbox


@pytest.fixture
def full_session(
    app: Any, frozen: Any, make_session: Any, make_school: Any, make_user: Any,
    make_participant: Any, make_unit: Any, make_workshop: Any,
) -> dict[str, Any]:
    coordinator = make_user("coordinator")
    make_unit(name="Synth-Koffer A", category="synth_kit")
    make_unit(name="Synth-Koffer B", category="synth_kit")
    workshop = make_workshop(title="Klangwerkstatt", equipment_needs={"synth_kit": 2})
    session = services.create_session(
        coordinator, workshop,
        starts_at=make_session().starts_at, ends_at=make_session().ends_at, capacity=30,
    )
    ours, theirs = make_school(), make_school()
    enrol = services.enrol
    seven = enrol(coordinator, session, school_id=ours.id, class_name="7b", headcount=20,
                  contact_email="7b@schule.example")
    child = enrol(coordinator, session, participant_id=make_participant().id)
    nine = enrol(coordinator, session, school_id=theirs.id, class_name="9c", headcount=4,
                 contact_email="9c@anders.example")
    waiting = enrol(coordinator, session, school_id=theirs.id, class_name="10a", headcount=12,
                    contact_email="10a@anders.example")
    db.session.commit()
    assert waiting.status == "waitlisted"
    return {"session": session, "seven": seven, "child": child, "nine": nine,
            "waiting": waiting, "ours": ours}


def test_cancelling_a_session_says_what_ends_and_mails_the_reason(
    client: Any, login_as: Any, full_session: dict[str, Any]
) -> None:
    session = full_session["session"]
    login_as("coordinator")
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert f'href="/sessions/{session.id}/cancel" data-confirm' in page
    ask = client.get(f"/sessions/{session.id}/cancel", headers={"Accept-Language": "en"})
    text = ask.get_data(as_text=True)
    assert ask.status_code == 200
    # 7b (20) + one child (1) + 9c (4) confirmed, 10a (12) waiting: 37 seats, 4 contacts.
    assert "3 classes, 1 single participant, 37 seats will be cancelled" in text
    assert "4 contacts are told by e-mail, with your reason" in text
    assert "2 reserved units are released: Synth-Koffer A, Synth-Koffer B." in text
    assert "required" in text and 'name="reason"' in text
    assert "Cancel session</button>" in text
    german = client.get(f"/sessions/{session.id}/cancel").get_data(as_text=True)
    assert "3 Klassen, 1 Einzelperson, 37 Plätze werden storniert" in german
    assert "Termin absagen</button>" in german
    assert not [m for m in outbox() if "session-cancelled" in m.dedupe_key]  # asking sends nothing

    done = client.post(f"/sessions/{session.id}/cancel", data={"reason": "Wasserschaden im Labor"})
    assert done.status_code == 302
    assert db.session.get(WorkshopSession, session.id).status == "cancelled"
    mails = [m for m in outbox() if "session-cancelled" in m.dedupe_key]
    assert len(mails) == 4
    assert all("Wasserschaden im Labor" in m.body_text for m in mails)


def test_cancelling_through_the_api_takes_a_reason_too(
    api_as: Any, full_session: dict[str, Any]
) -> None:
    session = full_session["session"]
    api = api_as("coordinator")
    response = api.delete(f"/api/v1/sessions/{session.id}?reason=Krankheit")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    mails = [m for m in outbox() if "session-cancelled" in m.dedupe_key]
    assert mails and all("Krankheit" in m.body_text for m in mails)


def test_cancelling_an_enrolment_says_who_moves_up(
    client: Any, login_as: Any, full_session: dict[str, Any]
) -> None:
    seven, waiting = full_session["seven"], full_session["waiting"]
    login_as("youth_worker")
    ask = client.get(f"/enrolments/{seven.id}/cancel", headers={"Accept-Language": "en"})
    text = ask.get_data(as_text=True)
    assert ask.status_code == 200
    assert "class 7b (20 seats)" in text
    assert "1 waiting enrolment moves up into the seats and is told: class 10a." in text
    assert "Cancel enrolment</button>" in text
    # Asking changed nothing.
    assert db.session.get(Enrolment, waiting.id).status == "waitlisted"
    off = client.get(f"/enrolments/{waiting.id}/cancel", headers={"Accept-Language": "en"})
    assert "Remove from the waitlist</button>" in off.get_data(as_text=True)
    assert client.post(f"/enrolments/{seven.id}/cancel").status_code == 302
    assert db.session.get(Enrolment, waiting.id).status == "confirmed"
    assert client.get(f"/enrolments/{seven.id}/cancel").status_code == 409


def test_teachers_question_names_no_other_school(
    client: Any, login_as: Any, full_session: dict[str, Any]
) -> None:
    seven = full_session["seven"]
    login_as("teacher", school_id=full_session["ours"].id)
    portal = client.get("/workshops").get_data(as_text=True)
    assert "Einschreibung stornieren…" in portal and ">Abbrechen<" not in portal
    text = client.get(f"/enrolments/{seven.id}/cancel?next=portal").get_data(as_text=True)
    assert "Einschreibung stornieren</button>" in text
    assert "1 wartende Einschreibung rückt auf die Plätze nach" in text
    assert "10a" not in text and "9c" not in text
    assert 'href="/workshops" data-confirm-keep' in text  # "keep" leads back to the portal
    theirs = full_session["nine"]
    assert client.get(f"/enrolments/{theirs.id}/cancel").status_code == 404
