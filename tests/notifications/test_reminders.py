"""What the scheduled jobs send: reminders, overdue notices, weekly report, purge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import icalendar
import sqlalchemy as sa
from flask import Flask

from makerlab import clock
from makerlab.extensions import db
from makerlab.notifications import jobs
from makerlab.notifications.models import Notification
from tests.notifications.helpers import SmtpServer

UTC = dt.UTC
T0 = dt.datetime(2027, 3, 10, 8, 0, tzinfo=UTC)  # Wednesday 09:00 in Berlin
H = dt.timedelta(hours=1)


def test_booking_reminder_goes_out_once_24h_before_in_the_bookers_language(
    job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any],
    make_booking: Callable[..., Any],
) -> None:
    clock.set_frozen(T0)
    anna = make_user("youth_worker", name="Anna", locale="en")
    booking = make_booking(anna, T0 + 30 * H)  # Thursday 15:00 Berlin

    assert jobs.booking_reminders() == 0  # 30 h ahead: too early
    assert smtp.sink.messages == []

    clock.set_frozen(T0 + 7 * H)  # 23 h ahead
    assert jobs.booking_reminders() == 1
    [msg] = smtp.sink.messages
    assert msg["To"] == anna.email
    assert msg["Subject"] == f"Reminder: {booking.equipment.name} on Thu, 11 Mar 2027"
    text = msg.get_body(("plain",)).get_content()
    assert "Hello Anna," in text and "Projektwoche" in text
    assert "Thu, 11 Mar 2027, 15:00–17:00" in text
    assert "Passage 13" in text
    html = msg.get_body(("html",)).get_content()
    assert booking.equipment.name in html

    # Every later run (and a second process) finds it done.
    clock.set_frozen(T0 + 8 * H)
    assert jobs.booking_reminders() == 0
    assert jobs.deliver_outbox()["sent"] == 0
    assert len(smtp.sink.messages) == 1
    note = db.session.scalars(sa.select(Notification)).one()
    assert note.dedupe_key == f"booking-reminder:{booking.id}:20270311T1400Z"
    assert (note.status, note.attempts) == ("sent", 1)


def test_booking_reminder_defaults_to_german(
    job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any],
    make_booking: Callable[..., Any],
) -> None:
    clock.set_frozen(T0)
    user = make_user("coordinator", name="Jens", locale=None)
    booking = make_booking(user, T0 + 3 * H)  # made less than 24 h ahead
    assert jobs.booking_reminders() == 1  # reminded at the next run
    [msg] = smtp.sink.messages
    assert msg["Subject"] == f"Erinnerung: {booking.equipment.name} am Mi., 10. März 2027"
    assert "Hallo Jens," in msg.get_body(("plain",)).get_content()
    assert msg["Content-Language"] == "de"


def test_no_reminder_for_cancelled_started_or_session_bookings_and_a_moved_one_is_reminded_again(
    job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any],
    make_booking: Callable[..., Any],
) -> None:
    clock.set_frozen(T0)
    user = make_user("youth_worker")
    make_booking(user, T0 + 5 * H, status="cancelled")
    make_booking(user, T0 - H)  # already started
    make_booking(user, T0 + 25 * H)  # not yet
    moved = make_booking(user, T0 + 10 * H)
    assert jobs.booking_reminders() == 1
    moved.starts_at, moved.ends_at, moved.blocked_until = T0 + 12 * H, T0 + 13 * H, T0 + 13 * H
    db.session.commit()
    assert jobs.booking_reminders() == 1
    assert len(smtp.sink.messages) == 2


def _session_with_classes(
    make_school: Callable[..., Any], starts_at: dt.datetime
) -> tuple[Any, Any]:
    from makerlab.participants.models import Participant
    from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

    ours = make_school(name="Gesamtschule Am Treff")
    theirs = make_school(name="Grundschule Kastanienallee")
    workshop = Workshop(title="Synthesizer löten", description="Wir bauen einen Mini-Synth.")
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(workshop_id=workshop.id, site_id=1, starts_at=starts_at,
                              ends_at=starts_at + 3 * H, capacity=40, location="Raum 2")
    db.session.add(session)
    db.session.flush()
    mia = Participant(first_name="Mia", last_name="Beispielkind", birth_date=dt.date(2013, 5, 1),
                      guardian_consent=True)
    db.session.add(mia)
    db.session.flush()
    db.session.add_all([
        Enrolment(session_id=session.id, school_id=ours.id, class_name="7b", headcount=22,
                  seats=22, contact_email="lehrerin@treff.example", status="confirmed"),
        Enrolment(session_id=session.id, school_id=theirs.id, class_name="4c", headcount=12,
                  seats=12, contact_email="kastanie@schule.example", status="confirmed"),
        Enrolment(session_id=session.id, school_id=theirs.id, class_name="4d", headcount=30,
                  seats=30, contact_email="waiting@schule.example", status="waitlisted"),
        Enrolment(session_id=session.id, participant_id=mia.id, seats=1, status="confirmed"),
    ])
    db.session.commit()
    return session, ours


def test_session_reminder_to_each_class_contact_with_ics_and_no_other_names(
    job_app: Flask, smtp: SmtpServer, make_school: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    clock.set_frozen(T0)
    session, ours_school = _session_with_classes(make_school, T0 + 47 * H)
    make_user("teacher", email="lehrerin@treff.example", locale="en", school_id=ours_school.id)

    assert jobs.session_reminders() == 2
    assert jobs.session_reminders() == 0
    by_to = {str(m["To"]): m for m in smtp.sink.messages}
    assert set(by_to) == {"lehrerin@treff.example", "kastanie@schule.example"}

    ours = by_to["lehrerin@treff.example"]
    assert ours["Subject"].startswith("Workshop on Fri, 12 Mar 2027: Synthesizer")
    text = ours.get_body(("plain",)).get_content()
    assert "7b" in text and "22" in text and "Gesamtschule Am Treff" in text
    for secret in ("4c", "Kastanienallee", "Mia", "Beispielkind"):
        assert secret not in ours.as_string()
    [attachment] = list(ours.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    cal = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Synthesizer löten"
    assert event.decoded("DTSTART") == session.starts_at
    assert "Raum 2" in str(event["LOCATION"])

    theirs = by_to["kastanie@schule.example"]
    assert theirs["Subject"].startswith("Workshop am Fr., 12. März 2027")  # no account: German
    assert "7b" not in theirs.get_body(("plain",)).get_content()


def test_the_reminders_invitation_and_the_session_feed_are_one_event(
    job_app: Flask, smtp: SmtpServer, make_school: Callable[..., Any], login_as: Any,
    client: Any,
) -> None:
    """Same UID in the e-mail and the feed, so a teacher's calendar keeps one event."""
    clock.set_frozen(T0)
    session, ours_school = _session_with_classes(make_school, T0 + 47 * H)
    assert jobs.session_reminders() == 2
    uids = set()
    for message in smtp.sink.messages:
        [attachment] = list(message.iter_attachments())
        [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
        uids.add(str(event["UID"]))
    login_as("teacher", school_id=ours_school.id)
    feed = client.get(f"/sessions/{session.id}.ics")
    [event] = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert uids == {str(event["UID"])} == {f"session-{session.id}@passage13.example"}
    assert "7b" in str(event["DESCRIPTION"])  # the teacher's own class, as before


def test_session_reminder_waits_until_48h_before(
    job_app: Flask, smtp: SmtpServer, make_school: Callable[..., Any]
) -> None:
    clock.set_frozen(T0)
    _session_with_classes(make_school, T0 + 49 * H)
    assert jobs.session_reminders() == 0
    clock.set_frozen(T0 + 2 * H)
    assert jobs.session_reminders() == 2


def test_overdue_kit_notice_to_booker_and_coordinators_once_a_day(
    job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any],
    make_booking: Callable[..., Any], make_unit: Callable[..., Any],
) -> None:
    clock.set_frozen(T0)
    booker = make_user("youth_worker", name="Kai", locale="en")
    boss = make_user("coordinator", name="Chefin", locale="de")
    make_user("coordinator", name="Zweite", locale="en")
    make_user("coordinator", name="Ehemalig", active=False)
    kit = make_unit(name="Podcast-Kit 1", category="podcast_kit", loanable=True,
                    contents=[{"item": "Mikrofon", "count": 2}, {"item": "Tasche", "count": 1}])
    make_booking(booker, T0 - 50 * H, hours=48, equipment=kit, status="checked_out",
                 checked_out_at=T0 - 50 * H)
    make_booking(booker, T0 - 50 * H, hours=48, status="returned")
    make_booking(booker, T0 - 5 * H, hours=40, status="checked_out")  # not due yet

    assert jobs.overdue_kits() == 3
    assert sorted(smtp.sink.to()) == sorted([booker.email, boss.email,
                                             "coordinator3@makerlab.example"])
    to_boss = next(m for m in smtp.sink.messages if m["To"] == boss.email)
    assert to_boss["Subject"].startswith("Überfällig: Podcast-Kit 1")
    assert "Kai" in to_boss.get_body(("plain",)).get_content()
    # The notice names what is in the bag, so the borrower knows what to bring back.
    to_kai = next(m for m in smtp.sink.messages if m["To"] == booker.email)
    text = to_kai.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Podcast-Kit 1 ({kit.code}, Passage 13)" in text
    assert "Contents of the kit:\n- 2 × Mikrofon\n- 1 × Tasche" in text
    assert "2 × Mikrofon" in to_kai.get_body(("html",)).get_content()

    clock.set_frozen(T0 + 10 * H)  # same day in Berlin
    assert jobs.overdue_kits() == 0
    clock.set_frozen(T0 + 24 * H)  # the next day: again
    assert jobs.overdue_kits() == 3
    assert len(smtp.sink.messages) == 6


