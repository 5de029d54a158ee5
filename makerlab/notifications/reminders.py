"""What the scheduled jobs queue: reminders, overdue notices, the weekly report.

Each function looks at the state of the database at ``now`` and queues the
e-mails that are due, with a ``dedupe_key`` that makes running it again (or
in a second process) a no-op. They only flush; the job commits, then
delivers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import aliased, joinedload

from makerlab import clock, dates, ical
from makerlab.auth.models import User
from makerlab.bookings.models import Booking, overdue_at
from makerlab.categories import label as category_label
from makerlab.db import begin_write
from makerlab.enums import BookingStatus, EnrolmentStatus, Role, SessionStatus
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.notifications.emails import public_url, queue_email, when
from makerlab.notifications.models import Notification
from makerlab.participants.models import Induction, Participant
from makerlab.participants.services import purge_inactive
from makerlab.reports.exports import render_pdf
from makerlab.reports.services import build_weekly_report_with_comparison
from makerlab.sites.models import Site
from makerlab.workshops.models import Enrolment, WorkshopSession

log = logging.getLogger(__name__)

BOOKING_REMINDER_AHEAD = dt.timedelta(hours=24)
SESSION_REMINDER_AHEAD = dt.timedelta(hours=48)
INDUCTION_NOTICE_AHEAD = dt.timedelta(days=30)


def stamp(instant: dt.datetime) -> str:
    """A compact UTC time for dedupe keys (a moved booking gets a new reminder)."""
    return instant.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")


def recipient_locale(user: User | None) -> str:
    """The user's language, else the centre's default."""
    default = str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if user is not None and user.locale in current_app.config["LANGUAGES"]:
        return str(user.locale)
    return default


def _existing_keys(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    found = db.session.scalars(
        sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))
    )
    return set(found)


def queue_booking_reminders(now: dt.datetime) -> int:
    """Remind bookers of reservations starting within 24 h (once per booking and start)."""
    begin_write(db.session())
    bookings = db.session.scalars(
        sa.select(Booking)
        .options(joinedload(Booking.equipment).joinedload(Equipment.site))
        .where(
            Booking.status == BookingStatus.RESERVED.value,
            Booking.starts_at > now,
            Booking.starts_at <= now + BOOKING_REMINDER_AHEAD,
            Booking.booked_by_id.is_not(None),
            # Units reserved for a workshop session are covered by its reminder.
            Booking.session_id.is_(None),
        )
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    keys = {b.id: f"booking-reminder:{b.id}:{stamp(b.starts_at)}" for b in bookings}
    done = _existing_keys(list(keys.values()))
    users = _users({b.booked_by_id for b in bookings if keys[b.id] not in done})
    queued = 0
    for booking in bookings:
        user = users.get(booking.booked_by_id or 0)
        if keys[booking.id] in done or user is None:
            continue
        locale = recipient_locale(user)
        unit = booking.equipment
        if queue_email(
            dedupe_key=keys[booking.id],
            to=user.email,
            template="booking_reminder",
            locale=locale,
            user_name=user.name or user.email,
            unit_name=unit.name,
            unit_location=unit.location,
            site_name=unit.site.name,
            site_address=unit.site.address,
            purpose=booking.purpose,
            loanable=unit.loanable,
            when=when(booking.starts_at, booking.ends_at, unit.site.timezone, locale),
        ):
            queued += 1
    return queued


def _users(ids: set[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = db.session.scalars(sa.select(User).where(User.id.in_(wanted), User.active.is_(True)))
    return {u.id: u for u in users}


def _users_by_email(emails: set[str]) -> dict[str, User]:
    if not emails:
        return {}
    users = db.session.scalars(
        sa.select(User).where(sa.func.lower(User.email).in_({e.lower() for e in emails}))
    )
    return {u.email.lower(): u for u in users}


def queue_session_reminders(now: dt.datetime) -> int:
    """Remind each confirmed class's contact 48 h ahead, with an .ics invitation.

    A class contact learns about their own class only: no participant names,
    no other school's classes.
    """
    begin_write(db.session())
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .join(WorkshopSession, WorkshopSession.id == Enrolment.session_id)
        .options(
            joinedload(Enrolment.session).joinedload(WorkshopSession.workshop),
            joinedload(Enrolment.school),
        )
        .where(
            WorkshopSession.status == SessionStatus.SCHEDULED.value,
            WorkshopSession.starts_at > now,
            WorkshopSession.starts_at <= now + SESSION_REMINDER_AHEAD,
            Enrolment.status == EnrolmentStatus.CONFIRMED.value,
            Enrolment.school_id.is_not(None),
            Enrolment.participant_id.is_(None),
        )
        .order_by(WorkshopSession.starts_at, Enrolment.id)
    ).all()
    keys = {e.id: f"session-reminder:{e.id}:{stamp(e.session.starts_at)}" for e in enrolments}
    done = _existing_keys(list(keys.values()))
    todo = [e for e in enrolments if keys[e.id] not in done]
    contacts = {e.id: _class_contact(e) for e in todo}
    users = _users_by_email({c for c in contacts.values() if c})
    sites = _sites({e.session.site_id for e in todo})
    queued = 0
    for enrolment in todo:
        contact = contacts[enrolment.id]
        if not contact:
            continue
        session = enrolment.session
        site = sites[session.site_id]
        locale = recipient_locale(users.get(contact.lower()))
        if queue_email(
            dedupe_key=keys[enrolment.id],
            to=contact,
            template="session_reminder",
            locale=locale,
            attachments=[ical.invitation(session, site, attendee=contact, stamp=now)],
            workshop_title=session.workshop.title,
            workshop_description=session.workshop.description,
            school_name=enrolment.school.name if enrolment.school else "",
            class_name=enrolment.class_name or "",
            headcount=enrolment.headcount or enrolment.seats,
            site_name=site.name,
            site_address=site.address,
            location=session.location,
            when=when(session.starts_at, session.ends_at, site.timezone, locale),
        ):
            queued += 1
    return queued


def _class_contact(enrolment: Enrolment) -> str | None:
    if enrolment.contact_email:
        return enrolment.contact_email
    return enrolment.school.contact_email if enrolment.school else None


def _sites(ids: set[int]) -> dict[int, Site]:
    return {s.id: s for s in db.session.scalars(sa.select(Site).where(Site.id.in_(ids)))}


def coordinators() -> list[User]:
    """Active coordinators, who get overdue notices and the weekly report."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.COORDINATOR.value, User.active.is_(True))
            .order_by(User.id)
        )
    )


