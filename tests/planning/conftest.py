"""A centre with plans: bookings and a class session around Christmas, a second site, mail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from makerlab import clock
from makerlab.bookings.models import Booking
from makerlab.enums import EnrolmentStatus
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.sites.models import Site
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession
from tests.conftest import at
from tests.notifications.helpers import (  # noqa: F401  (fixtures)
    app_config,
    job_app,
    smtp,
)

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CONTACT = "frau.lindner@gs-nord.example"


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@dataclass
class Plans:
    booker: Any
    printer: Equipment
    kit: Equipment
    other_site_unit: Equipment
    hit: list[Booking]  # the five inside the Christmas closure
    past: Booking
    january: Booking  # after the closure
    elsewhere: Booking  # same days, another site
    session: WorkshopSession  # a class session on 28 December
    later_session: WorkshopSession


def add_session(day: str, title: str = "Löten für Einsteiger", site_id: int = 1) -> WorkshopSession:
    workshop = Workshop(title=title, min_age=8, max_age=14)
    db.session.add(workshop)
    db.session.flush()
    session = WorkshopSession(
        workshop_id=workshop.id, site_id=site_id, capacity=25, location="Werkstatt",
        starts_at=at(day, "09:00"), ends_at=at(day, "12:00"),
    )
    db.session.add(session)
    db.session.commit()
    return session


def enrol_class(session: WorkshopSession, school: Any, contact: str = CONTACT) -> Enrolment:
    enrolment = Enrolment(
        session_id=session.id, school_id=school.id, class_name="4a", headcount=22, seats=22,
        contact_email=contact, status=EnrolmentStatus.CONFIRMED.value,
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def make_booking(user: Any, starts_at: dt.datetime, hours: float = 2, **values: Any) -> Booking:
    """A booking written as it stands (the rules are not what these tests are about)."""
    unit = values.pop("equipment")
    ends_at = starts_at + dt.timedelta(hours=hours)
    booking = Booking(equipment_id=unit.id, booked_by_id=user.id, starts_at=starts_at,
                      ends_at=ends_at, blocked_until=ends_at, purpose="Projektwoche", **values)
    db.session.add(booking)
    db.session.commit()
    return booking


@pytest.fixture
def plans(
    frozen: dt.datetime,
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_school: Callable[..., Any],
) -> Plans:
    """Five bookings between 24 December and 1 January, one class session on 28 December."""
    booker = make_user("youth_worker", email="kai@passage13.example", name="Kai", locale="en")
    printer = make_unit(name="Prusa MK4")
    kit = make_unit(name="Podcast-Kit 1", category="podcast_kit", loanable=True)
    other = Site(name="Zweigstelle Süd", timezone="Europe/Berlin")
    db.session.add(other)
    db.session.commit()
    other_site_unit = make_unit(name="Prusa Süd", site_id=other.id)
    hit = [
        make_booking(booker, at("2026-12-24", "10:00"), equipment=printer),
        make_booking(booker, at("2026-12-28", "10:00"), equipment=printer),
        make_booking(booker, at("2026-12-30", "14:00"), equipment=printer),
        make_booking(booker, at("2026-12-29", "10:00"), equipment=kit),
        make_booking(booker, at("2027-01-01", "11:00"), equipment=kit),
    ]
    past = make_booking(booker, at("2026-11-30", "10:00"), equipment=printer)
    january = make_booking(booker, at("2027-01-02", "10:00"), equipment=printer)
    elsewhere = make_booking(booker, at("2026-12-28", "10:00"), equipment=other_site_unit)
    session = add_session("2026-12-28")
    enrol_class(session, make_school(name="Grundschule Nord"))
    later_session = add_session("2027-01-12")
    enrol_class(later_session, make_school(name="Grundschule Süd"), "herr.ost@gs-sued.example")
    clock.set_frozen(NOW)
    return Plans(booker, printer, kit, other_site_unit, hit, past, january, elsewhere, session,
                 later_session)
