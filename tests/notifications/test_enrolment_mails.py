"""What class contacts and staff receive, through a real SMTP server, each exactly once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import icalendar
from flask import Flask

from makerlab import clock
from makerlab.extensions import db
from makerlab.notifications import jobs
from makerlab.participants.models import Induction, Participant
from makerlab.workshops.models import Workshop, WorkshopSession
from tests.notifications.helpers import SmtpServer

UTC = dt.UTC
T0 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
API = "/api/v1"


def _session(capacity: int = 25) -> WorkshopSession:
    workshop = Workshop(title="Synthesizer löten", description="Wir bauen einen Mini-Synth.")
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(workshop_id=workshop.id, site_id=1, capacity=capacity,
                              location="Raum 2", starts_at=dt.datetime(2027, 3, 10, 8, tzinfo=UTC),
                              ends_at=dt.datetime(2027, 3, 10, 11, tzinfo=UTC))
    db.session.add(session)
    db.session.commit()
    return session


def _calendar(message: EmailMessage) -> tuple[str, Any]:
    """The invitation's METHOD and its one event."""
    [attachment] = [a for a in message.iter_attachments()
                    if a.get_content_type() == "text/calendar"]
    cal = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = cal.walk("VEVENT")
    assert attachment.get_param("method") == str(cal["METHOD"])
    return str(cal["METHOD"]), event


def _mails(smtp: SmtpServer, to: str) -> list[EmailMessage]:
    return [m for m in smtp.sink.messages if str(m["To"]) == to]


def test_enrolment_mails_keep_one_calendar_entry_up_to_date(
    job_app: Flask, smtp: SmtpServer, api_as: Any, make_school: Callable[..., Any],
) -> None:
    clock.set_frozen(T0)
    session = _session(capacity=25)
    uid = f"session-{session.id}@passage13.example"
    teacher, other = api_as("teacher", locale="en"), api_as("teacher")
    url = f"{API}/sessions/{session.id}/enrolments"
    first = teacher.post(url, json={"class_name": "7b", "headcount": 20})  # contact: the teacher
    assert first.get_json()["status"] == "confirmed"
    second = other.post(url, json={"class_name": "8a", "headcount": 10,
                                   "contact_email": "klasse8a@schule.example"})
    assert second.get_json()["status"] == "waitlisted"
    assert jobs.deliver_outbox()["sent"] == 2

    # The teacher (English account) gets the confirmation with the invitation.
    [confirmed] = _mails(smtp, teacher.user.email)
    assert confirmed["Subject"] == (
        "Enrolment confirmed: Synthesizer löten on Wed, 10 Mar 2027")
    assert "7b" in confirmed.get_body(("plain",)).get_content()
    method, event = _calendar(confirmed)
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 0)
    assert event.decoded("DTSTART") == dt.datetime(2027, 3, 10, 8, tzinfo=UTC)
    assert str(event["ATTENDEE"]) == f"mailto:{teacher.user.email}"
    # A contact without an account reads German: the waitlist place, no invitation yet.
    [waiting] = _mails(smtp, "klasse8a@schule.example")
    assert waiting["Subject"] == "Warteliste, Platz 1: Synthesizer löten am Mi., 10. März 2027"
    assert "Platz 1" in waiting.get_body(("plain",)).get_content()
    assert not [a for a in waiting.iter_attachments()]

    # The session moves: both hear of it; the confirmed class's entry is updated in place.
    coord = api_as("coordinator")
    moved = coord.patch(f"{API}/sessions/{session.id}", json={
        "starts_at": "2027-03-11T12:00:00+01:00", "ends_at": "2027-03-11T15:00:00+01:00"})
    assert moved.status_code == 200
    jobs.deliver_outbox()
    changed = _mails(smtp, teacher.user.email)[-1]
    assert changed["Subject"].startswith("Changed: Synthesizer löten, now Thu, 11 Mar 2027, 12:00")
    method, event = _calendar(changed)
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 1)
    assert event.decoded("DTSTART") == dt.datetime(2027, 3, 11, 11, tzinfo=UTC)
    note = _mails(smtp, "klasse8a@schule.example")[-1]
    assert note["Subject"].startswith("Geändert: Synthesizer löten")
    assert "Warteliste" in note.get_body(("plain",)).get_content()

    # The teacher cancels: their entry is removed, the waiting class moves up and is invited.
    assert teacher.delete(f"{API}/enrolments/{first.get_json()['id']}").status_code == 200
    jobs.deliver_outbox()
    method, event = _calendar(_mails(smtp, teacher.user.email)[-1])
    assert (method, str(event["UID"]), str(event["STATUS"])) == ("CANCEL", uid, "CANCELLED")
    promoted = _mails(smtp, "klasse8a@schule.example")[-1]
    assert promoted["Subject"] == "Bestätigt: Synthesizer löten"
    method, event = _calendar(promoted)
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 1)

    # The session is cancelled with a reason: said in the mail, and the entry removed.
    reason = "Die Werkstatt ist wegen eines Wasserschadens geschlossen."
    assert coord.delete(f"{API}/sessions/{session.id}?reason={reason}").status_code == 200
    jobs.deliver_outbox()
    cancelled = _mails(smtp, "klasse8a@schule.example")[-1]
    assert cancelled["Subject"] == "Abgesagt: Synthesizer löten"
    assert reason in cancelled.get_body(("plain",)).get_content()
    method, event = _calendar(cancelled)
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == ("CANCEL", uid, 2)

    # Every mail once: nothing more to send, and no kind twice to anyone.
    assert jobs.deliver_outbox()["sent"] == 0
    kinds = Counter((str(m["To"]), m["Subject"].split(":")[0]) for m in smtp.sink.messages)
    assert set(kinds.values()) == {1}
    assert len(smtp.sink.messages) == 7


