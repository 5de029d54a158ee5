"""Partner schools."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab.auth.permissions import is_teacher
from makerlab.errors import Invalid, NotFound
from makerlab.extensions import db
from makerlab.schools.models import School

FIELDS = ("name", "address", "contact_email")


def visible_schools(actor: Any) -> sa.Select[tuple[School]]:
    """Schools the actor may see: teachers only their own."""
    stmt = sa.select(School).order_by(School.name)
    if is_teacher(actor):
        stmt = stmt.where(School.id == actor.school_id)
    return stmt


def get_school(actor: Any, school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None or (is_teacher(actor) and actor.school_id != school.id):
        raise NotFound(_("No such school."))
    return school


def _check_name(name: str, school_id: int | None) -> None:
    if not name.strip():
        raise Invalid({"name": [_("Please enter a name.")]})
    clash = db.session.scalar(sa.select(School.id).where(School.name == name.strip()))
    if clash is not None and clash != school_id:
        raise Invalid({"name": [_("A school with this name exists already.")]})


def create_school(actor: Any, **values: Any) -> School:
    """Add a partner school (names are unique)."""
    _check_name(values.get("name", ""), None)
    school = School(**{k: v for k, v in values.items() if k in FIELDS})
    school.name = school.name.strip()
    db.session.add(school)
    db.session.flush()
    return school


def update_school(actor: Any, school: School, **changes: Any) -> School:
    """Change a school's name, address or contact."""
    if "name" in changes:
        _check_name(changes["name"], school.id)
        changes["name"] = changes["name"].strip()
    for key, value in changes.items():
        if key in FIELDS:
            setattr(school, key, value)
    db.session.flush()
    return school
