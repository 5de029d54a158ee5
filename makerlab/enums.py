"""Value sets shared by models, schemas and forms."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    YOUTH_WORKER = "youth_worker"
    TEACHER = "teacher"


class EquipmentStatus(enum.StrEnum):
    AVAILABLE = "available"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class BookingStatus(enum.StrEnum):
    RESERVED = "reserved"
    CHECKED_OUT = "checked_out"
    RETURNED = "returned"
    CANCELLED = "cancelled"


ACTIVE_BOOKING_STATUSES = (BookingStatus.RESERVED.value, BookingStatus.CHECKED_OUT.value)


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class EnrolmentStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class AttentionReason(enum.StrEnum):
    """Why a future booking or session needs someone to look at it again (re-planning)."""

    CLOSURE = "closure"
    MAINTENANCE = "maintenance"
    UNIT_UNAVAILABLE = "unit_unavailable"
    OPENING_HOURS = "opening_hours"
    CONSENT = "consent"
    INDUCTION = "induction"
    AGE = "age"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def sql_in(column: str, values: type[enum.StrEnum] | tuple[str, ...]) -> str:
    """A CHECK expression limiting ``column`` to the enum's values."""
    items = [v.value for v in values] if isinstance(values, type) else list(values)
    return f"{column} IN ({', '.join(repr(v) for v in items)})"
