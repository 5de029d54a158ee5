"""The audit log for people: field labels, translated values, local times, one sentence each.

The stored entries keep raw column names and values (``changes`` maps field ->
[before, after]); this module only decides how they read. Each audited model
has one mapping of field labels below; a column without a label is a test
failure (``tests/audit/test_audit_page.py``), never a raw name on the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from makerlab import categories, dates
from makerlab.audit import _AUDITED, SECRET_FIELDS
from makerlab.audit.models import AuditEntry
from makerlab.auth.forms import ROLE_LABELS
from makerlab.auth.models import User
from makerlab.db import UTCDateTime
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.labels import LANGUAGE_LABELS, attention_label, kit_lines, status_label, yes_no
from makerlab.participants.erasure import ERASED
from makerlab.planning.hits import detail_of
from makerlab.schools.models import School
from makerlab.sites.forms import WEEKDAY_NAMES
from makerlab.sites.models import Site
from makerlab.workshops.models import Workshop

# One name per audited table, as a heading ("Booking #12") and for the filter.
ENTITY_NAMES: dict[str, Any] = {
    "users": _l("Account"),
    "api_tokens": _l("API token"),
    "calendar_feeds": _l("Calendar feed"),
    "participants": _l("Participant"),
    "consent_records": _l("Consent"),
    "consent_requests": _l("Consent link"),
    "inductions": _l("Induction"),
    "bookings": _l("Booking"),
    "enrolments": _l("Enrolment"),
    "equipment": _l("Unit"),
    "maintenance_blocks": _l("Maintenance"),
    "sites": _l("Site"),
    "closures": _l("Closure"),
    "terms": _l("School term"),
    "schools": _l("School"),
    "workshops": _l("Workshop"),
    "workshop_sessions": _l("Workshop session"),
}
ENTITY_FILTER_LABELS: dict[str, Any] = {
    "users": _l("Accounts"),
    "api_tokens": _l("API tokens"),
    "calendar_feeds": _l("Calendar feeds"),
    "participants": _l("Participants"),
    "consent_records": _l("Consents"),
    "consent_requests": _l("Consent links"),
    "inductions": _l("Inductions"),
    "bookings": _l("Bookings"),
    "enrolments": _l("Enrolments"),
    "equipment": _l("Equipment"),
    "maintenance_blocks": _l("Maintenance"),
    "sites": _l("Sites"),
    "closures": _l("Closures"),
    "terms": _l("School terms"),
    "schools": _l("Schools"),
    "workshops": _l("Workshops"),
    "workshop_sessions": _l("Workshop sessions"),
}

_COMMON = {"id": _l("Number"), "created_at": _l("Created"), "updated_at": _l("Last changed")}
FIELD_LABELS: dict[str, dict[str, Any]] = {
    "users": {
        "email": _l("E-mail"),
        "name": _l("Name"),
        "password_hash": _l("Password"),
        "role": _l("Role"),
        "school_id": _l("School"),
        "locale": _l("Language"),
        "active": _l("Active"),
        "session_version": _l("Logins ended"),
    },
    "api_tokens": {
        "user_id": _l("Account"),
        "token_hash": _l("Token"),
        "label": _l("Label"),
        "expires_at": _l("Valid until"),
        "last_used_at": _l("Last used"),
        "revoked_at": _l("Revoked"),
    },
    "calendar_feeds": {
        "user_id": _l("Account"),
        "kind": _l("Kind"),
        "equipment_id": _l("Unit"),
        "secret_hash": _l("Secret"),
        "revoked_at": _l("Revoked"),
    },
    "participants": {
        "first_name": _l("First name"),
        "last_name": _l("Last name"),
        "birth_date": _l("Date of birth"),
        "birth_year": _l("Year of birth"),
        "school_id": _l("School"),
        "guardian_name": _l("Guardian"),
        "guardian_email": _l("Guardian e-mail"),
        "guardian_phone": _l("Guardian phone"),
        "guardian_consent": _l("Guardian consent"),
        "guardian_consent_on": _l("Consent given on"),
        "photo_consent": _l("Photos and audio"),
        "may_go_home_alone": _l("May go home alone"),
        "evaluation_consent": _l("May be contacted for evaluation"),
        "notes": _l("Notes"),
        "last_activity_at": _l("Last activity"),
        "erased_at": _l("Erased"),
    },
    "consent_records": {
        "participant_id": _l("Participant"),
        "kind": _l("Choice"),
        "granted": _l("Given"),
        "effective_on": _l("Effective from"),
        "source": _l("Source"),
        "recorded_by_id": _l("Recorded by"),
        "request_id": _l("Consent link"),
        "recorded_at": _l("Recorded"),
    },
    "consent_requests": {
        "participant_id": _l("Participant"),
        "token_hash": _l("Link"),
        "token_nonce": _l("Link"),
        "emailed_to": _l("Sent to"),
        "created_by_id": _l("Sent by"),
        "expires_at": _l("Valid until"),
        "revoked_at": _l("Revoked"),
    },
    "inductions": {
        "participant_id": _l("Participant"),
        "category": _l("Category"),
        "completed_on": _l("Completed on"),
        "valid_until": _l("Valid until"),
        "recorded_by_id": _l("Recorded by"),
        "expiry_notice_on": _l("Expiry notice sent on"),
    },
    "bookings": {
        "equipment_id": _l("Unit"),
        "booked_by_id": _l("Booked by"),
        "starts_at": _l("Start"),
        "ends_at": _l("End"),
        "blocked_until": _l("Blocked until (with buffer)"),
        "purpose": _l("Purpose"),
        "status": _l("Status"),
        "series_id": _l("Series"),
        "session_id": _l("Workshop session"),
        "checked_out_at": _l("Handed out"),
        "returned_at": _l("Returned"),
        "return_condition": _l("Condition on return"),
        "return_note": _l("Note on return"),
        "return_missing": _l("Missing on return"),
        "cancelled_at": _l("Cancelled on"),
        "attention": _l("Needs attention"),
    },
    "enrolments": {
        "session_id": _l("Workshop session"),
        "school_id": _l("School"),
        "class_name": _l("Class"),
        "class_key": _l("Class (for comparison)"),
        "headcount": _l("Pupils"),
        "accompanying_adults": _l("Accompanying adults"),
        "contact_email": _l("Contact e-mail"),
        "participant_id": _l("Participant"),
        "seats": _l("Seats"),
        "status": _l("Status"),
        "attended_count": _l("Came"),
        "enrolled_by_id": _l("Enrolled by"),
        "cancelled_at": _l("Cancelled on"),
    },
    "equipment": {
        "site_id": _l("Site"),
        "name": _l("Name"),
        "category": _l("Category"),
        "location": _l("Location"),
        "status": _l("Status"),
        "loanable": _l("Can be lent out"),
        "requires_induction": _l("Safety induction needed"),
        "min_age": _l("Minimum age"),
        "buffer_minutes": _l("Buffer (minutes)"),
        "max_booking_minutes": _l("Longest booking (minutes)"),
        "notes": _l("Notes"),
        "code": _l("Code"),
        "contents": _l("Contents"),
    },
    "maintenance_blocks": {
        "equipment_id": _l("Unit"),
        "starts_at": _l("Start"),
        "ends_at": _l("End"),
        "reason": _l("Reason"),
        "created_by_id": _l("Entered by"),
    },
    "sites": {
        "name": _l("Name"),
        "timezone": _l("Time zone"),
        "address": _l("Address"),
        "opening_hours": _l("Opening hours"),
    },
    "closures": {
        "site_id": _l("Site"),
        "starts_on": _l("First day"),
        "ends_on": _l("Last day"),
        "reason": _l("Reason"),
    },
    "terms": {
        "site_id": _l("Site"),
        "name": _l("Name"),
        "starts_on": _l("First day"),
        "ends_on": _l("Last day"),
    },
    "schools": {
        "name": _l("Name"),
        "address": _l("Address"),
        "contact_email": _l("Contact e-mail"),
    },
    "workshops": {
        "title": _l("Title"),
        "description": _l("Description"),
        "min_age": _l("Minimum age"),
        "max_age": _l("Maximum age"),
        "facilitator_id": _l("Facilitator"),
        "equipment_needs": _l("Equipment needed"),
    },
    "workshop_sessions": {
        "workshop_id": _l("Workshop"),
        "site_id": _l("Site"),
        "starts_at": _l("Start"),
        "ends_at": _l("End"),
        "capacity": _l("Seats"),
        "location": _l("Location"),
        "status": _l("Status"),
        "cancelled_at": _l("Cancelled on"),
        "sequence": _l("Calendar revision"),
        "attention": _l("Needs attention"),
    },
}

# Columns the code keeps for itself (when someone was last active, a calendar's
# revision number): their changes are not news to anyone reading the log.
BOOKKEEPING_FIELDS: dict[str, frozenset[str]] = {
    "participants": frozenset({"last_activity_at"}),
    "api_tokens": frozenset({"last_used_at"}),
    "workshop_sessions": frozenset({"sequence"}),
}
_COMMON_BOOKKEEPING = frozenset({"updated_at"})


def is_bookkeeping(entity: str, name: str) -> bool:
    return name in _COMMON_BOOKKEEPING or name in BOOKKEEPING_FIELDS.get(entity, frozenset())


CONSENT_KIND_LABELS: dict[str, Any] = {
    "guardian": _l("taking part"),
    "photo": _l("photos and audio"),
    "home_alone": _l("going home alone"),
    "evaluation": _l("contact for evaluation"),
}
CONSENT_SOURCE_LABELS: dict[str, Any] = {
    "guardian_link": _l("the guardian, through the link"),
    "paper": _l("paper form"),
    "staff": _l("in person, to staff"),
}
CONDITION_LABELS: dict[str, Any] = {"ok": _l("OK"), "damaged": _l("damaged")}

# Columns naming another row: shown by name where one query per table finds it.
USER_FIELDS = frozenset(
    {"booked_by_id", "enrolled_by_id", "recorded_by_id", "created_by_id", "user_id",
     "facilitator_id"}
)
NAMED_REFERENCES: dict[str, Any] = {
    "equipment_id": (Equipment, Equipment.name),
    "school_id": (School, School.name),
    "site_id": (Site, Site.name),
    "workshop_id": (Workshop, Workshop.title),
}

# Babel patterns until the app has one date style for everything.
def format_when(instant: dt.datetime) -> str:
    """An instant in the site's zone, to the minute ("Do., 10. Dez. 2026, 14:03")."""
    return dates.moment(instant)


