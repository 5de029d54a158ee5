"""Imports every model so metadata (and Alembic) sees the whole schema."""

from makerlab.audit.models import AuditEntry
from makerlab.auth.models import ApiToken, LoginFailure, User
from makerlab.bookings.models import Booking, BookingSeries, booking_participants
from makerlab.equipment.models import Equipment, MaintenanceBlock
from makerlab.feeds.models import CalendarFeed
from makerlab.notifications.models import Notification
from makerlab.participants.models import ConsentRecord, Induction, Participant
from makerlab.schools.models import School
from makerlab.sites.models import Closure, Site, Term
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Booking",
    "BookingSeries",
    "CalendarFeed",
    "Closure",
    "ConsentRecord",
    "Enrolment",
    "Equipment",
    "Induction",
    "LoginFailure",
    "MaintenanceBlock",
    "Notification",
    "Participant",
    "School",
    "Site",
    "Term",
    "User",
    "Workshop",
    "WorkshopSession",
    "booking_participants",
]
