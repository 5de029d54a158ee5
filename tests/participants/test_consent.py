"""Guardian consent online: requests, the public page, history, paper, own consent at 16."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from makerlab import clock
from makerlab.audit.models import AuditEntry
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.participants import consent, services
from makerlab.participants.models import ConsentRecord, ConsentRequest, Participant
from makerlab.participants.signals import consent_withdrawn
from makerlab.workshops.models import Workshop, WorkshopSession

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday, 10:00 in Berlin
EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}
TOKEN_IN_LINK = re.compile(r"/consent/([A-Za-z0-9_-]{43})\b")


@pytest.fixture
def child(app: Any, make_participant: Any) -> Participant:
    """A 12-year-old registered with only the guardian's e-mail, no consent yet."""
    clock.set_frozen(NOW)
    return make_participant(
        first_name="Mia",
        last_name="Kowalczyk",
        birth_date=dt.date(2014, 6, 1),
        guardian_name=None,
        guardian_phone=None,
        guardian_email="eltern.kowalczyk@familie.example",
        guardian_consent=False,
    )


@pytest.fixture
def withdrawals() -> Iterator[list[dict[str, Any]]]:
    """What the consent_withdrawn signal announced during the test."""
    seen: list[dict[str, Any]] = []

    def receive(sender: Any, **kw: Any) -> None:
        seen.append({"participant_id": sender.id, **kw})

    consent_withdrawn.connect(receive)
    yield seen
    consent_withdrawn.disconnect(receive)


def send_request(api: Any, participant: Participant, **body: Any) -> str:
    """Send a consent request through the API; return the token from the queued e-mail."""
    response = api.post(f"/api/v1/participants/{participant.id}/consent-requests", json=body)
    assert response.status_code == 201, response.get_json()
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.dedupe_key == f"consent-request:{response.get_json()['id']}"
        )
    )
    assert note is not None and note.to_address == participant.guardian_email
    match = TOKEN_IN_LINK.search(note.body_text)
    assert match, note.body_text
    return match.group(1)


def choose(client: Any, token: str, **choices: bool) -> Any:
    data = {kind: "y" for kind, yes in choices.items() if yes}
    return client.post(f"/consent/{token}", data=data)


def test_request_by_api_mails_a_link_and_the_guardian_chooses(
    api_as: Any, client: Any, child: Participant, withdrawals: list[dict[str, Any]]
) -> None:
    api = api_as("youth_worker")
    response = api.post(f"/api/v1/participants/{child.id}/consent-requests", json={})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "open" and body["emailed_to"] == child.guardian_email
    assert body["expires_at"].startswith("2027-04-09T11:00:00+02:00")  # 30 days on, in summer time
    assert "token" not in str(body) and "hash" not in str(body)
    note = db.session.scalar(sa.select(Notification))
    assert note.subject == "Passage 13 bittet um Ihre Einwilligung für Mia"
    assert "Kowalczyk" not in note.body_text and "Mia" in note.body_text
    token = TOKEN_IN_LINK.search(note.body_text).group(1)
    assert db.session.scalar(sa.select(ConsentRequest.token_hash)) != token

    page = client.get(f"/consent/{token}", headers=DE)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Einwilligung für Mia" in text and "Passage 13" in text
    assert "Kowalczyk" not in text and "eltern.kowalczyk" not in text and "2014" not in text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"] and "noindex" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script" not in text

    saved = choose(client, token, guardian=True, photo=False, home_alone=True)
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/consent/{token}")
    db.session.refresh(child)
    assert child.guardian_consent and child.guardian_consent_on == dt.date(2027, 3, 10)
    assert not child.photo_consent and child.may_go_home_alone and not child.evaluation_consent
    records = db.session.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.kind, r.granted, r.source) for r in records] == [  # first answers, all four
        ("guardian", True, "guardian_link"),
        ("photo", False, "guardian_link"),
        ("home_alone", True, "guardian_link"),
        ("evaluation", False, "guardian_link"),
    ]
    assert all(r.recorded_by_id is None and r.request_id == body["id"] for r in records)
    assert withdrawals == []
    again = client.get(f"/consent/{token}", headers=EN).get_data(as_text=True)
    assert "Vielen Dank. Ihre Auswahl ist gespeichert." in again  # flashed in German
    assert again.count("checked aria-describedby") == 2  # taking part, going home alone
    audited = db.session.scalars(
        sa.select(AuditEntry.entity).where(AuditEntry.entity == "consent_records")
    ).all()
    assert len(audited) == 4
    choose(client, token, guardian=True, photo=False, home_alone=True)  # saved again, unchanged
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 4


