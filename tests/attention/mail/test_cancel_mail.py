"""Cancelling someone else's booking with a reason tells them, once, by e-mail."""

from __future__ import annotations

from typing import Any

from flask import Flask

from makerlab.bookings.models import Booking
from makerlab.extensions import db
from makerlab.notifications import jobs
from tests.attention.conftest import DAMAGED
from tests.notifications.helpers import SmtpServer

EN = {"Accept-Language": "en"}


def test_the_booker_hears_the_reason_of_a_cancellation(
    frozen: Any,
    client: Any,
    login_as: Any,
    make_user: Any,
    make_unit: Any,
    make_booking: Any,
    job_app: Flask,
    smtp: SmtpServer,
) -> None:
    worker = make_user("youth_worker", name="Jonas Weber")
    kit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    booking = make_booking(
        kit, "2027-01-06", "10:00", "12:00", attention=[DAMAGED], booked_by_id=worker.id
    )
    login_as("coordinator")
    url = f"/bookings/{booking.id}/cancel?next=/"

    question = client.get(url, headers=EN).get_data(as_text=True)
    assert "Reason (optional; sent to whoever made the booking)" in question
    assert "Jonas Weber made this booking and is told by e-mail if you give a reason." in question

    response = client.post(url, data={"scope": "this", "reason": "Kein Koffer mehr frei"})

    assert response.status_code == 302
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.attention == []
    assert jobs.deliver_outbox()["sent"] == 1
    (mail,) = smtp.sink.wait_for(1)
    assert str(mail["To"]) == worker.email
    assert "Ihre Buchung wurde storniert: Podcast-Koffer 1" in str(mail["Subject"])
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Grund: Kein Koffer mehr frei" in text


def test_no_reason_no_mail_and_nobody_to_tell_on_ones_own(
    frozen: Any,
    client: Any,
    login_as: Any,
    make_user: Any,
    make_unit: Any,
    make_booking: Any,
    job_app: Flask,
    smtp: SmtpServer,
) -> None:
    worker = make_user("youth_worker")
    other = make_booking(make_unit(), "2027-01-06", "10:00", "12:00", booked_by_id=worker.id)
    me = login_as("coordinator")
    mine = make_booking(make_unit(), "2027-01-06", "10:00", "12:00", booked_by_id=me.id)

    assert client.post(f"/bookings/{other.id}/cancel", data={"scope": "this"}).status_code == 302
    own = client.get(f"/bookings/{mine.id}/cancel", headers=EN).get_data(as_text=True)
    assert "Reason" not in own
    assert client.post(f"/bookings/{mine.id}/cancel", data={"scope": "this"}).status_code == 302

    db.session.expire_all()
    assert {db.session.get(Booking, b.id).status for b in (other, mine)} == {"cancelled"}  # type: ignore[union-attr]
    assert jobs.deliver_outbox()["sent"] == 0
