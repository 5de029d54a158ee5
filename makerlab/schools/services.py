"""Partner schools."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from makerlab import email_addresses
from makerlab.auth.models import User
from makerlab.auth.permissions import is_teacher
from makerlab.errors import Invalid, NotFound
from makerlab.extensions import db
from makerlab.schools.models import School

FIELDS = ("name", "address", "contact_email")


def visible_schools(actor: User) -> sa.Select[School]:
    """Schools the actor may see: teachers only their own."""
    stmt = sa.select(School).order_by(School.name)
    if is_teacher(actor):
        stmt = stmt.where(School.id == actor.school_id)
    return stmt


def get_school(actor: User, school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None or (is_teacher(actor) and actor.school_id != school.id):
        raise NotFound(_("No such school."))
    return school


def _check(values: dict[str, Any], school_id: int | None) -> None:
    """Names are unique; a contact address must be able to receive mail."""
    errors: dict[str, list[str]] = {}
    if "name" in values:
        name = values["name"].strip()
        if not name:
            errors["name"] = [_("Please enter a name.")]
        elif db.session.scalar(
            sa.select(School.id).where(School.name == name, School.id != school_id)
        ):
            errors["name"] = [_("A school with this name exists already.")]
    email = values.get("contact_email")
    if email and (problem := email_addresses.problem(email)):
        errors["contact_email"] = [problem]
    if errors:
        raise Invalid(errors)


def create_school(actor: User, **values: Any) -> School:
    """Add a partner school (names are unique)."""
    values = {k: v for k, v in values.items() if k in FIELDS}
    values.setdefault("name", "")
    _check(values, None)
    school = School(**values)
    school.name = school.name.strip()
    db.session.add(school)
    db.session.flush()
    return school


def update_school(actor: User, school: School, **changes: Any) -> School:
    """Change a school's name, address or contact."""
    changes = {k: v for k, v in changes.items() if k in FIELDS}
    _check(changes, school.id)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    for key, value in changes.items():
        setattr(school, key, value)
    db.session.flush()
    return school