def test_weekly_report_to_coordinators_with_the_pdf(
    job_app: Flask, smtp: SmtpServer, make_user: Callable[..., Any]
) -> None:
    monday_7 = dt.datetime(2027, 3, 15, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    clock.set_frozen(monday_7)
    first = make_user("coordinator", locale="en")
    make_user("coordinator", locale="de")
    make_user("youth_worker")

    assert jobs.weekly_report() == 2
    assert jobs.weekly_report() == 0
    assert len(smtp.sink.messages) == 2
    msg = next(m for m in smtp.sink.messages if m["To"] == first.email)
    assert msg["Subject"] == "Weekly usage report, week 10 of 2027"
    text = msg.get_body(("plain",)).get_content()
    assert "attached is the usage report for week 10 of 2027." in text
    assert "/reports/weekly?week=2027-W10" in text
    german = next(m for m in smtp.sink.messages if m["To"] != first.email)
    assert german["Subject"] == "Wöchentlicher Nutzungsbericht KW 10 / 2027"
    assert "KW 10 / 2027" in german.get_body(("plain",)).get_content()
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "makerlab-report-2027-W10.pdf"
    assert pdf.get_content().startswith(b"%PDF")


def test_retention_job_erases_long_inactive_participants(job_app: Flask) -> None:
    from makerlab.participants.models import Participant

    clock.set_frozen(T0)
    long_ago = T0 - dt.timedelta(days=3 * 365)
    old = Participant(first_name="Lange", last_name="Her", birth_date=dt.date(2005, 1, 1),
                      last_activity_at=long_ago, created_at=long_ago)
    recent = Participant(first_name="Neu", last_name="Dabei", birth_date=dt.date(2012, 1, 1),
                         last_activity_at=T0 - dt.timedelta(days=30))
    db.session.add_all([old, recent])
    db.session.commit()
    assert jobs.retention_purge() == 1
    db.session.expire_all()
    assert old.erased_at is not None and old.first_name is None
    assert recent.erased_at is None
