"""Closures from outside: a German state's public holidays, and an iCalendar file of breaks.

Both add through :func:`makerlab.sites.services.add_closures_once`, so running
them again adds nothing. The CLI and the site page call the same functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import holidays
import icalendar
from flask import current_app
from flask_babel import gettext as _

from makerlab import clock
from makerlab.auth.models import User
from makerlab.errors import Invalid
from makerlab.sites.models import Site
from makerlab.sites.services import REASON_MAX, ClosuresAdded, add_closures_once

# German state codes (ISO 3166-2:DE without the prefix) and their names, as
# the holidays package knows them; its city-level subdivisions are left out.
STATES: dict[str, str] = {
    code: name for name, code in sorted(holidays.Germany.subdivisions_aliases.items())
}
ICS_MAX_BYTES = 1024 * 1024
UNTITLED = "Schließtag (Kalenderdatei)"


@dataclass
class IgnoredEvent:
    """An event of the file that did not become a closure, and why (``timed``,
    ``recurring``, ``cancelled``, ``out_of_range`` or ``broken``)."""

    summary: str
    why: str
    day: dt.date | None = None


@dataclass
class CalendarImport(ClosuresAdded):
    """What an iCalendar import did, including the events it left out."""

    ignored: list[IgnoredEvent] = field(default_factory=list)


def default_state() -> str:
    return str(current_app.config["HOLIDAY_STATE"])


def public_holidays(year: int, state: str) -> list[tuple[dt.date, str]]:
    """``(day, German name)`` of the state's public holidays in ``year``, in date order."""
    if state not in STATES:
        raise Invalid({"state": [_("Unknown German state %(code)s.", code=state)]})
    clock.check_year(year, "year")
    found = holidays.country_holidays("DE", subdiv=state, years=year, language="de")
    return sorted(found.items())


def add_public_holidays(
    actor: User | None, site: Site, *, year: int, state: str | None = None
) -> ClosuresAdded:
    """Close the site on the public holidays of a German state (default ``HOLIDAY_STATE``)."""
    days = public_holidays(year, state or default_state())
    return add_closures_once(actor, site, [(day, day, name) for day, name in days])


def import_closures_ics(actor: User | None, site: Site, data: bytes) -> CalendarImport:
    """Close the site on the all-day events of an iCalendar file (school breaks, say).

    iCalendar's DTEND of an all-day event is the day after the last one;
    closures end on their last day. Timed, repeating and cancelled events are
    left out and reported, as are days outside the app's years.
    """
    if len(data) > ICS_MAX_BYTES:
        raise Invalid(
            {"file": [_("The file is too large (at most %(kb)d kB).", kb=ICS_MAX_BYTES // 1024)]}
        )
    calendar = _parse(data)
    wanted: list[tuple[dt.date, dt.date, str]] = []
    ignored: list[IgnoredEvent] = []
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("SUMMARY", "")).strip()[:REASON_MAX] or UNTITLED
        span = _all_day_span(event)
        if isinstance(span, str):
            ignored.append(IgnoredEvent(summary, span, _first_day(event)))
        else:
            wanted.append((span[0], span[1], summary))
    if not wanted and not ignored:
        raise Invalid({"file": [_("The file contains no events.")]})
    added = add_closures_once(actor, site, wanted)
    return CalendarImport(added=added.added, existing=added.existing, ignored=ignored)


def _parse(data: bytes) -> Any:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError):
        calendar = None
    if calendar is None or calendar.name != "VCALENDAR":
        raise Invalid({"file": [_("This is not an iCalendar file (.ics) that Makerlab can read.")]})
    return calendar


def _first_day(event: Any) -> dt.date | None:
    start = getattr(event.get("DTSTART"), "dt", None)
    if isinstance(start, dt.datetime):
        return start.date()
    return start if isinstance(start, dt.date) else None


def _all_day_span(event: Any) -> tuple[dt.date, dt.date] | str:
    """First and last day (inclusive) of an all-day event, or why it is left out."""
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return "cancelled"
    if "RRULE" in event or "RDATE" in event:
        return "recurring"
    start = getattr(event.get("DTSTART"), "dt", None)
    if isinstance(start, dt.datetime):
        return "timed"
    if not isinstance(start, dt.date):
        return "broken"
    end = getattr(event.get("DTEND"), "dt", None)
    duration = getattr(event.get("DURATION"), "dt", None)
    if isinstance(end, dt.datetime):
        return "timed"
    if isinstance(end, dt.date):
        last = end - dt.timedelta(days=1)
    elif isinstance(duration, dt.timedelta):
        last = start + duration - dt.timedelta(days=1)
    else:
        last = start  # RFC 5545: an all-day event without an end lasts that one day
    last = max(last, start)
    if not (start.year >= clock.FIRST_YEAR and last.year <= clock.LAST_YEAR):
        return "out_of_range"
    return start, last
