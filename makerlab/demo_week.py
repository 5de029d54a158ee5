"""The demo centre's current week: what the second release added, seeded through its services.

Kits out at the loan desk (one due back today, one overdue), a kit back with
a part missing this morning (its next workshop reservations need attention),
the Christmas break and Sachsen-Anhalt's public holidays as closures, the
school year as report terms, a guardian consent request still open and a
young person turning 16 soon.

Loans that began in the past are made with the clock set back to the moment
they happened (pick-up, hand-over, return), so every rule, the audit log and
the re-planning run as they do at the desk. Mails queued here go to
``.example`` addresses only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from makerlab import clock
from makerlab.audit import set_actor
from makerlab.auth.models import User
from makerlab.bookings import loans
from makerlab.bookings import services as bookings
from makerlab.bookings.models import Booking
from makerlab.enums import BookingStatus
from makerlab.equipment.models import Equipment
from makerlab.errors import DomainError
from makerlab.extensions import db
from makerlab.participants import consent
from makerlab.participants import services as participants
from makerlab.participants.models import Participant
from makerlab.planning.impact import UnitChange, replan, replan_closures
from makerlab.sites import closure_imports
from makerlab.sites import services as sites
from makerlab.sites.models import Site

HOLIDAY_STATE = "ST"  # Sachsen-Anhalt
CHRISTMAS_REASON = "Weihnachtspause Passage 13"


@dataclass
class Cast:
    """Who does what in the demo week."""

    youth_worker: User
    coordinator: User
    people: list[Participant]


def seed_week(site: Site, units: list[Equipment], cast: Cast, today: dt.date) -> None:
    """Everything of the current week; call after the workshops and bookings are planned.

    The closures come first: they re-plan what is planned already, and the
    loans then keep to them like any loan at the desk.
    """
    set_actor(db.session, cast.coordinator)
    _seed_closures(site, cast.coordinator, today)
    _seed_terms(site, cast.coordinator, today)
    set_actor(db.session, cast.youth_worker)
    _seed_loans(site, units, cast)
    _seed_consent(cast, today)
    set_actor(db.session, None)
    db.session.flush()


# --------------------------------------------------------------------------- times


def _local(day: dt.date, hour: int, minute: int, site: Site) -> dt.datetime:
    return clock.combine(day, dt.time(hour, minute), site.timezone)


def _is_open(site: Site, instant: dt.datetime) -> bool:
    """Open by the weekly hours and not closed that day (a holiday, the Christmas break)."""
    closed = sites.closed_days(site, instant, instant + dt.timedelta(minutes=1))
    return sites.is_open_at(site, instant) and not closed


def _open_days_before(site: Site, day: dt.date) -> Iterator[dt.date]:
    """Earlier days the site is open at 16:00, latest first."""
    for back in range(1, 60):
        earlier = day - dt.timedelta(days=back)
        if _is_open(site, _local(earlier, 16, 0, site)):
            yield earlier


def _due_back(site: Site, today: dt.date, now: dt.datetime) -> dt.datetime:
    """A return time later today within the opening hours, else on the next open day."""
    for ahead in range(60):
        day = today + dt.timedelta(days=ahead)
        for hour, minute in ((19, 30), (17, 30), (13, 0)):
            instant = _local(day, hour, minute, site)
            if instant > now + dt.timedelta(minutes=30) and _is_open(site, instant):
                return instant
    return _local(today + dt.timedelta(days=60), 13, 0, site)  # never open: the rules say no


# --------------------------------------------------------------------------- loans


def _lend(
    actor: User,
    unit: Equipment,
    start: dt.datetime,
    end: dt.datetime,
    purpose: str,
    people: list[Participant],
) -> Booking | None:
    """Book ``unit`` as if at ``start`` and hand it over then (None if a rule says no)."""
    try:
        with clock.freeze(start):
            booking = bookings.create_booking(
                actor,
                equipment_id=unit.id,
                starts_at=start,
                ends_at=end,
                purpose=purpose,
                participant_ids=[p.id for p in people],
            ).bookings[0]
            loans.check_out(actor, booking)
    except DomainError:
        return None
    return booking


def _free_kit(units: list[Equipment], category: str, taken: set[int]) -> Iterator[Equipment]:
    yield from (u for u in units if u.category == category and u.id not in taken)


def _seed_loans(site: Site, units: list[Equipment], cast: Cast) -> None:
    """Podcast kits due back today and to hand out, a synth kit overdue, a kit back incomplete.

    On a closed day (or late in the evening) the podcast kit is due on the next open day;
    with a closure between its pick-up and return there is none (the rules refuse it).
    """
    now = clock.now()
    today = clock.today(site.timezone)
    earlier = list(_open_days_before(site, today))
    by, people = cast.youth_worker, cast.people
    taken: set[int] = set()
    damaged = _kit_with_session_ahead(units, "podcast_kit")
    if damaged is not None:
        taken.add(damaged.id)
        _return_incomplete(site, damaged, by, [people[2], people[5]], earlier[0], today, now)
    due = _due_back(site, today, now)
    for kit in _free_kit(units, "podcast_kit", taken):
        start = _local(earlier[0], 16, 0, site)
        purpose = "Interview mit dem Quartiersmanagement Neustadt"
        if _lend(by, kit, start, due, purpose, [people[1], people[0]]):
            taken.add(kit.id)
            break
    _reserve_pickup(site, units, by, [people[4]], taken, today, now)
    for kit in _free_kit(units, "synth_kit", taken):
        # One day's loan: a loan across a closure day is refused, as at the desk.
        start = _local(earlier[0], 10, 0, site)
        end = _local(earlier[0], 17, 30, site)
        if _lend(by, kit, start, end, "Synthesizer zu Hause fertig löten", [people[3]]):
            break


def _reserve_pickup(
    site: Site,
    units: list[Equipment],
    by: User,
    people: list[Participant],
    taken: set[int],
    today: dt.date,
    now: dt.datetime,
) -> None:
    """A podcast kit to hand out later today (if today has opening hours left)."""
    pickup = next(
        (
            instant
            for hour, minute in ((16, 0), (17, 0), (19, 0))
            if (instant := _local(today, hour, minute, site)) > now + dt.timedelta(minutes=30)
            and _is_open(site, instant)
        ),
        None,
    )
    if pickup is None:
        return
    due = _due_back(site, today + dt.timedelta(days=1), pickup)
    for kit in _free_kit(units, "podcast_kit", taken):
        try:
            bookings.create_booking(
                by,
                equipment_id=kit.id,
                starts_at=pickup,
                ends_at=due,
                purpose="Hörspiel für das Stadtteilfest",
                participant_ids=[p.id for p in people],
            )
        except DomainError:
            continue
        taken.add(kit.id)
        return


def _kit_with_session_ahead(units: list[Equipment], category: str) -> Equipment | None:
    """A kit of ``category`` that a planned workshop session has reserved."""
    ids = [u.id for u in units if u.category == category]
    unit_id = db.session.scalar(
        sa.select(Booking.equipment_id)
        .where(
            Booking.equipment_id.in_(ids),
            Booking.session_id.is_not(None),
            Booking.status == BookingStatus.RESERVED.value,
            Booking.starts_at > clock.now(),
        )
        .order_by(Booking.starts_at, Booking.equipment_id)
        .limit(1)
    )
    return next((u for u in units if u.id == unit_id), None)


def _return_incomplete(
    site: Site,
    kit: Equipment,
    by: User,
    people: list[Participant],
    lent_on: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> None:
    """Lend ``kit`` the last open day; it came back this morning without a headphone.

    Before 10:35 (or on a closed day) it came back at the end of the loan instead.

    The return goes through the desk's path: missing parts make it a damaged
    return, the kit goes into maintenance and its next reservations are re-planned.
    """
    start = _local(lent_on, 14, 0, site)
    end = _local(lent_on, 18, 0, site)
    booking = _lend(by, kit, start, end, "Podcast-Aufnahme im Stadtteilzentrum", people)
    if booking is None:
        return
    back = _local(today, 10, 15, site)
    if back > now - dt.timedelta(minutes=20) or not _is_open(site, back):
        back = end  # too early today (or closed): it came back on time, at closing
    note = "Ein Kopfhörer fehlt, das Kabel des zweiten ist eingerissen."
    missing = [{"item": "Kopfhörer", "count": 1}]
    with clock.freeze(back):
        loans.return_booking(by, booking, condition="damaged", note=note, missing=missing)
        replan(UnitChange.damaged(booking, note), by)


# --------------------------------------------------------------------------- calendar


def _christmas(today: dt.date) -> tuple[dt.date, dt.date]:
    """24 December to 1 January of the coming (or current) Christmas break."""
    year = today.year if today >= dt.date(today.year, 1, 2) else today.year - 1
    return dt.date(year, 12, 24), dt.date(year + 1, 1, 1)


def _seed_closures(site: Site, actor: User, today: dt.date) -> None:
    """The Christmas break, then the public holidays of this year and the next (idempotent)."""
    first, last = _christmas(today)
    added = sites.add_closures_once(actor, site, [(first, last, CHRISTMAS_REASON)]).added
    for year in (today.year, today.year + 1):
        added += closure_imports.add_public_holidays(
            actor, site, year=year, state=HOLIDAY_STATE
        ).added
    replan_closures(added, site, actor)


def _school_year(today: dt.date) -> int:
    """The year the current school year began (1 August)."""
    return today.year if today.month >= 8 else today.year - 1


def _seed_terms(site: Site, actor: User, today: dt.date) -> None:
    """The school year and its two half-years, for the report shortcuts."""
    year = _school_year(today)
    label = f"{year}/{(year + 1) % 100:02d}"
    terms = [
        (f"Schuljahr {label}", dt.date(year, 8, 1), dt.date(year + 1, 7, 31)),
        (f"1. Halbjahr {label}", dt.date(year, 8, 1), dt.date(year + 1, 1, 31)),
        (f"2. Halbjahr {label}", dt.date(year + 1, 2, 1), dt.date(year + 1, 7, 31)),
    ]
    for name, starts_on, ends_on in terms:
        try:
            sites.add_term(actor, site, name=name, starts_on=starts_on, ends_on=ends_on)
        except DomainError:
            continue  # there already


# --------------------------------------------------------------------------- consent


def _birthday_years_ago(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return dt.date(day.year - years, 2, 28)


def _seed_consent(cast: Cast, today: dt.date) -> None:
    """A newcomer whose guardian has the consent link, and a girl turning 16 in ten days."""
    actor = cast.youth_worker
    newcomer = participants.create_participant(
        actor,
        first_name="Jonas",
        last_name="Richter",
        birth_date=_birthday_years_ago(today - dt.timedelta(days=90), 11),
        school_id=cast.people[0].school_id,
        guardian_name="Sandra Richter",
        guardian_email="richter@familie.example",
        guardian_phone="0345 000000",
        guardian_consent=False,
    )
    participants.create_participant(
        actor,
        first_name="Lea",
        last_name="Fischer",
        birth_date=_birthday_years_ago(today + dt.timedelta(days=10), 16),
        school_id=cast.people[1].school_id,
        guardian_name="Eltern Fischer",
        guardian_email="fischer@familie.example",
        guardian_phone="0345 000000",
        guardian_consent=True,
        guardian_consent_on=today - dt.timedelta(days=300),
        photo_consent=True,
        may_go_home_alone=True,
    )
    consent.request_consent(actor, newcomer, language="de")
