"""What a class contact (or a participant's guardian) hears about an enrolment.

Every mail goes through the outbox with a dedupe key, so it is sent exactly
once. A confirmed enrolment's mails carry the session as a calendar
invitation with the session's one UID: confirmation and promotion add it,
a change of time or place updates it (the session's ``sequence`` was raised),
a cancellation removes it. Contacts without an account read German; a
teacher who is the contact reads their own language.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from makerlab import clock, ical
from makerlab.enums import EnrolmentStatus
from makerlab.notifications.emails import locale_for_address, queue_email, when
from makerlab.sites.models import Site
from makerlab.sites.services import find_site
from makerlab.workshops.models import Enrolment, WorkshopSession

CONFIRMED = EnrolmentStatus.CONFIRMED.value


def contact_of(enrolment: Enrolment) -> str | None:
    """Where news about an enrolment goes: the class contact or the guardian."""
    if enrolment.participant_id is not None:
        participant = enrolment.participant
        return participant.guardian_email if participant and participant.erased_at is None else None
    return enrolment.contact_email


def _send(enrolment: Enrolment, session: WorkshopSession, template: str, key: str, *,
          calendar: str | None = None, **extra: Any) -> None:
    """Queue ``template`` to the enrolment's contact; ``calendar``: "update" or "cancel"."""
    to = contact_of(enrolment)
    if not to:
        return
    site: Site | None = find_site(session.site_id)
    tz = site.timezone if site else str(current_app.config["TIMEZONE"])
    locale = locale_for_address(to)
    attachments = []
    if calendar is not None:
        attachments.append(ical.invitation(session, site, attendee=to, stamp=clock.now(),
                                           cancel=calendar == "cancel"))
    queue_email(
        dedupe_key=key,
        to=to,
        template=template,
        locale=locale,
        attachments=attachments,
        workshop_title=session.workshop.title,
        when=when(session.starts_at, session.ends_at, tz, locale),
        location=session.location,
        site_name=site.name if site else "",
        site_address=site.address if site else "",
        school_name=enrolment.school.name if enrolment.school else "",
        class_name=enrolment.class_name,
        participant_name=enrolment.participant.first_name if enrolment.participant else None,
        seats=enrolment.seats,
        has_calendar=calendar is not None,
        **extra,
    )


def enrolment_received(enrolment: Enrolment, session: WorkshopSession,
                       waitlist_position: int | None) -> None:
    """At once: the confirmation with the invitation, or the waitlist notice with the place."""
    if enrolment.participant_id is not None:
        return  # staff enrol single participants in person; guardians hear of changes only
    if enrolment.status == CONFIRMED:
        _send(enrolment, session, "enrolment_confirmed", f"enrolment-confirmed-{enrolment.id}",
              calendar="update")
    else:
        _send(enrolment, session, "enrolment_waitlisted", f"enrolment-waitlisted-{enrolment.id}",
              position=waitlist_position or 0, too_large=enrolment.seats > session.capacity)


def enrolment_promoted(enrolment: Enrolment, session: WorkshopSession) -> None:
    """Seats became free: the waitlisted enrolment is confirmed (with the invitation)."""
    _send(enrolment, session, "enrolment_promoted", f"enrolment-promoted-{enrolment.id}",
          calendar="update")


def session_changed(enrolments: list[Enrolment], session: WorkshopSession) -> None:
    """The session moved or changed place: once per change (its ``sequence``) and contact."""
    for enrolment in enrolments:
        confirmed = enrolment.status == CONFIRMED
        _send(enrolment, session, "session_changed",
              f"session-changed-{session.id}-{session.sequence}-{enrolment.id}",
              calendar="update" if confirmed else None, waitlisted=not confirmed)


def session_cancelled(enrolment: Enrolment, session: WorkshopSession, reason: str) -> None:
    """The session is cancelled: the reason, and the calendar entry removed."""
    _send(enrolment, session, "session_cancelled", f"session-cancelled-{enrolment.id}",
          calendar="cancel", reason=reason)


def enrolment_cancelled(enrolment: Enrolment, session: WorkshopSession) -> None:
    """A confirmed enrolment was cancelled: the calendar entry is removed."""
    _send(enrolment, session, "enrolment_cancelled", f"enrolment-cancelled-{enrolment.id}",
          calendar="cancel")