def test_withdrawal_through_the_link_blocks_bookings_at_once(
    api_as: Any,
    client: Any,
    child: Participant,
    printer: Any,
    withdrawals: list[dict[str, Any]],
) -> None:
    api = api_as("youth_worker")
    token = send_request(api, child)
    choose(client, token, guardian=True, photo=True)

    def book() -> Any:
        return api.post(
            "/api/v1/bookings",
            headers=EN,
            json={
                "equipment_id": printer.id,
                "starts_at": "2027-03-11T10:00:00+01:00",
                "ends_at": "2027-03-11T11:00:00+01:00",
                "participant_ids": [child.id],
            },
        )

    assert book().status_code == 201
    choose(client, token, photo=True)  # participation switched off
    db.session.refresh(child)
    assert child.guardian_consent is False and child.guardian_consent_on is None
    assert withdrawals == [
        {
            "participant_id": child.id,
            "kinds": ["guardian"],
            "source": "guardian_link",
            "actor": None,
        }
    ]
    refused = book()
    assert refused.status_code == 422
    assert "no guardian consent" in " ".join(refused.get_json()["errors"]["participant_ids"])
    workshop = Workshop(title="Podcast-Werkstatt", min_age=10, max_age=16)
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(
        workshop_id=workshop.id,
        site_id=1,
        starts_at=dt.datetime(2027, 3, 12, 13, 0, tzinfo=UTC),
        ends_at=dt.datetime(2027, 3, 12, 16, 0, tzinfo=UTC),
        capacity=12,
    )
    db.session.add(session)
    db.session.commit()
    enrol = api.post(
        f"/api/v1/sessions/{session.id}/enrolments", json={"participant_id": child.id}, headers=EN
    )
    assert enrol.status_code == 422 and "consent" in str(enrol.get_json()["errors"])
    history = [
        (c["kind"], c["granted"], c["source"])
        for c in api.get(f"/api/v1/participants/{child.id}/consents").get_json()["items"]
    ]
    assert history == [
        ("guardian", False, "guardian_link"),
        ("evaluation", False, "guardian_link"),
        ("home_alone", False, "guardian_link"),
        ("photo", True, "guardian_link"),
        ("guardian", True, "guardian_link"),
    ]


def test_the_sign_in_sheet_shows_the_guardians_current_choices(
    client: Any, login_as: Any, child: Participant, add_enrolment: Any
) -> None:
    token, _issued = consent.paper_link(None, child)[1:]
    db.session.commit()
    choose(client, token, guardian=True, home_alone=True)
    enrolment = add_enrolment(child, dt.datetime(2027, 3, 12, 13, 0, tzinfo=UTC))
    login_as("youth_worker")
    sheet = client.get(f"/sessions/{enrolment.session_id}/sign-in", headers=EN)
    row = re.search(r"<tr><td>Mia Kowalczyk</td>(.*?)</tr>", sheet.get_data(as_text=True))
    assert row, sheet.get_data(as_text=True)
    # photos, home alone
    assert re.findall(r"<td[^>]*>(yes|no)</td>", row.group(1)) == ["no", "yes"]
    choose(client, token, guardian=True)
    sheet = client.get(f"/sessions/{enrolment.session_id}/sign-in", headers=EN)
    row = re.search(r"<tr><td>Mia Kowalczyk</td>(.*?)</tr>", sheet.get_data(as_text=True))
    assert re.findall(r"<td[^>]*>(yes|no)</td>", row.group(1)) == ["no", "no"]


