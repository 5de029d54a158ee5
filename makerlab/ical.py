"""iCalendar: one document builder for every feed and attachment, one UID per session.

A calendar app recognises an event by its UID. A session carries the same
UID (``session-<id>@<host>``) in every feed and every e-mail, so a teacher
who subscribes to a feed and receives the invitation keeps one event, which
later mails update instead of duplicating. Its ``SEQUENCE`` is the session's
``sequence`` (raised when its time, place or status change), so a calendar
knows which version is newer; e-mails carry ``METHOD:REQUEST`` (add or
update) or ``METHOD:CANCEL`` (remove), as iTIP (RFC 5546) asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress

from makerlab.enums import SessionStatus
from makerlab.sites.models import Site
from makerlab.workshops.models import WorkshopSession

PRODID = "-//Makerlab//Makerlab//DE"


def uid_host() -> str:
    """The host in UIDs: ``PUBLIC_URL``'s, else the sender address's domain.

    Both are configuration, so the web process and the scheduler (which has
    no request to ask) write the same UIDs.
    """
    public = urlsplit(str(current_app.config.get("PUBLIC_URL") or "")).hostname
    if public:
        return public
    sender = str(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return sender.rsplit("@", 1)[-1].strip(" >") or "makerlab.invalid"


def session_uid(session_id: int) -> str:
    """The UID of a workshop session in every feed and e-mail."""
    return f"session-{session_id}@{uid_host()}"


def document(events: Iterable[Event], *, name: str | None = None,
             method: str = "PUBLISH") -> bytes:
    """An iCalendar document holding ``events`` (``name`` is shown by calendar apps)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(event)
    return bytes(cal.to_ical())


def session_event(
    session: WorkshopSession,
    site: Site | None,
    *,
    stamp: dt.datetime,
    notes: Iterable[str] = (),
    url: str | None = None,
) -> Event:
    """A workshop session as an event: title, time, place, description and ``notes``."""
    event = Event()
    event.add("uid", session_uid(session.id))
    event.add("sequence", session.sequence or 0)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add("dtend", session.ends_at.astimezone(dt.UTC))
    event.add("summary", session.workshop.title)
    place = [session.location, site.name, site.address] if site else [session.location]
    if any(place):
        event.add("location", ", ".join(part for part in place if part))
    description = "\n".join(line for line in (session.workshop.description, *notes) if line)
    if description:
        event.add("description", description)
    cancelled = session.status == SessionStatus.CANCELLED.value
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if url:
        event.add("url", url)
    return event


def invitation(session: WorkshopSession, site: Site | None, *, attendee: str,
               stamp: dt.datetime, cancel: bool = False) -> dict[str, Any]:
    """An e-mail attachment that adds or updates (or, ``cancel``, removes) the session.

    The centre's sender address is the organizer and the contact the one
    attendee, as iTIP wants for ``REQUEST`` and ``CANCEL``.
    """
    method = "CANCEL" if cancel else "REQUEST"
    event = session_event(session, site, stamp=stamp)
    organizer = parseaddr(str(current_app.config.get("MAIL_DEFAULT_SENDER") or ""))
    if organizer[1]:
        address = vCalAddress(f"mailto:{organizer[1]}")
        if organizer[0]:
            address.params["cn"] = organizer[0]
        event.add("organizer", address)
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params.update({"role": "REQ-PARTICIPANT", "partstat": "ACCEPTED", "rsvp": "FALSE"})
    event.add("attendee", guest)
    if cancel:
        event.pop("status", None)
        event.add("status", "CANCELLED")
    return {
        "filename": "workshop.ics",
        "mimetype": f"text/calendar; method={method}",
        "content": document([event], method=method).decode(),
    }