def field_label(entity: str, name: str) -> str:
    label = FIELD_LABELS.get(entity, {}).get(name) or _COMMON.get(name)
    return str(label) if label is not None else name


def entity_title(entity: str, entity_id: int | None) -> str:
    """ "Booking #12" in the reader's language."""
    name = ENTITY_NAMES.get(entity, entity)
    return f"{name} #{entity_id}" if entity_id is not None else str(name)


@dataclass
class FieldChange:
    label: str
    before: str | None
    after: str | None
    # A sentence of its own, where "from ... to ..." would not read (attention).
    text: str | None = None

    def sentence(self) -> str:
        if self.text is not None:
            return self.text
        if self.before is None:
            return _("%(field)s: %(after)s", field=self.label, after=self.after)
        if self.after is None:
            return _("%(field)s removed (was %(before)s)", field=self.label, before=self.before)
        return _(
            "%(field)s from %(before)s to %(after)s",
            field=self.label,
            before=self.before,
            after=self.after,
        )


@dataclass
class ShownEntry:
    """One audit entry as people read it."""

    entry: AuditEntry
    title: str
    url: str | None
    who: str
    when: str
    changes: list[FieldChange] = field(default_factory=list)

    def sentence(self) -> Markup:
        """What happened, who did it and when; the entry's title links to its page."""
        what = (
            Markup('<a href="{}">{}</a>').format(self.url, self.title)
            if self.url
            else escape(self.title)
        )
        words = {"what": what, "who": self.who, "when": self.when}
        if self.entry.action == "create":
            return escape(_("%(what)s created by %(who)s on %(when)s")) % words
        if self.entry.action == "delete":
            return escape(_("%(what)s deleted by %(who)s on %(when)s")) % words
        if not self.changes:
            return escape(_("%(what)s changed by %(who)s on %(when)s")) % words
        changes = "; ".join(change.sentence() for change in self.changes)
        return escape(_("%(what)s: %(changes)s, by %(who)s on %(when)s")) % {
            "changes": changes,
            **words,
        }