def queue_overdue_notices(now: dt.datetime) -> int:
    """Tell the booker and every coordinator about each overdue kit, once a day."""
    begin_write(db.session())
    loans = db.session.scalars(
        sa.select(Booking)
        .options(joinedload(Booking.equipment).joinedload(Equipment.site))
        .where(overdue_at(now))
        .order_by(Booking.ends_at, Booking.id)
    ).all()
    if not loans:
        return 0
    staff = coordinators()
    bookers = _users({b.booked_by_id for b in loans})
    queued = 0
    for loan in loans:
        unit = loan.equipment
        tz = unit.site.timezone
        day = now.astimezone(ZoneInfo(tz)).date().isoformat()
        booker = bookers.get(loan.booked_by_id or 0)
        recipients = ([booker] if booker else []) + [u for u in staff if u is not booker]
        for user in recipients:
            locale = recipient_locale(user)
            overdue_days = (now.astimezone(ZoneInfo(tz)).date()
                            - loan.ends_at.astimezone(ZoneInfo(tz)).date()).days
            if queue_email(
                dedupe_key=f"overdue-kit:{loan.id}:{day}:u{user.id}",
                to=user.email,
                template="overdue_kit",
                locale=locale,
                user_name=user.name or user.email,
                is_booker=user is booker,
                booker_name=(booker.name or booker.email) if booker else "",
                unit_name=unit.name,
                site_name=unit.site.name,
                booking_id=loan.id,
                due=when(loan.ends_at, loan.ends_at, tz, locale),
                overdue_days=overdue_days,
                unit_code=unit.code,
                contents=list(unit.contents or []),
            ):
                queued += 1
    return queued


