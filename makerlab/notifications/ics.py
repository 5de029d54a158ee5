"""iCalendar invitations attached to session reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from icalendar import Calendar, Event


def session_ics(session: Any, site: Any, now: dt.datetime) -> str:
    """A one-event calendar for a workshop session (stable UID, so updates replace it)."""
    cal = Calendar()
    cal.add("prodid", f"-//Makerlab//{current_app.config['CENTRE_NAME']}//DE")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    domain = str(current_app.config["MAIL_DEFAULT_SENDER"]).rsplit("@", 1)[-1].strip(" >")
    event.add("uid", f"session-{session.id}@{domain or 'makerlab.invalid'}")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add("dtend", session.ends_at.astimezone(dt.UTC))
    event.add("summary", session.workshop.title)
    where = ", ".join(part for part in (session.location, site.name, site.address) if part)
    if where:
        event.add("location", where)
    if session.workshop.description:
        event.add("description", session.workshop.description)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")
