"""Attention details read in the reader's language and date style, wherever they are read.

A change is recorded once; the booker, the class contact, a staff member on
the attention page and an API client each read its detail in their own
language (the mail's recipient's, the viewer's, the request's; German by
default). Items stored before details were kept as messages keep their text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from makerlab import messages
from makerlab.bookings.models import Booking
from makerlab.extensions import db
from makerlab.notifications.models import Notification
from makerlab.planning.hits import Item, detail_of
from tests.planning.conftest import CONTACT, Plans

CHRISTMAS = {"starts_on": "2026-12-24", "ends_on": "2027-01-01", "reason": "Weihnachtsferien"}
ENGLISH = "Thu, 24 Dec 2026 – Fri, 1 Jan 2027 (Weihnachtsferien)"
GERMAN = "Do., 24. Dez. 2026 – Fr., 1. Jan. 2027 (Weihnachtsferien)"
EN = {"Accept-Language": "en"}
# As the re-planning stored items before it kept their message: German text only.
OLD = {"reason": "closure", "detail": "Passage 13 ist am 24.12.2026 geschlossen."}


def _mail_to(address: str) -> Notification:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification).where(Notification.to_address == address)
    ).one()


def test_the_english_booker_reads_english_dates_and_the_class_contact_german(
    plans: Plans, api_as: Any
) -> None:
    assert api_as("coordinator").post("/api/v1/sites/1/closures", json=CHRISTMAS).status_code == 201

    booker = _mail_to("kai@passage13.example")
    assert booker.locale == "en"
    assert f"is closed: {ENGLISH}" in booker.body_text
    assert GERMAN not in booker.body_text and "geschlossen" not in booker.body_text
    assert booker.body_html is not None and ENGLISH in booker.body_html

    contact = _mail_to(CONTACT)
    assert contact.locale == "de"
    assert f"ist geschlossen: {GERMAN}" in contact.body_text
    assert ENGLISH not in contact.body_text


def test_the_api_answers_in_the_requests_language_german_by_default(
    plans: Plans, api_as: Any
) -> None:
    api = api_as("coordinator")
    api.post("/api/v1/sites/1/closures", json=CHRISTMAS)
    path = f"/api/v1/bookings/{plans.hit[0].id}"

    [german] = api.get(path).get_json()["attention"]
    [english] = api.get(path, headers=EN).get_json()["attention"]

    assert set(german) == set(english) == {"reason", "detail"}
    assert german["detail"].endswith(f"ist geschlossen: {GERMAN}")
    assert english["detail"].endswith(f"is closed: {ENGLISH}")
    listed = api.get("/api/v1/bookings?from=2026-12-24&to=2026-12-25", headers=EN).get_json()
    hit = next(b for b in listed["items"] if b["id"] == plans.hit[0].id)
    assert hit["attention"] == [english]  # the fast list path writes it the same way
    session = api.get(f"/api/v1/sessions/{plans.session.id}", headers=EN).get_json()
    assert [set(a) for a in session["attention"]] == [{"reason", "detail"}]
    assert ENGLISH in session["attention"][0]["detail"]
    page = api.get("/api/v1/attention", headers=EN).get_json()
    details = [r["detail"] for item in page["items"] for r in item["reasons"]]
    assert details and all(d.endswith(f"is closed: {ENGLISH}") for d in details)
    assert all(set(r) == {"reason", "detail"} for item in page["items"] for r in item["reasons"])


def test_the_attention_page_speaks_the_viewers_language(
    plans: Plans, client: FlaskClient, login_as: Any, api_as: Any
) -> None:
    api_as("coordinator").post("/api/v1/sites/1/closures", json=CHRISTMAS)

    login_as("coordinator", locale="en")
    english = client.get("/attention").get_data(as_text=True)
    assert f"is closed: {ENGLISH}" in english and GERMAN not in english
    booking = client.get(f"/bookings/{plans.hit[0].id}").get_data(as_text=True)
    assert ENGLISH in booking

    client.post("/logout")
    login_as("coordinator")  # no language of their own: German
    german = client.get("/attention").get_data(as_text=True)
    assert f"ist geschlossen: {GERMAN}" in german and ENGLISH not in german


def test_an_item_stored_before_keeps_its_text_and_the_apis_shape(
    plans: Plans, api_as: Any
) -> None:
    booking = db.session.get(Booking, plans.hit[0].id)
    booking.attention = [OLD]
    db.session.commit()
    [item] = api_as("coordinator").get(
        f"/api/v1/bookings/{booking.id}", headers=EN
    ).get_json()["attention"]
    assert item == OLD


def test_deleting_a_closure_also_lifts_what_it_stored_before(
    plans: Plans, api_as: Any, app: Flask
) -> None:
    api = api_as("coordinator")
    closure_id = api.post("/api/v1/sites/1/closures", json=CHRISTMAS).get_json()["id"]
    booking = db.session.get(Booking, plans.hit[0].id)
    [stored] = booking.attention
    assert set(stored) == {"reason", "detail", "message", "params"}
    # The same item as written before messages were kept: its German text alone.
    booking.attention = [{"reason": stored["reason"], "detail": stored["detail"]}, OLD]
    db.session.commit()

    assert api.delete(f"/api/v1/closures/{closure_id}").status_code == 204

    db.session.expire_all()
    assert db.session.get(Booking, plans.hit[0].id).attention == [OLD]


def test_times_categories_and_ages_follow_the_reader(app: Flask) -> None:
    start = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)
    with app.test_request_context():
        maintenance = Item.of(
            "maintenance", "maintenance", unit="Laser 1",
            start=messages.moment(start, "Europe/Berlin"),
            end=messages.moment(start + dt.timedelta(hours=3), "Europe/Berlin"),
        )
        induction = Item.of(
            "induction", "no_induction", name="Mia K.",
            category=messages.category("laser_cutter"),
        )
        age = Item.of("age", "too_young", name="Mia K.", age=12, min=14)
        assert "Do., 10. Dez. 2026, 14:00" in maintenance.detail  # stored: German
        with force_locale("en"):
            assert detail_of(maintenance.as_json()) == (
                "Laser 1 is in maintenance from Thu, 10 Dec 2026, 14:00 to "
                "Thu, 10 Dec 2026, 17:00"
            )
            assert detail_of(induction.as_json()) == (
                "Mia K. has no valid safety induction for Laser cutter."
            )
            assert detail_of(age.as_json()) == "Mia K. is 12; the minimum age is 14."
        with force_locale("de"):
            assert detail_of(induction.as_json()) == induction.detail
            assert "Laser cutter" not in induction.detail
            assert detail_of({**age.as_json(), "message": "gone"}) == age.detail