def _column_types(entity: str) -> dict[str, Any]:
    for model, table in _AUDITED.items():
        if table == entity:
            columns: Iterable[Any] = sa.inspect(model).columns
            return {column.key: column.type for column in columns}
    return {}


class _Names:
    """Names of the accounts, units and schools the entries of one page refer to."""

    def __init__(self, rows: Sequence[Any]) -> None:
        wanted: dict[str, set[int]] = {key: set() for key in ("users", *NAMED_REFERENCES)}
        for entry, *_rest in rows:
            for key, pair in (entry.changes or {}).items():
                ids = {v for v in pair if isinstance(v, int) and not isinstance(v, bool)}
                if key in USER_FIELDS:
                    wanted["users"] |= ids
                elif key in NAMED_REFERENCES:
                    wanted[key] |= ids
        self.users = self._lookup(User, sa.func.coalesce(User.name, User.email), wanted["users"])
        self.references = {
            key: self._lookup(model, column, wanted[key])
            for key, (model, column) in NAMED_REFERENCES.items()
        }

    @staticmethod
    def _lookup(model: Any, column: Any, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = db.session.execute(sa.select(model.id, column).where(model.id.in_(ids)))
        return {row[0]: row[1] for row in rows}

    def name(self, key: str, value: int) -> str | None:
        if key in USER_FIELDS:
            return self.users.get(value)
        return self.references.get(key, {}).get(value)


def _formatter(entity: str, names: _Names) -> Callable[[str, Any], str | None]:
    types = _column_types(entity)

    def shown(key: str, value: Any) -> str | None:
        if value is None:
            return None
        if key in SECRET_FIELDS:
            return _("(hidden)")
        if value == ERASED:
            return _("[erased]")
        column_type = types.get(key)
        if isinstance(value, bool) or isinstance(column_type, sa.Boolean):
            return str(yes_no(bool(value)))
        if isinstance(column_type, UTCDateTime) and isinstance(value, str):
            return format_when(dt.datetime.fromisoformat(value))
        if isinstance(column_type, sa.Date) and isinstance(value, str):
            return dates.day(dt.date.fromisoformat(value))
        if key == "status":
            return str(status_label(value))
        if key == "role":
            return str(ROLE_LABELS.get(value, value))  # type: ignore[call-overload]
        if key == "category":
            return categories.label(value)
        if key == "locale":
            return LANGUAGE_LABELS.get(value, value)
        if key == "kind" and entity == "consent_records":
            return str(CONSENT_KIND_LABELS.get(value, value))
        if key == "source" and entity == "consent_records":
            return str(CONSENT_SOURCE_LABELS.get(value, value))
        if key == "attention" and isinstance(value, list):
            return _attention_items(value) or None
        if key == "return_condition":
            return str(CONDITION_LABELS.get(value, value))
        if key in ("return_missing", "contents"):
            return kit_lines(value) or "—"
        if key == "opening_hours" and isinstance(value, dict):
            return _opening_hours(value)
        if key == "equipment_needs" and isinstance(value, dict):
            return ", ".join(f"{categories.label(c)}: {n}" for c, n in value.items()) or "—"
        if isinstance(value, int) and key.endswith("_id"):
            name = names.name(key, value)
            return name if name is not None else f"#{value}"
        return str(value)

    return shown


def _opening_hours(hours: dict[str, Any]) -> str:
    """``{"mon": [["09:00", "18:00"]]}`` as "Monday 09:00–18:00; ..." (closed days left out)."""
    days = []
    for day, name in WEEKDAY_NAMES.items():
        periods = [f"{p[0]}–{p[1]}" for p in hours.get(day) or () if len(p) == 2]
        if periods:
            days.append(f"{name} {', '.join(periods)}")
    return "; ".join(days) or _("closed")


def _attention_items(items: list[Any]) -> str:
    """Attention entries as "the site is closed (Passage 13 is closed: 24 Dec)", one each."""
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        reason = str(attention_label(str(item.get("reason", ""))))
        detail = detail_of(item)
        part = _("%(reason)s (%(detail)s)", reason=reason, detail=detail) if detail else reason
        if part not in parts:
            parts.append(part)
    return "; ".join(parts)


def _attention_change(label: str, before: Any, after: Any) -> FieldChange:
    """ "Needs attention: The site is closed (…)" when added; "Attention dealt with" if cleared."""
    old = [item for item in before or () if isinstance(item, dict)]
    new = [item for item in after or () if isinstance(item, dict)]
    added = [item for item in new if item not in old]
    was = _attention_items(old) or None
    if not new:
        return FieldChange(label, was, None, text=_("Attention dealt with"))
    items = _attention_items(added or new)
    text = _("Needs attention: %(items)s", items=items[:1].upper() + items[1:])
    return FieldChange(label, was, _attention_items(new), text=text)


ENTITY_PAGES: dict[str, tuple[str, str]] = {
    "participants": ("participants.detail", "participant_id"),
    "bookings": ("bookings.detail", "booking_id"),
    "users": ("auth.edit_user", "user_id"),
    "equipment": ("equipment.detail", "equipment_id"),
    "sites": ("sites.detail", "site_id"),
}


def _url(entry: AuditEntry) -> str | None:
    page = ENTITY_PAGES.get(entry.entity)
    if page is None or entry.entity_id is None or entry.action == "delete":
        return None
    endpoint, argument = page
    arguments: dict[str, Any] = {argument: entry.entity_id}
    return url_for(endpoint, **arguments)


def present(rows: Iterable[Any]) -> list[ShownEntry]:
    """``(AuditEntry, email, name)`` rows as sentences; one query per referenced table at most."""
    rows = list(rows)
    names = _Names(rows)
    shown_entries = []
    for entry, email, name in rows:
        shown = _formatter(entry.entity, names)
        changes = []
        for key, (before, after) in (entry.changes or {}).items():
            if is_bookkeeping(entry.entity, key):
                continue
            label = field_label(entry.entity, key)
            if key == "attention":
                if (before or []) != (after or []):
                    changes.append(_attention_change(label, before, after))
                continue
            old, new = shown(key, before), shown(key, after)
            if old == new and entry.action == "update":
                continue  # nothing a reader could see changed (e.g. the same minute)
            changes.append(FieldChange(label, old, new))
        shown_entries.append(
            ShownEntry(
                entry=entry,
                title=entity_title(entry.entity, entry.entity_id),
                url=_url(entry),
                who=name or email or _("Makerlab (automatic)"),
                when=format_when(entry.at),
                changes=changes,
            )
        )
    return shown_entries