def test_links_are_revisitable_then_expire_and_a_new_one_replaces_the_old(
    api_as: Any, client: Any, child: Participant
) -> None:
    api = api_as("youth_worker")
    token = send_request(api, child)
    unknown = client.get("/consent/" + "A" * 43, headers=EN)
    assert unknown.status_code == 404
    assert "This link does not work" in unknown.get_data(as_text=True)
    assert unknown.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/consent/short", headers=EN).get_data() == unknown.get_data()
    for _visit in range(3):
        assert client.get(f"/consent/{token}").status_code == 200

    clock.set_frozen(NOW + dt.timedelta(days=29, hours=23))
    assert client.get(f"/consent/{token}").status_code == 200
    clock.set_frozen(NOW + dt.timedelta(days=30))
    expired = client.get(f"/consent/{token}", headers=EN)
    assert expired.status_code == 404 and expired.get_data() == unknown.get_data()
    assert choose(client, token, guardian=True).status_code == 404
    db.session.refresh(child)
    assert child.guardian_consent is False

    fresh = send_request(api, child)
    newer = send_request(api, child)
    assert client.get(f"/consent/{fresh}").status_code == 404  # replaced
    assert client.get(f"/consent/{newer}").status_code == 200
    statuses = [
        r["status"]
        for r in api.get(f"/api/v1/participants/{child.id}/consent-requests").get_json()["items"]
    ]
    assert statuses == ["open", "replaced", "expired"]

    # A new guardian address ends the links sent to the old one.
    services.update_participant(None, child, guardian_email="neu@familie.example")
    db.session.commit()
    assert client.get(f"/consent/{newer}").status_code == 404


def test_erasure_ends_the_link_and_scrubs_the_mail(
    api_as: Any, client: Any, child: Participant
) -> None:
    token = send_request(api_as("youth_worker"), child)
    assert api_as("coordinator").delete(f"/api/v1/participants/{child.id}").status_code == 204
    assert client.get(f"/consent/{token}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRequest)) == 0
    db.session.expire_all()
    mail = db.session.scalar(sa.select(Notification))
    for text in (mail.subject, mail.body_text, mail.body_html, mail.to_address):
        assert "Mia" not in text and "kowalczyk" not in text.lower()


def test_request_needs_a_guardian_address_and_the_right_role(
    api_as: Any, make_participant: Any, child: Participant
) -> None:
    api = api_as("youth_worker")
    nobody = make_participant(guardian_email=None)
    response = api.post(f"/api/v1/participants/{nobody.id}/consent-requests", json={}, headers=EN)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "guardian_email": ["Please record the guardian's e-mail address first."]
    }
    url = f"/api/v1/participants/{child.id}/consent-requests"
    assert api.post(url, json={"language": "fr"}).status_code == 422
    assert api.post(url, json={"token": "x"}).status_code == 422
    assert api.post("/api/v1/participants/999/consent-requests", json={}).status_code == 404
    assert api_as("teacher").post(url, json={}).status_code == 403
    english = api.post(url, json={"language": "en"})
    assert english.status_code == 201
    note = db.session.scalar(sa.select(Notification).order_by(Notification.id.desc()))
    assert note.locale == "en" and note.subject == "Passage 13 asks for your consent for Mia"


def test_staff_send_a_request_from_the_participant_page(
    client: Any, login_as: Any, child: Participant
) -> None:
    user = login_as("youth_worker")
    page = client.get(f"/participants/{child.id}", headers=EN).get_data(as_text=True)
    assert "No consent link is open." in page and "E-mail consent request" in page
    sent = client.post(
        f"/participants/{child.id}/consent-requests", data={"language": "de"}, headers=EN
    )
    assert sent.status_code == 302
    request = db.session.scalar(sa.select(ConsentRequest))
    assert request.created_by_id == user.id and request.emailed_to == child.guardian_email
    page = client.get(f"/participants/{child.id}", headers=EN).get_data(as_text=True)
    assert "Consent request sent to eltern.kowalczyk@familie.example." in page
    assert "A personal consent link is open until" in page


