"""Who may do what: the one permission table, read by views, API and templates."""

from __future__ import annotations

from typing import Any, TypeGuard

from makerlab.auth.models import User
from makerlab.enums import Role

ADMIN, COORD, YW, TEACHER = Role.ADMIN, Role.COORDINATOR, Role.YOUTH_WORKER, Role.TEACHER
STAFF = frozenset({ADMIN, COORD, YW})
MANAGERS = frozenset({ADMIN, COORD})
EVERYONE = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "users.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
    "sites.view": STAFF,
    "sites.manage": MANAGERS,
    "equipment.view": STAFF,
    "equipment.manage": MANAGERS,
    "bookings.view": STAFF,
    "bookings.create": STAFF,
    "loans.manage": STAFF,
    "schools.view": EVERYONE,  # teachers: their own school only (scoped in services)
    "schools.manage": MANAGERS,
    "participants.view": STAFF,  # teachers: no participant data at all (SPEC)
    "participants.manage": STAFF,
    "participants.erase": MANAGERS,
    "inductions.record": STAFF,
    "workshops.view": EVERYONE,
    "workshops.manage": MANAGERS,
    "sessions.manage": MANAGERS,
    "enrolments.view": EVERYONE,  # teachers: their own school's only
    "enrolments.create": EVERYONE,
    "attendance.record": STAFF,
    "reports.view": STAFF,
    "notifications.view": MANAGERS,
}


def can(user: Any, permission: str) -> bool:
    """True if ``user`` (possibly anonymous) holds ``permission``."""
    roles = PERMISSIONS[permission]
    role = getattr(user, "role", None)
    return bool(getattr(user, "is_authenticated", False)) and role in roles


def is_teacher(user: object) -> TypeGuard[User]:
    """True for a teacher's account (whose view is limited to their own school)."""
    return getattr(user, "role", None) == TEACHER
