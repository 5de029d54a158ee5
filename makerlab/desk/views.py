"""The lending desk (``/desk``) and the short address on every label (``/u/<code>``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from makerlab.bookings.forms import ActionForm, ReturnForm
from makerlab.desk import services
from makerlab.equipment.services import find_by_code, unknown_code_message
from makerlab.pages import permission_required

bp = Blueprint("desk", __name__)


@bp.route("/desk")
@permission_required("loans.manage")
def index() -> Any:
    """Scan a unit (USB scanner, camera or typed code): its loan, next booking and actions.

    A plain GET form, so a scanner's Enter works without JavaScript; the
    camera script fills the same field. ``?booking=`` names the booking being
    handed out, and a scan of another unit says so.
    """
    expected = services.expected_booking(current_user, request.args.get("booking", type=int))
    code = (request.args.get("code") or "").strip()
    scan = services.scan(current_user, code, expected) if code else None
    problem = unknown_code_message(code) if code and scan is None else None
    next_url = url_for("desk.index", code=scan.unit.code) if scan else url_for("desk.index")
    page = render_template(
        "desk/index.html",
        expected=expected,
        scan=scan,
        code=code,
        problem=problem,
        wrong=services.wrong_unit_message(scan.unit, scan.wrong_for)
        if scan and scan.wrong_for
        else None,
        next_url=next_url,
        action_form=ActionForm(),
        return_form=ReturnForm(),
    )
    return page, 404 if problem else 200


@bp.route("/u/<code>")
@permission_required("equipment.view")
def unit(code: str) -> Any:
    """A label's QR code: the unit's page (404 page for an unknown code)."""
    found = find_by_code(current_user, code)
    return redirect(url_for("equipment.detail", equipment_id=found.id))
