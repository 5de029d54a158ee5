"""What a change hits: bookings and sessions, each with its ``attention`` items."""

from __future__ import annotations

from dataclasses import dataclass, field

from makerlab.bookings.models import Booking
from makerlab.workshops.models import WorkshopSession


@dataclass(frozen=True)
class Item:
    """One entry of ``attention``: a reason (``AttentionReason``) and what exactly."""

    reason: str
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"reason": self.reason, "detail": self.detail}


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
