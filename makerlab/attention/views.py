"""The whole "Needs attention" list as a page (the dashboard shows the first items)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for

from makerlab.pages import permission_required
from makerlab.web import attention_panel

bp = Blueprint("attention", __name__)


@bp.route("/attention")
@permission_required("bookings.view")
def index() -> Any:
    return render_template(
        "attention/index.html", **attention_panel(limit=None, back_url=url_for("attention.index"))
    )
