"""``/today``: the day at a glance for staff at the counter, every item linking to its page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from makerlab.pages import permission_required
from makerlab.today.services import today_at_the_lab

bp = Blueprint("today", __name__)


@bp.route("/today")
@permission_required("bookings.view")
def index() -> Any:
    return render_template(
        "today/index.html", today=today_at_the_lab(current_app.config["TIMEZONE"])
    )