def previous_week(now: dt.datetime, tz: str) -> str:
    """ISO week (``YYYY-Www``) before the one ``now`` falls in, in site time."""
    year, week, _day = (now.astimezone(ZoneInfo(tz)).date() - dt.timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def weekly_report_pdf(week: str, locale: str) -> bytes | None:
    """The weekly report as PDF in ``locale``; None if it cannot be rendered."""
    try:
        with force_locale(locale):
            return render_pdf(build_weekly_report_with_comparison(week))
    except Exception:  # a broken report must not stop the e-mail with the link
        log.exception("weekly report: rendering the PDF for %s failed", week)
        return None


def queue_weekly_report(now: dt.datetime) -> int:
    """Send last week's usage report to every coordinator (PDF attached when available)."""
    tz = str(current_app.config["TIMEZONE"])
    week = previous_week(now, tz)
    staff = coordinators()
    keys = {u.id: f"weekly-report:{week}:u{u.id}" for u in staff}
    done = _existing_keys(list(keys.values()))
    staff = [u for u in staff if keys[u.id] not in done]
    if not staff:
        return 0
    link = public_url("reports.weekly", f"/reports/weekly?week={week}", week=week)
    # Render first (slow, read-only), then queue under the write lock.
    pdfs = {locale: weekly_report_pdf(week, locale)
            for locale in sorted({recipient_locale(u) for u in staff})}
    recipients = [(u.id, u.email, u.name, recipient_locale(u)) for u in staff]
    begin_write(db.session())
    done = _existing_keys(list(keys.values()))
    queued = 0
    for user_id, email, name, locale in recipients:
        if keys[user_id] in done:
            continue
        pdf = pdfs[locale]
        attachments = []
        if pdf is not None:
            attachments.append({
                "filename": f"makerlab-report-{week}.pdf",
                "mimetype": "application/pdf",
                "encoding": "base64",
                "content": base64.b64encode(pdf).decode("ascii"),
            })
        if queue_email(
            dedupe_key=keys[user_id],
            to=email,
            template="weekly_report",
            locale=locale,
            attachments=attachments,
            user_name=name or email,
            week=week,
            link=link,
            has_pdf=pdf is not None,
        ):
            queued += 1
    return queued


def expiring_inductions(today: dt.date) -> list[Induction]:
    """Inductions that end within 30 days, not renewed and not yet announced."""
    renewal = aliased(Induction)
    renewed = sa.exists().where(
        renewal.participant_id == Induction.participant_id,
        renewal.category == Induction.category,
        renewal.id != Induction.id,
        sa.or_(renewal.valid_until.is_(None), renewal.valid_until > Induction.valid_until),
    )
    return list(db.session.scalars(
        sa.select(Induction)
        .join(Participant, Participant.id == Induction.participant_id)
        .where(
            Induction.valid_until.is_not(None),
            Induction.valid_until >= today,
            Induction.valid_until <= today + INDUCTION_NOTICE_AHEAD,
            Induction.expiry_notice_on.is_(None),
            Participant.erased_at.is_(None),
            ~renewed,
        )
        .order_by(Induction.valid_until, Participant.last_name, Participant.first_name,
                  Induction.id)
    ))


def queue_induction_expiry_notices(now: dt.datetime) -> int:
    """Tell every youth worker and coordinator once, in one notice, whose inductions expire.

    Each induction is announced once, 30 days before its ``valid_until`` (or
    at the next run, if recorded closer to it); the notice's key names the
    inductions it lists, so a second run or process adds nothing.
    """
    begin_write(db.session())
    today = clock.today(str(current_app.config["TIMEZONE"]))
    inductions = expiring_inductions(today)
    if not inductions:
        return 0
    people = {p.id: p for p in db.session.scalars(
        sa.select(Participant).where(Participant.id.in_({i.participant_id for i in inductions})))}
    digest = hashlib.sha256(",".join(str(i.id) for i in inductions).encode()).hexdigest()[:16]
    staff = db.session.scalars(
        sa.select(User)
        .where(User.role.in_([Role.YOUTH_WORKER.value, Role.COORDINATOR.value]),
               User.active.is_(True))
        .order_by(User.id)
    ).all()
    queued = 0
    for user in staff:
        locale = recipient_locale(user)
        with force_locale(locale):
            rows = [{
                "name": f"{people[i.participant_id].first_name or ''} "
                        f"{people[i.participant_id].last_name or ''}".strip(),
                "category": category_label(i.category),
                "valid_until": dates.day(i.valid_until, language=locale),
                "days": (i.valid_until - today).days if i.valid_until else 0,
                "link": public_url("participants.detail",
                                   f"/participants/{i.participant_id}",
                                   participant_id=i.participant_id),
            } for i in inductions]
        if queue_email(
            dedupe_key=f"induction-expiry:{today.isoformat()}:{digest}:u{user.id}",
            to=user.email,
            template="induction_expiry",
            locale=locale,
            user_name=user.name or user.email,
            inductions=rows,
        ):
            queued += 1
    for induction in inductions:
        induction.expiry_notice_on = today
    db.session.flush()
    return queued


def purge_retention(now: dt.datetime) -> int:
    """Erase participants inactive beyond the retention period (participants domain)."""
    begin_write(db.session())
    return purge_inactive(now)
