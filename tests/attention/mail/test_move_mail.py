"""After a move the booker hears of the new unit or time, once, through a real SMTP server."""

from __future__ import annotations

from typing import Any

from flask import Flask

from makerlab.notifications import jobs
from tests.attention.conftest import DAMAGED
from tests.notifications.helpers import SmtpServer


def test_the_booker_is_told_of_a_move_by_someone_else_once(
    frozen: Any,
    api_as: Any,
    make_user: Any,
    make_unit: Any,
    make_booking: Any,
    job_app: Flask,
    smtp: SmtpServer,
) -> None:
    worker = make_user("youth_worker", name="Jonas Weber", locale="en")
    kit = make_unit(name="Podcast-Koffer 1", category="podcast_kit", loanable=True)
    spare = make_unit(name="Podcast-Koffer 2", category="podcast_kit", loanable=True)
    booking = make_booking(
        kit, "2027-01-06", "10:00", "12:00", attention=[DAMAGED], booked_by_id=worker.id
    )
    coordinator = api_as("coordinator")

    moved = coordinator.post(f"/api/v1/bookings/{booking.id}/move", json={"equipment_id": spare.id})

    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["attention"] == []
    again = coordinator.post(f"/api/v1/bookings/{booking.id}/move", json={"equipment_id": spare.id})
    assert again.status_code == 422  # already there: nothing moves, nobody is told twice
    assert jobs.deliver_outbox()["sent"] == 1
    (mail,) = smtp.sink.wait_for(1)
    assert str(mail["To"]) == worker.email
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Podcast-Koffer 2" in text and "Podcast-Koffer 1" in text
    assert "please use Podcast-Koffer 2" in text


def test_moving_ones_own_booking_sends_nothing(
    frozen: Any, api_as: Any, make_unit: Any, make_booking: Any, job_app: Flask, smtp: SmtpServer
) -> None:
    worker = api_as("youth_worker")
    unit = make_unit()
    booking = make_booking(unit, "2027-01-06", "10:00", "12:00", booked_by_id=worker.user.id)

    moved = worker.post(
        f"/api/v1/bookings/{booking.id}/move", json={"starts_at": "2027-01-07T10:00"}
    )

    assert moved.status_code == 200
    assert jobs.deliver_outbox()["sent"] == 0
