"""The demo centre: Passage 13 in Halle-Neustadt, with a few weeks of activity.

Everything is fictional. Past activity is written directly (the booking rules
refuse bookings in the past); upcoming bookings go through the same services
as the app once those exist for the domain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from makerlab import clock
from makerlab.auth.models import User
from makerlab.auth.passwords import hash_password
from makerlab.bookings import services as bookings
from makerlab.bookings.models import Booking
from makerlab.demo_week import Cast, seed_week
from makerlab.enums import BookingStatus
from makerlab.equipment.models import Equipment
from makerlab.errors import DomainError
from makerlab.extensions import db
from makerlab.participants.models import Induction, Participant
from makerlab.schools.models import School
from makerlab.sites.models import Site
from makerlab.workshops import services as workshops
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

DEMO_LOGINS = [
    ("admin", "admin@passage13.example", "Werkstatt-Admin-13", "Kim Technik"),
    ("coordinator", "koordination@passage13.example", "Programm-Planung-13", "Sam Koordination"),
    ("youth_worker", "jugendarbeit@passage13.example", "Laser-und-Loeten-13", "Alex Jugendarbeit"),
    ("teacher", "lehrkraft@gms-neustadt.example", "Klassenfahrt-Maker-13", "Frau Petersen"),
]

EQUIPMENT = [
    # name, category, location, loanable, induction, min_age, buffer, max minutes
    ("Prusa MK4 Nr. 1", "3d_printer", "Werkstatt, Regal A", False, True, 10, 0, 480),
    ("Prusa MK4 Nr. 2", "3d_printer", "Werkstatt, Regal A", False, True, 10, 0, 480),
    ("Prusa MK4 Nr. 3", "3d_printer", "Werkstatt, Regal B", False, True, 10, 0, 480),
    ("Bambu Lab P1S", "3d_printer", "Werkstatt, Regal B", False, True, 10, 0, 480),
    ("Laser-Cutter CO2 60 W", "laser_cutter", "Laserraum", False, True, 14, 15, 240),
    ("Podcast-Koffer 1", "podcast_kit", "Medienschrank", True, False, None, 0, None),
    ("Podcast-Koffer 2", "podcast_kit", "Medienschrank", True, False, None, 0, None),
    ("Podcast-Koffer 3", "podcast_kit", "Medienschrank", True, False, None, 0, None),
    ("Synthesizer-Bausatz A", "synth_kit", "Elektronik-Ecke", True, False, 12, 0, None),
    ("Synthesizer-Bausatz B", "synth_kit", "Elektronik-Ecke", True, False, 12, 0, None),
    ("Schneideplotter Silhouette", "vinyl_cutter", "Werkstatt", False, False, 10, 0, 240),
    ("Podcast-Studio", "room", "1. OG", False, False, None, 0, 300),
]

# What the demo kits hold (checked off on return at the desk).
KIT_CONTENTS = {
    "podcast_kit": [
        {"item": "Mikrofon", "count": 2},
        {"item": "Aufnahmegerät Zoom H5", "count": 1},
        {"item": "Kopfhörer", "count": 2},
        {"item": "XLR-Kabel", "count": 2},
        {"item": "Ladegerät", "count": 1},
    ],
    "synth_kit": [
        {"item": "Synthesizer-Platine", "count": 1},
        {"item": "Lötkolben", "count": 1},
        {"item": "Klinkenkabel", "count": 2},
        {"item": "Bauanleitung", "count": 1},
    ],
}

SCHOOLS = [
    ("Gemeinschaftsschule Neustadt-West", "Am Gastronom 10, 06124 Halle (Saale)"),
    ("Sekundarschule Am Tulpenbrunnen", "Tulpenbrunnen 4, 06122 Halle (Saale)"),
]

WORKSHOPS = [
    (
        "3D-Druck: Vom Entwurf zum Objekt",
        "Eigene Schlüsselanhänger und Figuren modellieren und drucken.",
        10,
        16,
        {"3d_printer": 4},
    ),
    (
        "Laser-Cutting für Einsteiger",
        "Sicher am Laser arbeiten: Holzboxen und Schilder gestalten.",
        14,
        18,
        {"laser_cutter": 1},
    ),
    (
        "Podcast-Werkstatt „Hauptsache Bildung!“",
        "Interviews führen, aufnehmen, schneiden: die eigene Folge.",
        12,
        18,
        {"podcast_kit": 2},
    ),
    (
        "Synthesizer selbst bauen",
        "Löten, Schaltungen verstehen und den eigenen Synth spielen.",
        12,
        18,
        {"synth_kit": 2},
    ),
]

PARTICIPANTS = [
    ("Mia", "Schulze", dt.date(2012, 3, 14), 0),
    ("Leon", "Becker", dt.date(2011, 9, 2), 0),
    ("Emilia", "Wagner", dt.date(2013, 1, 27), 1),
    ("Noah", "Hoffmann", dt.date(2010, 6, 8), 1),
    ("Hannah", "Krüger", dt.date(2009, 11, 30), None),
    ("Elias", "Neumann", dt.date(2012, 7, 19), 0),
]


def seed(if_empty: bool = False) -> list[tuple[str, str, str]] | None:
    """Create the demo centre; returns the demo logins (None if skipped)."""
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None
    site = db.session.scalar(sa.select(Site).order_by(Site.id))
    if site is None:
        raise RuntimeError("No site: run `flask --app wsgi db upgrade` first.")
    today = clock.today(site.timezone)
    schools = _seed_schools()
    users = _seed_users(schools)
    units = _seed_units(site)
    people = _seed_participants(schools, today)
    _seed_inductions(people, users["youth_worker"], today)
    _seed_past_bookings(site, units, users["youth_worker"], today)
    db.session.flush()
    _seed_workshops(site, schools, users, today)
    _seed_upcoming_bookings(site, units, users["youth_worker"], people, today)
    cast = Cast(youth_worker=users["youth_worker"], coordinator=users["coordinator"], people=people)
    seed_week(site, units, cast, today)
    db.session.commit()
    return [(r, e, p) for r, e, p, _n in DEMO_LOGINS]


def _seed_schools() -> list[School]:
    schools = [
        School(name=n, address=a, contact_email=f"sekretariat{i}@schule.example")
        for i, (n, a) in enumerate(SCHOOLS, 1)
    ]
    db.session.add_all(schools)
    db.session.flush()
    return schools


def _seed_users(schools: list[School]) -> dict[str, User]:
    """One account per role (the teacher at the first school), with the printed passwords."""
    users = {
        role: User(
            email=email,
            role=role,
            name=name,
            password_hash=hash_password(password),
            school_id=schools[0].id if role == "teacher" else None,
        )
        for role, email, password, name in DEMO_LOGINS
    }
    db.session.add_all(users.values())
    return users


def _seed_units(site: Site) -> list[Equipment]:
    units = [
        Equipment(
            site_id=site.id,
            name=n,
            category=c,
            location=loc,
            loanable=loan,
            requires_induction=ind,
            min_age=age,
            buffer_minutes=buf,
            max_booking_minutes=mx,
            contents=KIT_CONTENTS.get(c, []) if loan else [],
        )
        for n, c, loc, loan, ind, age, buf, mx in EQUIPMENT
    ]
    db.session.add_all(units)
    db.session.flush()
    return units


def _seed_participants(schools: list[School], today: dt.date) -> list[Participant]:
    people = [
        Participant(
            first_name=first,
            last_name=last,
            birth_date=born,
            birth_year=born.year,
            school_id=schools[school_index].id if school_index is not None else None,
            guardian_name=f"Eltern {last}",
            guardian_email=f"{last.lower()}@familie.example",
            guardian_phone="0345 000000",
            guardian_consent=True,
            guardian_consent_on=today - dt.timedelta(days=60),
            photo_consent=first != "Leon",
            may_go_home_alone=born.year <= 2011,
        )
        for first, last, born, school_index in PARTICIPANTS
    ]
    db.session.add_all(people)
    db.session.flush()
    return people


def _seed_inductions(people: list[Participant], by: User, today: dt.date) -> None:
    """3D-printer inductions for the first four, a laser-cutter one for the fourth."""
    for p in people[:4]:
        db.session.add(
            Induction(
                participant_id=p.id,
                category="3d_printer",
                completed_on=today - dt.timedelta(days=40),
                valid_until=today + dt.timedelta(days=325),
                recorded_by_id=by.id,
            )
        )
    db.session.add(
        Induction(
            participant_id=people[3].id,
            category="laser_cutter",
            completed_on=today - dt.timedelta(days=20),
            valid_until=None,
            recorded_by_id=by.id,
        )
    )


def existing_demo_logins() -> list[tuple[str, str, str]]:
    """The demo logins whose accounts still exist (passwords unchanged or not)."""
    emails = {e for _r, e, _p, _n in DEMO_LOGINS}
    present = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    return [(r, e, p) for r, e, p, _n in DEMO_LOGINS if e in present]


def _at(day: dt.date, hour: int, tz: str) -> dt.datetime:
    return clock.combine(day, dt.time(hour, 0), tz)


def _next_weekday(day: dt.date, weekday: int, weeks_ahead: int = 0) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7 + 7 * weeks_ahead)


def _seed_workshops(
    site: Site, schools: list[School], users: dict[str, User], today: dt.date
) -> None:
    """Workshops with one past run (attendance recorded) and upcoming runs.

    Upcoming sessions are planned through the workshop service, so they
    reserve their equipment like any session a coordinator plans.
    """
    coordinator = users["coordinator"]
    for i, (title, description, lo, hi, needs) in enumerate(WORKSHOPS):
        workshop = workshops.create_workshop(
            coordinator,
            title=title,
            description=description,
            min_age=lo,
            max_age=hi,
            facilitator_id=users["youth_worker"].id,
            equipment_needs=needs,
        )
        _seed_past_run(site, workshop, schools[i % 2], _next_weekday(today, i, weeks_ahead=-2), i)
        for weeks_ahead in (1, 3):
            day = _next_weekday(today, i, weeks_ahead=weeks_ahead)
            try:
                session = workshops.create_session(
                    coordinator,
                    workshop,
                    starts_at=_at(day, 9, site.timezone),
                    ends_at=_at(day, 12, site.timezone),
                    capacity=24,
                    site_id=site.id,
                    location="Werkstatt",
                )
                workshops.enrol(
                    coordinator,
                    session,
                    school_id=schools[(i + weeks_ahead) % 2].id,
                    class_name=f"{7 + i}a",
                    headcount=18,
                    contact_email=f"klasse{7 + i}a@schule.example",
                )
            except DomainError:
                continue  # e.g. a closure the demo centre was given meanwhile


def _seed_past_run(site: Site, workshop: Workshop, school: School, day: dt.date, i: int) -> None:
    """A session that took place, with a class whose attendance is recorded.

    Written directly: planning it through the service would book its equipment,
    and bookings in the past are refused.
    """
    past = WorkshopSession(
        workshop_id=workshop.id,
        site_id=site.id,
        starts_at=_at(day, 9, site.timezone),
        ends_at=_at(day, 12, site.timezone),
        capacity=24,
        location="Werkstatt",
    )
    db.session.add(past)
    db.session.flush()
    db.session.add(
        Enrolment(
            session_id=past.id,
            school_id=school.id,
            class_name=f"{7 + i}b",
            headcount=18,
            seats=18,
            contact_email=f"klasse{7 + i}b@schule.example",
            status="confirmed",
            attended_count=16,
        )
    )


def _seed_upcoming_bookings(
    site: Site, units: list[Equipment], by: User, people: list[Participant], today: dt.date
) -> None:
    """A weekly open-workshop series and a weekend podcast loan, booked by the rules."""
    printer = next(u for u in units if u.category == "3d_printer")
    kit = next(u for u in units if u.category == "podcast_kit")
    wednesday = _next_weekday(today, 2, weeks_ahead=1)
    friday = _next_weekday(today, 4, weeks_ahead=1)
    attempts = [
        dict(
            equipment_id=printer.id,
            starts_at=_at(wednesday, 15, site.timezone),
            ends_at=_at(wednesday, 18, site.timezone),
            purpose="Offene Werkstatt: 3D-Druck",
            participant_ids=[people[0].id, people[1].id],
            recurrence={"frequency": "weekly", "count": 6},
            skip_conflicts=True,
        ),
        dict(
            equipment_id=kit.id,
            starts_at=_at(friday, 16, site.timezone),
            ends_at=_at(friday + dt.timedelta(days=3), 10, site.timezone),
            purpose="Podcast-Folge über den Stadtteil",
        ),
    ]
    for values in attempts:
        try:
            bookings.create_booking(by, **values)  # type: ignore[arg-type]
        except DomainError:
            continue


def _seed_past_bookings(site: Site, units: list[Equipment], by: User, today: dt.date) -> None:
    tz = site.timezone
    rows: list[Any] = []
    for back in range(1, 22):
        day = today - dt.timedelta(days=back)
        if day.weekday() > 4:
            continue
        for n, unit in enumerate(units):
            if (back + n) % 3 == 0:
                continue
            start = _at(day, 10 + (n % 4) * 2, tz)
            end = start + dt.timedelta(hours=2 if not unit.loanable else 24)
            # The last week's loans are made at the desk (demo_week); none may end after now.
            if unit.loanable and ((back + n) % 2 or back <= 7):
                continue
            returned = unit.loanable
            rows.append(
                Booking(
                    equipment_id=unit.id,
                    booked_by_id=by.id,
                    starts_at=start,
                    ends_at=end,
                    blocked_until=end + dt.timedelta(minutes=unit.buffer_minutes),
                    purpose="Offene Werkstatt",
                    status=BookingStatus.RETURNED if returned else BookingStatus.RESERVED,
                    checked_out_at=start if returned else None,
                    returned_at=end if returned else None,
                    return_condition="ok" if returned else None,
                )
            )
    db.session.add_all(rows)
