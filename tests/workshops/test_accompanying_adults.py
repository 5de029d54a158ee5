"""Accompanying adults on a class enrolment: recorded, shown and printed, never on seats."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from makerlab.extensions import db
from makerlab.workshops.models import Enrolment

API = "/api/v1"


def test_api_records_adults_apart_from_seats(
    api_as: Any, frozen: Any, make_session: Any, make_participant: Any
) -> None:
    session = make_session(capacity=24)
    teacher = api_as("teacher")
    url = f"{API}/sessions/{session.id}/enrolments"
    body = {"class_name": "7a", "headcount": 24, "contact_email": "7a@schule.example"}
    made = teacher.post(url, json={**body, "accompanying_adults": 3})
    assert made.status_code == 201, made.get_json()
    enrolment = made.get_json()
    assert (enrolment["status"], enrolment["seats"], enrolment["accompanying_adults"]) == (
        "confirmed",
        24,
        3,
    )
    view = teacher.get(f"{API}/sessions/{session.id}").get_json()
    assert (view["seats_taken"], view["seats_free"]) == (24, 0)
    assert teacher.get(f"{API}/enrolments/{enrolment['id']}").get_json()["accompanying_adults"] == 3

    # Without the field: none recorded.
    other = make_session(capacity=30)
    plain = teacher.post(f"{API}/sessions/{other.id}/enrolments", json=body).get_json()
    assert plain["accompanying_adults"] == 0

    for wrong in (-1, 51, "zwei"):
        refused = teacher.post(url, json={**body, "class_name": "7b", "accompanying_adults": wrong})
        assert refused.status_code == 422
        assert "accompanying_adults" in str(refused.get_json())
    # A participant comes alone.
    staff = api_as("youth_worker")
    child = make_participant()
    alone = staff.post(url, json={"participant_id": child.id, "accompanying_adults": 1})
    assert alone.status_code == 422


def test_page_form_session_page_and_sign_in_sheet(
    client: Any, login_as: Any, frozen: Any, make_session: Any
) -> None:
    session = make_session(capacity=30)
    teacher = login_as("teacher")
    form = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'name="accompanying_adults"' in form and "Begleitpersonen" in form
    refused = client.post(
        f"/sessions/{session.id}/enrol",
        data={
            "school_id": teacher.school_id,
            "class_name": "8c",
            "headcount": 22,
            "accompanying_adults": 99,
        },
    )
    assert refused.status_code == 422
    assert "Begleitpersonen" in refused.get_data(as_text=True)
    sent = client.post(
        f"/sessions/{session.id}/enrol",
        data={
            "school_id": teacher.school_id,
            "class_name": "8c",
            "headcount": 22,
            "accompanying_adults": 2,
        },
    )
    assert sent.status_code == 302
    enrolment = db.session.scalars(sa.select(Enrolment)).one()
    assert (enrolment.seats, enrolment.accompanying_adults) == (22, 2)
    assert "Klasse 8c, 22 Schüler*innen + 2 Begleitpersonen" in client.get(
        f"/sessions/{session.id}"
    ).get_data(as_text=True)
    client.post("/logout")

    login_as("youth_worker", locale="en")
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "+ 2 adults" in page and "2 accompanying adults" in page
    sheet = client.get(f"/sessions/{session.id}/sign-in").get_data(as_text=True)
    assert ">Adults</th>" in sheet and 'data-label="Adults">2</td>' in sheet
    assert "22 of 30 seats confirmed · 2 accompanying adults" in sheet


def test_sign_in_sheet_has_a_print_button_without_inline_script(
    client: Any, login_as: Any, frozen: Any, make_session: Any
) -> None:
    session = make_session()
    login_as("youth_worker")
    sheet = client.get(f"/sessions/{session.id}/sign-in").get_data(as_text=True)
    assert "data-print" in sheet and "Drucken" in sheet
    assert '<script src="/static/print.js?v=' in sheet
    assert "<script>" not in sheet and "onclick" not in sheet
    print_js = client.get("/static/print.js")
    assert "window.print()" in print_js.get_data(as_text=True)
    print_js.close()