def test_history_on_the_page_names_source_and_recorder(
    client: Any, login_as: Any, child: Participant
) -> None:
    token = consent.paper_link(None, child)[1]
    db.session.commit()
    choose(client, token, guardian=True, evaluation=True)
    user = login_as("youth_worker")
    recorded = client.post(
        f"/participants/{child.id}/consent/record",
        data={
            "source": "paper",
            "guardian": "yes",
            "photo": "no",
            "evaluation": "no",
            "home_alone": "",
            "given_on": "2027-03-09",
        },
    )
    assert recorded.status_code == 302
    db.session.refresh(child)
    assert child.guardian_consent and not child.evaluation_consent
    assert child.guardian_consent_on == dt.date(2027, 3, 10)  # unchanged: already given
    last = db.session.scalar(sa.select(ConsentRecord).order_by(ConsentRecord.id.desc()))
    assert (last.kind, last.granted, last.source, last.effective_on, last.recorded_by_id) == (
        "evaluation",
        False,
        "paper",
        dt.date(2027, 3, 9),
        user.id,
    )
    page = client.get(f"/participants/{child.id}", headers=EN).get_data(as_text=True)
    assert "by the guardian through the link" in page
    assert f"paper form, recorded by {user.name}" in page
    assert "Contact for evaluation" in page and "Taking part" in page
    future = client.post(
        f"/participants/{child.id}/consent/record",
        data={"source": "paper", "photo": "yes", "given_on": "2027-03-11"},
        headers=EN,
    )
    assert future.status_code == 422
    assert "Consent cannot be dated in the future." in future.get_data(as_text=True)


