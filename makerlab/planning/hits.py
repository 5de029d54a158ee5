"""What a change hits: bookings and sessions, each with its ``attention`` items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale

from makerlab import messages
from makerlab.bookings.models import Booking
from makerlab.messages import N_
from makerlab.participants import rules as people_rules
from makerlab.workshops.models import WorkshopSession

# What exactly: message ids (``makerlab.messages``) of the details, with the rules' own.
MESSAGES: dict[str, str] = {
    "closure": N_("%(site)s is closed: %(days)s"),
    "maintenance": N_("%(unit)s is in maintenance from %(start)s to %(end)s"),
    "damaged": N_("%(unit)s came back damaged"),
    "retired": N_("%(unit)s has been retired"),
    "out_of_service": N_("%(unit)s is out of service for maintenance"),
    "opening_hours": N_("%(site)s has new opening hours"),
    "age_limit": N_("%(name)s: age limit"),
    "session_consent": N_("Participant #%(id)d: guardian consent withdrawn"),
    "session_age": N_("Participant #%(id)d: outside the age limit"),
    **people_rules.MESSAGES,
}


@dataclass(frozen=True)
class Item:
    """One entry of ``attention``: a reason (``AttentionReason``) and what exactly.

    What exactly is a message of ``MESSAGES`` with its JSON values, written
    out for each reader (:func:`detail_of`); ``detail`` is it written in the
    centre's language once, for readers of the stored JSON alone.
    """

    reason: str
    message: str
    params: dict[str, Any] = field(hash=False)
    detail: str = field(compare=False)

    @classmethod
    def of(cls, reason: str, message: str, **params: Any) -> Item:
        """An item; ``params`` are JSON values (``makerlab.messages``), ``note`` typed text."""
        if not params.get("note"):
            params.pop("note", None)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            detail = messages.render(MESSAGES, message, params)
        return cls(reason, message, params, detail)

    def as_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "detail": self.detail,
            "message": self.message,
            "params": self.params,
        }

    def matches(self, stored: Mapping[str, Any]) -> bool:
        """Whether ``stored`` (an ``attention`` entry) is this item, stored now or before.

        Entries stored before messages were kept have a ``detail`` only (in German).
        """
        if stored.get("reason") != self.reason:
            return False
        if "message" in stored:
            return stored["message"] == self.message and stored.get("params") == self.params
        return stored.get("detail") == self.detail


def detail_of(stored: Mapping[str, Any]) -> str:
    """An ``attention`` entry's detail in the current language and date style.

    An entry stored before messages were kept (or with one unknown here)
    keeps the text it was stored with.
    """
    message = stored.get("message")
    if message in MESSAGES:
        try:
            return messages.render(MESSAGES, message, stored.get("params") or {})
        except (KeyError, ValueError, TypeError):
            pass  # values this code cannot read: the stored text still says it
    return str(stored.get("detail") or "")


@dataclass
class Impact:
    """What one change hits: bookings and sessions, each with its items.

    ``key`` names the change for the outbox (one e-mail per change and person).
    """

    key: str
    bookings: dict[Booking, list[Item]] = field(default_factory=dict)
    sessions: dict[WorkshopSession, list[Item]] = field(default_factory=dict)
    # A change about one participant concerns their enrolments only, not the whole class list.
    participant_id: int | None = None

    def add_booking(self, booking: Booking, item: Item) -> None:
        items = self.bookings.setdefault(booking, [])
        if item not in items:
            items.append(item)

    def add_session(self, session: WorkshopSession, item: Item) -> None:
        items = self.sessions.setdefault(session, [])
        if item not in items:
            items.append(item)

    @property
    def affected(self) -> dict[str, list[int]]:
        """The API's ``{"bookings": [ids], "sessions": [ids]}``."""
        return {
            "bookings": sorted(b.id for b in self.bookings),
            "sessions": sorted(s.id for s in self.sessions),
        }

    @property
    def empty(self) -> bool:
        return not self.bookings and not self.sessions
