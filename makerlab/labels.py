"""Names people read for stored values: statuses, yes/no, languages (pages and audit log)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

STATUS_LABELS: dict[str, Any] = {
    "reserved": _l("reserved"),
    "checked_out": _l("checked out"),
    "returned": _l("returned"),
    "cancelled": _l("cancelled"),
    "confirmed": _l("confirmed"),
    "waitlisted": _l("waitlisted"),
    "available": _l("available"),
    "maintenance": _l("maintenance"),
    "retired": _l("retired"),
    "pending": _l("pending"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "scheduled": _l("scheduled"),
    # Derived for display, never stored: a reservation whose time has passed.
    "past": _l("past"),
    "no_show": _l("no-show"),
}

# Why a booking or session needs attention (``enums.AttentionReason``).
ATTENTION_LABELS: dict[str, Any] = {
    "closure": _l("the site is closed"),
    "maintenance": _l("the unit is in maintenance"),
    "unit_unavailable": _l("the unit is not available"),
    "opening_hours": _l("outside the opening hours"),
    "consent": _l("guardian consent withdrawn"),
    "induction": _l("safety induction missing"),
    "age": _l("age limit"),
}

LANGUAGE_LABELS: dict[str, str] = {"de": "Deutsch", "en": "English"}


def status_label(status: str) -> Any:
    return STATUS_LABELS.get(status, status)


def tag(text: Any) -> str:
    """A label on a badge, chip or legend entry starts with a capital: "Reserviert", "Overdue"."""
    value = str(text)
    return value[:1].upper() + value[1:]


def yes_no(value: bool) -> Any:
    return _l("yes") if value else _l("no")


def attention_label(reason: str) -> Any:
    return ATTENTION_LABELS.get(reason, reason)


def kit_lines(lines: Any) -> str:
    """Kit contents or missing parts as one line: "2 × Mikrofon, 1 × Kabel"."""
    if not isinstance(lines, list):
        return str(lines)
    parts = [line for line in lines if isinstance(line, dict)]
    return ", ".join(f"{line.get('count', 1)} × {line.get('item', '')}" for line in parts)
