"""Equipment pages: the catalogue, a unit's page, create/edit and maintenance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from makerlab import clock
from makerlab.auth.models import User
from makerlab.auth.permissions import can
from makerlab.bookings.models import Booking
from makerlab.enums import EquipmentStatus
from makerlab.equipment import labels, services
from makerlab.equipment.forms import (
    STATUS_CHOICES,
    EquipmentForm,
    MaintenanceForm,
    category_choices,
    kit_text,
    parse_kit_text,
)
from makerlab.equipment.models import Equipment
from makerlab.extensions import db
from makerlab.forms import choices
from makerlab.pages import permission_required, submit
from makerlab.planning.confirm import CONFIRM_FIELD, replan_confirmed, unconfirmed_summary
from makerlab.planning.hits import Impact
from makerlab.planning.impact import MaintenanceChange, UnitChange
from makerlab.planning.summary import flash_text
from makerlab.sites.services import list_sites

bp = Blueprint("equipment", __name__, url_prefix="/equipment")

HISTORY_LIMIT = 20


@bp.route("/")
@permission_required("equipment.view")
def index() -> Any:
    category = request.args.get("category") or None
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in EquipmentStatus)}:
        status = None
    units = db.session.scalars(services.list_equipment_stmt(category=category, status=status)).all()
    return render_template(
        "equipment/index.html",
        units=units,
        categories=services.categories(),
        statuses=STATUS_CHOICES,
        category=category or "",
        status=status or "",
    )


@bp.route("/labels.pdf")
@permission_required("equipment.view")
def labels_pdf() -> Response:
    """Labels to print: ``?ids=1,2,3`` (a form's ``ids=1&ids=2`` too), 24 to an A4 sheet."""
    units = labels.units_for_labels(labels.parse_ids(request.args.getlist("ids")))
    pdf = labels.label_sheet_pdf(units, _label_url, current_app.root_path)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="labels.pdf"'},
    )


def _label_url(code: str) -> str:
    """The absolute address a label's QR code opens (``PUBLIC_URL`` names the host if set)."""
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    path = url_for("desk.unit", code=code)
    return base + path if base else url_for("desk.unit", code=code, _external=True)


def _render_detail(
    unit: Equipment, form: MaintenanceForm | None, status: int = 200, impact: Any = None
) -> Any:
    """The unit's page: rules, upcoming bookings, history, maintenance (5 statements)."""
    now = clock.now()
    base = (
        sa.select(Booking, User.name, User.email)
        .outerjoin(User, User.id == Booking.booked_by_id)
        .where(Booking.equipment_id == unit.id)
    )
    upcoming = db.session.execute(
        base.where(Booking.ends_at > now, Booking.is_active)
        .order_by(Booking.starts_at)
        .limit(HISTORY_LIMIT)
    ).all()
    history = db.session.execute(
        base.where(sa.or_(Booking.ends_at <= now, ~Booking.is_active))
        .order_by(Booking.starts_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    maintenance = db.session.scalars(services.maintenance_stmt(unit, upcoming_only=True)).all()
    page = render_template(
        "equipment/detail.html",
        unit=unit,
        upcoming=upcoming,
        history=history,
        maintenance=maintenance,
        form=form,
        impact=impact,
    )
    return page, status


@bp.route("/<int:equipment_id>")
@permission_required("equipment.view")
def detail(equipment_id: int) -> Any:
    unit = services.get_equipment(current_user, equipment_id)
    form = None
    if can(current_user, "equipment.manage"):
        form = MaintenanceForm()
        today = clock.today(unit.site.timezone)
        form.start_day.data = form.end_day.data = today
    return _render_detail(unit, form)


def _prepare(form: EquipmentForm) -> None:
    form.category.choices = category_choices(services.categories())
    form.site_id.choices = choices((s.id, s.name) for s in list_sites())


def _values(form: EquipmentForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "category": (form.new_category.data or "").strip() or form.category.data or "",
        "site_id": form.site_id.data,
        "location": form.location.data or "",
        "status": form.status.data,
        "loanable": bool(form.loanable.data),
        "requires_induction": bool(form.requires_induction.data),
        "min_age": form.min_age.data,
        "buffer_minutes": form.buffer_minutes.data or 0,
        "max_booking_minutes": form.max_booking_minutes.data,
        "notes": form.notes.data or "",
        "contents": parse_kit_text(form.contents.data or ""),
    }


def _fields(form: EquipmentForm) -> dict[str, str]:
    """A refused category belongs to the new-category field when one was typed."""
    return {"category": "new_category"} if (form.new_category.data or "").strip() else {}


@bp.route("/new", methods=["GET", "POST"])
@permission_required("equipment.manage")
def new() -> Any:
    form = EquipmentForm()
    _prepare(form)
    sent = submit(
        form,
        lambda: services.create_equipment(current_user, **_values(form)),
        fields=_fields(form),
    )
    if sent.done:
        flash(_("Unit added."), "success")
        return redirect(url_for("equipment.detail", equipment_id=sent.value.id))
    return render_template("equipment/form.html", form=form, unit=None), sent.status


@bp.route("/<int:equipment_id>/edit", methods=["GET", "POST"])
@permission_required("equipment.manage")
def edit(equipment_id: int) -> Any:
    unit = services.get_equipment(current_user, equipment_id)
    form = EquipmentForm(obj=unit)
    if request.method == "GET":
        form.contents.data = kit_text(unit.contents or [])
    _prepare(form)
    before = unit.status
    confirmed = request.form.get(CONFIRM_FIELD) == "1"

    def save() -> Impact:
        services.update_equipment(current_user, unit, **_values(form))
        return replan_confirmed(UnitChange.status_set(unit, before), current_user, confirmed)

    sent = submit(form, save, fields=_fields(form))
    if sent.done:
        flash(_("Unit saved."), "success")
        if not sent.value.empty:
            flash(flash_text(sent.value.affected), "warning")
        return redirect(url_for("equipment.detail", equipment_id=unit.id))
    impact = unconfirmed_summary(sent.error)
    page = render_template("equipment/form.html", form=form, unit=unit, impact=impact)
    return page, 200 if impact else sent.status


@bp.route("/<int:equipment_id>/maintenance", methods=["POST"])
@permission_required("equipment.manage")
def add_maintenance(equipment_id: int) -> Any:
    unit = services.get_equipment(current_user, equipment_id)
    form = MaintenanceForm()
    confirmed = request.form.get(CONFIRM_FIELD) == "1"

    def save() -> Impact:
        block = services.add_maintenance(
            current_user,
            unit,
            # Wall-clock times, read in the site's zone by the service.
            dt.datetime.combine(form.start_day.data, form.start_time.data),
            dt.datetime.combine(form.end_day.data, form.end_time.data),
            reason=form.reason.data or "",
        )
        return replan_confirmed(MaintenanceChange.of(block, unit), current_user, confirmed)

    sent = submit(form, save, fields={"starts_at": "start_time", "ends_at": "end_time"})
    if sent.done:
        flash(_("Maintenance block added."), "success")
        if not sent.value.empty:
            flash(flash_text(sent.value.affected), "warning")
        return redirect(url_for("equipment.detail", equipment_id=unit.id))
    impact = unconfirmed_summary(sent.error)
    return _render_detail(unit, form, 200 if impact else sent.status, impact)
