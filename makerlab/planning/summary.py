"""What a change hits, as people read it on a page: time, unit or workshop, who, why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from makerlab import dates
from makerlab.auth.models import User
from makerlab.extensions import db
from makerlab.labels import attention_label
from makerlab.planning.hits import Impact, Item, detail_of
from makerlab.sites.services import find_site
from makerlab.workshops.models import Enrolment

ACTIVE_ENROLMENTS = ("confirmed", "waitlisted")


@dataclass
class Row:
    """One hit booking or session: when, what, who, why, and where to look at it."""

    kind: str  # "booking" or "session"
    id: int
    when: str
    what: str
    who: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class Summary:
    bookings: list[Row]
    sessions: list[Row]

    @property
    def count_line(self) -> str:
        """ "5 bookings and 1 workshop session are hit" (or that nothing is)."""
        if not self.bookings and not self.sessions:
            return _("No future booking or workshop session is hit.")
        bookings = ngettext("%(num)d booking", "%(num)d bookings", len(self.bookings))
        sessions = ngettext(
            "%(num)d workshop session", "%(num)d workshop sessions", len(self.sessions)
        )
        if not self.sessions:
            return ngettext("%(what)s is hit", "%(what)s are hit", len(self.bookings),
                            what=bookings)
        if not self.bookings:
            return ngettext("%(what)s is hit", "%(what)s are hit", len(self.sessions),
                            what=sessions)
        return _("%(bookings)s and %(sessions)s are hit", bookings=bookings, sessions=sessions)

    @property
    def empty(self) -> bool:
        return not self.bookings and not self.sessions


def _span(starts_at: dt.datetime, ends_at: dt.datetime, site_id: int) -> str:
    site = find_site(site_id)
    tz = site.timezone if site else str(current_app.config["TIMEZONE"])
    return dates.span(starts_at, ends_at, tz=tz)


def _why(items: list[Item]) -> list[str]:
    return [f"{attention_label(i.reason)}: {detail_of(i.as_json())}" for i in items]


def summarise(impact: Impact) -> Summary:
    """The rows a preview or a confirmation shows, in three queries at most."""
    booker_ids = {b.booked_by_id for b in impact.bookings if b.booked_by_id is not None}
    names: dict[int, str] = {}
    if booker_ids:
        names = {
            uid: name or email
            for uid, name, email in db.session.execute(
                sa.select(User.id, User.name, User.email).where(User.id.in_(booker_ids))
            )
        }
    classes: dict[int, list[str]] = {}
    if impact.sessions:
        for session_id, class_name, participant_id in db.session.execute(
            sa.select(Enrolment.session_id, Enrolment.class_name, Enrolment.participant_id)
            .where(
                Enrolment.session_id.in_([s.id for s in impact.sessions]),
                Enrolment.status.in_(ACTIVE_ENROLMENTS),
            )
            .order_by(Enrolment.id)
        ):
            label = (
                _("class %(name)s", name=class_name)
                if class_name
                else _("participant #%(id)d", id=participant_id)
            )
            classes.setdefault(session_id, []).append(label)
    bookings = [
        Row(
            "booking",
            b.id,
            _span(b.starts_at, b.ends_at, b.equipment.site_id),
            b.equipment.name,
            names.get(b.booked_by_id or 0, "—"),
            _why(items),
        )
        for b, items in sorted(impact.bookings.items(), key=lambda p: (p[0].starts_at, p[0].id))
    ]
    sessions = [
        Row(
            "session",
            s.id,
            _span(s.starts_at, s.ends_at, s.site_id),
            s.workshop.title,
            ", ".join(classes.get(s.id, [])) or _("nobody enrolled yet"),
            _why(items),
        )
        for s, items in sorted(impact.sessions.items(), key=lambda p: (p[0].starts_at, p[0].id))
    ]
    return Summary(bookings, sessions)


def flash_text(affected: dict[str, list[int]]) -> str:
    """After saving: how many need attention now, and that people are told."""
    n_bookings, n_sessions = len(affected["bookings"]), len(affected["sessions"])
    if not n_bookings and not n_sessions:
        return _("No future booking or workshop session is hit.")
    summary = Summary([Row("booking", 0, "", "", "")] * n_bookings,
                      [Row("session", 0, "", "", "")] * n_sessions)
    return _(
        "%(count)s: they are marked “needs attention” and the people concerned are told.",
        count=summary.count_line,
    )
