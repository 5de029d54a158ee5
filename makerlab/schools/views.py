"""Partner schools in the browser (coordinators and admins)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from makerlab.auth.models import User
from makerlab.extensions import db
from makerlab.pages import permission_required, submit
from makerlab.schools import services
from makerlab.schools.forms import SchoolForm
from makerlab.schools.models import School

bp = Blueprint("schools", __name__)


@bp.route("/schools")
@permission_required("schools.manage")
def index() -> Any:
    """Schools with their number of teacher accounts, in one query."""
    teachers = (
        sa.select(User.school_id, sa.func.count().label("n"))
        .where(User.role == "teacher")
        .group_by(User.school_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(School, sa.func.coalesce(teachers.c.n, 0))
        .outerjoin(teachers, teachers.c.school_id == School.id)
        .order_by(School.name)
    ).all()
    return render_template("schools/index.html", rows=rows)


def _values(form: SchoolForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "address": form.address.data or "",
        "contact_email": form.contact_email.data or None,
    }


@bp.route("/schools/new", methods=["GET", "POST"])
@permission_required("schools.manage")
def new() -> Any:
    form = SchoolForm()
    sent = submit(form, lambda: services.create_school(current_user, **_values(form)))
    if sent.done:
        flash(_("School added."), "success")
        return redirect(url_for("schools.index"))
    return render_template("schools/form.html", form=form, school=None), sent.status


@bp.route("/schools/<int:school_id>", methods=["GET", "POST"])
@permission_required("schools.manage")
def edit(school_id: int) -> Any:
    school = services.get_school(current_user, school_id)
    form = SchoolForm(obj=school)
    sent = submit(form, lambda: services.update_school(current_user, school, **_values(form)))
    if sent.done:
        flash(_("School saved."), "success")
        return redirect(url_for("schools.index"))
    return render_template("schools/form.html", form=form, school=school), sent.status