def test_induction_expiry_notice_once_to_youth_workers_and_coordinators(
    job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any],
) -> None:
    clock.set_frozen(T0)
    today = dt.date(2027, 3, 1)
    worker = make_user("youth_worker", locale="de")
    coordinator = make_user("coordinator", locale="en")
    make_user("teacher")
    make_user("admin")
    make_user("youth_worker", active=False)

    def person(first: str, category: str, valid_until: dt.date | None,
               **extra: Any) -> Participant:
        someone = Participant(first_name=first, last_name="Muster", birth_year=2012, **extra)
        db.session.add(someone)
        db.session.flush()
        db.session.add(Induction(participant_id=someone.id, category=category,
                                 completed_on=dt.date(2026, 3, 1), valid_until=valid_until))
        return someone

    person("Ayla", "laser_cutter", today + dt.timedelta(days=30))
    person("Ben", "3d_printer", today + dt.timedelta(days=9))
    person("Cem", "laser_cutter", today + dt.timedelta(days=32))  # in two days
    person("Dana", "laser_cutter", today - dt.timedelta(days=1))  # expired already
    person("Emil", "laser_cutter", None)  # never expires
    renewed = person("Fritz", "laser_cutter", today + dt.timedelta(days=5))
    db.session.add(Induction(participant_id=renewed.id, category="laser_cutter",
                             completed_on=today, valid_until=dt.date(2028, 3, 1)))
    person("Greta", "laser_cutter", today + dt.timedelta(days=3), erased_at=T0)
    db.session.commit()

    assert jobs.induction_expiry() == 2
    assert jobs.induction_expiry() == 0  # the same day again: nothing
    by_to = {str(m["To"]): m for m in smtp.sink.messages}
    assert set(by_to) == {worker.email, coordinator.email}
    german = by_to[worker.email]
    assert german["Subject"] == "2 Einweisungen laufen in den nächsten 30 Tagen ab"
    text = german.get_body(("plain",)).get_content()
    assert "Ben Muster" in text and "Ayla Muster" in text and "Lasercutter" in text
    assert text.index("Ben Muster") < text.index("Ayla Muster")  # the soonest first
    for other in ("Cem", "Dana", "Emil", "Fritz", "Greta"):
        assert other not in text
    assert by_to[coordinator.email]["Subject"] == "2 safety inductions expire within 30 days"

    clock.set_frozen(T0 + dt.timedelta(days=1))
    assert jobs.induction_expiry() == 0  # Ayla and Ben were announced once
    clock.set_frozen(T0 + dt.timedelta(days=2))  # Cem's 30 days begin
    assert jobs.induction_expiry() == 2
    latest = [m for m in smtp.sink.messages if str(m["To"]) == worker.email][-1]
    assert latest["Subject"] == "1 Einweisung läuft in den nächsten 30 Tagen ab"
    assert "Cem Muster" in latest.get_body(("plain",)).get_content()
    assert len(smtp.sink.messages) == 4
