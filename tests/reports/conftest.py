"""A hand-computed week (2027-W12, with the spring DST change) for the report tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from makerlab import clock
from makerlab.bookings.models import Booking
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.participants.models import Participant
from makerlab.sites.models import Closure
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = "2027-W12"  # Mon 2027-03-22 .. Sun 2027-03-28; clocks go forward on the Sunday
# Names that must never show up in any format of the report.
PARTICIPANT_NAMES = ("Zoraida", "Quenstedt", "Bartholomäa", "Wendehals", "Ottokar", "Rübezahl")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Berlin wall-clock time as a UTC instant."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(dt.UTC)


def mar(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return local(2027, 3, day, hour, minute)


EXPECTED_UNITS = {
    # name: (category, booked minutes, bookings, loans, overdue returns)
    "Prusa MK4 #1": ("3d_printer", 290, 2, 0, 0),
    "Prusa MK4 #2": ("3d_printer", 0, 0, 0, 0),
    "Epilog Fusion": ("laser_cutter", 90, 1, 0, 0),
    "Podcast-Koffer 1": ("podcast_kit", 3960, 2, 1, 0),
    "Synth-Kit 1": ("synth_kit", 1560, 1, 1, 2),
}
OPEN_MINUTES = 56 * 60  # Mon, Tue, Thu, Fri 08-20, Sat 10-18; Wednesday closed; Sunday closed
EXPECTED_WORKSHOPS = {
    "sessions": 2,
    "seats_offered": 42,
    "seats_confirmed": 32,
    "attended": 21,
    "schools_reached": 2,
    "participants_reached": 24,
}
EXPECTED_AGE_BANDS = {"<10": 1, "10-13": 1, "14-17": 1, "18+": 1}


def _booking(unit: Equipment, starts: dt.datetime, ends: dt.datetime, status: str = "reserved",
             participants: list[Participant] | None = None, **extra: Any) -> Booking:
    booking = Booking(equipment_id=unit.id, starts_at=starts, ends_at=ends, blocked_until=ends,
                      status=status, purpose="Test", **extra)
    booking.participants = list(participants or [])
    db.session.add(booking)
    return booking


@pytest.fixture
def scenario(app: Flask, make_school: Callable[..., Any]) -> dict[str, Any]:
    """Units, bookings, a closure, sessions and enrolments of 2027-W12 (see EXPECTED_*)."""
    clock.set_frozen(local(2027, 3, 29, 8, 0))  # Monday after the week, 08:00
    db.session.add(Closure(site_id=1, starts_on=dt.date(2027, 3, 24), ends_on=dt.date(2027, 3, 24),
                           reason="Fortbildung"))
    units = {
        name: Equipment(site_id=1, name=name, category=category,
                        loanable=category in ("podcast_kit", "synth_kit"))
        for name, (category, *_rest) in EXPECTED_UNITS.items()
    }
    units["Schneideplotter"] = Equipment(site_id=1, name="Schneideplotter",
                                         category="vinyl_cutter", status="retired")
    db.session.add_all(units.values())
    people = {
        "p1": Participant(first_name="Zoraida", last_name="Quenstedt", birth_year=2015,
                          birth_date=dt.date(2015, 6, 1)),
        "p2": Participant(first_name="Bartholomäa", last_name="Wendehals", birth_year=2009),
        "p3": Participant(first_name="Ottokar", last_name="Rübezahl", birth_year=2018),
        "p4": Participant(first_name="Ottokar", last_name="Wendehals", birth_year=2011),
        "p5": Participant(first_name="Zoraida", last_name="Rübezahl", birth_year=2008),
        "p6": Participant(first_name="Bartholomäa", last_name="Quenstedt", birth_year=2013),
    }
    db.session.add_all(people.values())
    db.session.flush()
    p = people
    printer, laser = units["Prusa MK4 #1"], units["Epilog Fusion"]
    podcast, synth = units["Podcast-Koffer 1"], units["Synth-Kit 1"]
    # Printer: 3.5 h + 1 h 20 min; a cancelled one and one ending before the week don't count.
    _booking(printer, mar(22, 9), mar(22, 12, 30), participants=[p["p4"]])
    _booking(printer, mar(23, 14), mar(23, 15, 15), "cancelled", [p["p6"]], cancelled_at=mar(20))
    _booking(printer, mar(25, 10), mar(25, 11, 20), participants=[p["p1"]])
    _booking(printer, mar(20, 16), mar(20, 18), "returned")
    # Podcast kit: a loan from the week before (clipped at Monday 00:00: 36 h) and one
    # over the DST night into the next week (Sat 17:00 CET .. Sun 24:00 CEST: 30 h).
    _booking(podcast, mar(19, 10), mar(23, 12), "returned", checked_out_at=mar(19, 10),
             returned_at=mar(23, 11))
    _booking(podcast, mar(27, 17), local(2027, 3, 29, 10), "checked_out",
             checked_out_at=mar(27, 16, 55))
    # Laser: 90 min; next Monday's booking is outside the week.
    _booking(laser, mar(26, 18, 30), mar(26, 20), participants=[p["p5"]])
    _booking(laser, local(2027, 3, 29, 9), local(2027, 3, 29, 10))
    # Synth kit: one returned late inside the week, one still out and overdue (26 h).
    _booking(synth, mar(17, 10), mar(19, 16), "returned", checked_out_at=mar(17, 10),
             returned_at=mar(23, 9, 30))
    _booking(synth, mar(25, 10), mar(26, 12), "checked_out", checked_out_at=mar(25, 10, 5))

    schools = {key: make_school() for key in "ABCD"}
    workshop = Workshop(title="Podcast-Werkstatt", min_age=8, max_age=99)
    db.session.add(workshop)
    db.session.flush()

    def session(starts: dt.datetime, hours: int, capacity: int, status: str = "scheduled") -> int:
        s = WorkshopSession(workshop_id=workshop.id, site_id=1, starts_at=starts,
                            ends_at=starts + dt.timedelta(hours=hours), capacity=capacity,
                            status=status)
        db.session.add(s)
        db.session.flush()
        return s.id

    def klass(session_id: int, school: str, headcount: int, status: str,
              attended: int | None = None) -> None:
        db.session.add(Enrolment(session_id=session_id, school_id=schools[school].id,
                                 class_name="7b", headcount=headcount, seats=headcount,
                                 status=status, attended_count=attended,
                                 contact_email="lehrerin@schule.example"))

    def person(session_id: int, key: str, status: str, attended: int | None = None) -> None:
        db.session.add(Enrolment(session_id=session_id, participant_id=p[key].id, seats=1,
                                 status=status, attended_count=attended))

    s1 = session(mar(23, 9), 3, 30)
    klass(s1, "A", 22, "confirmed", 20)
    klass(s1, "B", 10, "waitlisted")
    person(s1, "p1", "confirmed", 1)
    person(s1, "p2", "cancelled")
    s2 = session(mar(25, 9), 2, 15, "cancelled")
    klass(s2, "D", 12, "confirmed")
    s3 = session(mar(27, 14), 3, 12)
    person(s3, "p3", "confirmed")
    klass(s3, "C", 8, "confirmed")
    s4 = session(local(2027, 3, 29, 10), 2, 20)
    klass(s4, "D", 20, "confirmed", 18)
    s0 = session(mar(21, 15), 2, 20)
    klass(s0, "D", 15, "confirmed", 15)
    db.session.commit()
    return {"units": units, "people": people, "schools": schools}


# ---------------------------------------------------------------- March and April 2027
# The week above plus an April session and booking, so that people come back
# across weeks and months: young people reached must be counted once over the
# period, not once per week or month (hand count in tests/reports/test_period.py).
SPRING = ("2027-03-01", "2027-05-01")


@pytest.fixture
def spring(scenario: dict[str, Any]) -> dict[str, Any]:
    """``scenario`` plus p7, an April session (p1 and p4 again, school A again) and booking."""
    people, schools, units = scenario["people"], scenario["schools"], scenario["units"]
    p7 = Participant(first_name="Zoraida", last_name="Wendehals", birth_year=2016)
    db.session.add(p7)
    workshop = db.session.scalar(sa.select(Workshop))
    s5 = WorkshopSession(workshop_id=workshop.id, site_id=1, starts_at=local(2027, 4, 14, 10),
                         ends_at=local(2027, 4, 14, 12), capacity=16, status="scheduled")
    db.session.add(s5)
    db.session.flush()
    for key, attended in (("p1", 1), ("p4", 0)):
        db.session.add(Enrolment(session_id=s5.id, participant_id=people[key].id, seats=1,
                                 status="confirmed", attended_count=attended))
    db.session.add(Enrolment(session_id=s5.id, participant_id=p7.id, seats=1,
                             status="confirmed", attended_count=1))
    db.session.add(Enrolment(session_id=s5.id, school_id=schools["A"].id, class_name="8a",
                             headcount=12, seats=12, status="confirmed", attended_count=11,
                             contact_email="lehrerin@schule.example"))
    _booking(units["Prusa MK4 #2"], local(2027, 4, 20, 10), local(2027, 4, 20, 12),
             participants=[people["p3"], p7])
    db.session.commit()
    clock.set_frozen(local(2027, 5, 3, 8, 0))
    return {**scenario, "p7": p7}