def test_recording_choices_through_the_api(api_as: Any, child: Participant) -> None:
    api = api_as("youth_worker")
    url = f"/api/v1/participants/{child.id}/consents"
    response = api.post(
        url, json={"source": "paper", "effective_on": "2027-03-08", "guardian": True, "photo": True}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [(r["kind"], r["source"], r["effective_on"]) for r in body["records"]] == [
        ("guardian", "paper", "2027-03-08"),
        ("photo", "paper", "2027-03-08"),
    ]
    assert body["choices"] == {
        "guardian": True,
        "photo": True,
        "home_alone": False,
        "evaluation": False,
    }
    participant = api.get(f"/api/v1/participants/{child.id}").get_json()
    assert participant["guardian_consent_on"] == "2027-03-08" and participant["photo_consent"]
    assert api.post(url, json={"source": "guardian_link", "photo": False}).status_code == 422
    assert api.post(url, json={"photos": False}).status_code == 422
    assert api_as("teacher").get(url).status_code == 403
    patched = api.patch(f"/api/v1/participants/{child.id}", json={"evaluation_consent": True})
    assert patched.status_code == 200 and patched.get_json()["evaluation_consent"] is True
    kinds = [(c["kind"], c["source"]) for c in api.get(url).get_json()["items"]]
    assert kinds[0] == ("evaluation", "staff")


def test_a_staff_revocation_is_announced_too(
    api_as: Any, make_participant: Any, withdrawals: list[dict[str, Any]]
) -> None:
    clock.set_frozen(NOW)
    api = api_as("youth_worker")
    p = make_participant(photo_consent=True)
    api.patch(f"/api/v1/participants/{p.id}", json={"guardian_consent": False, "notes": "x"})
    api.patch(f"/api/v1/participants/{p.id}", json={"photo_consent": False})
    assert [(w["kinds"], w["source"], w["actor"].id) for w in withdrawals] == [
        (["guardian"], "staff", api.user.id),
        (["photo"], "staff", api.user.id),
    ]


def test_young_people_turning_16_are_listed_for_their_own_consent(
    api_as: Any, client: Any, login_as: Any, make_participant: Any
) -> None:
    clock.set_frozen(dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC))  # registered at 14 or 15
    turned = make_participant(first_name="Jonas", birth_date=dt.date(2011, 3, 1))
    soon = make_participant(first_name="Lea", birth_date=dt.date(2011, 3, 30))
    make_participant(first_name="Tim", birth_date=dt.date(2011, 5, 1))  # 16 in 52 days
    make_participant(first_name="Ida", birth_date=dt.date(2014, 1, 1))
    # Registered at 17, so the consent recorded then was their own: nothing to ask.
    grown = make_participant(first_name="Ole", birth_date=dt.date(2008, 1, 1))
    clock.set_frozen(NOW)
    assert [(d.participant.first_name, d.birthday) for d in consent.own_consent_due()] == [
        ("Lea", dt.date(2027, 3, 30)),
        ("Jonas", dt.date(2027, 3, 1)),
    ]
    assert grown.id not in [d.participant.id for d in consent.own_consent_due()]
    api = api_as("youth_worker")
    listed = api.get("/api/v1/participants/own-consent").get_json()
    assert listed["total"] == 2
    assert listed["items"][1] == {
        "participant_id": turned.id,
        "first_name": "Jonas",
        "last_name": turned.last_name,
        "birth_date": "2011-03-01",
        "turns_on": "2027-03-01",
    }
    login_as("youth_worker")
    index = client.get("/participants", headers=EN).get_data(as_text=True)
    assert "Own consent from 16" in index
    page = client.get("/participants/own-consent", headers=EN).get_data(as_text=True)
    assert "Jonas" in page and "Lea" in page and "Soon" in page and "Tim" not in page
    # Jonas is 16 already, Lea turns 16 soon: each date reads the right way round.
    assert "16 since Mon, 1 Mar 2027" in page and "Turns 16 on Tue, 30 Mar 2027" in page
    german = client.get("/participants/own-consent").get_data(as_text=True)
    assert "16 seit Mo., 1. März 2027" in german and "Wird 16 am Di., 30. März 2027" in german
    assert "Wird 16 am Mo., 1. März 2027" not in german
    # Jonas tells staff his own choice (the same as his parents'): off the list.
    response = api.post(
        f"/api/v1/participants/{turned.id}/consents", json={"source": "staff", "photo": False}
    )
    assert response.status_code == 201 and len(response.get_json()["records"]) == 1
    assert [d.participant.id for d in consent.own_consent_due()] == [soon.id]
    assert api_as("teacher").get("/api/v1/participants/own-consent").status_code == 403


def test_own_consent_age_is_configurable(app: Any, make_participant: Any) -> None:
    clock.set_frozen(NOW)
    make_participant(first_name="Jonas", birth_date=dt.date(2011, 3, 1))
    app.config["OWN_CONSENT_AGE"] = 18
    assert consent.own_consent_due() == []


def test_export_lists_the_links_without_secrets(api_as: Any, child: Participant) -> None:
    api = api_as("coordinator")
    send_request(api, child)
    data = api.get(f"/api/v1/participants/{child.id}/export").get_json()
    assert [r["emailed_to"] for r in data["consent_requests"]] == [child.guardian_email]
    assert "token_hash" not in str(data["consent_requests"])
    created = [a for a in data["audit"] if a["entity"] == "consent_requests"]
    assert created and created[0]["changes"]["token_hash"][1] == "***"
    assert created[0]["changes"]["token_nonce"][1] == "***"


def test_the_mailed_link_uses_the_public_address(app: Any, api_as: Any, child: Participant) -> None:
    app.config["PUBLIC_URL"] = "https://makerlab.passage13.example/app"
    app.config["CONSENT_CONTACT"] = "jugendarbeit@passage13.example"
    send_request(api_as("youth_worker"), child)
    body = db.session.scalar(sa.select(Notification.body_text))
    assert re.search(r"https://makerlab\.passage13\.example/app/consent/[A-Za-z0-9_-]{43}\n", body)
    assert "jugendarbeit@passage13.example" in body
