"""Booking pages: week calendar, booking form, free units, my bookings, loans.

Views turn form input (site-local wall-clock time) into instants, call the
booking services and commit once; the rules live in the services.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from makerlab import clock, dates
from makerlab.attention.services import cancel_and_tell, move_and_tell
from makerlab.auth.models import User
from makerlab.bookings import availability, services
from makerlab.bookings import calendar as week_calendar
from makerlab.bookings import loans as lending
from makerlab.bookings.forms import (
    SCOPE_CHOICES,
    ActionForm,
    BookingForm,
    CancelForm,
    EditBookingForm,
    FindFreeForm,
    MoveForm,
    QuickBookForm,
    ReturnForm,
)
from makerlab.bookings.models import Booking, current_at
from makerlab.bookings.recurrence import Interval
from makerlab.categories import label as category_label
from makerlab.confirmations import Confirmation, render_confirmation
from makerlab.enums import EquipmentStatus
from makerlab.equipment import services as equipment_services
from makerlab.equipment.forms import category_choices
from makerlab.equipment.models import Equipment
from makerlab.equipment.services import MAX_KIT_LINES
from makerlab.errors import Conflict, Invalid, invalid
from makerlab.extensions import db
from makerlab.labels import kit_lines
from makerlab.pages import Submission, apply_errors, permission_required, safe_next, submit
from makerlab.participants.services import visible_participants
from makerlab.planning.impact import UnitChange, replan
from makerlab.planning.summary import flash_text
from makerlab.sites.services import default_site, list_sites

bp = Blueprint("bookings", __name__)
bp.add_app_template_global(week_calendar.iso_week, "iso_week")

PAST_LIMIT = 50
# Service field names -> booking form fields, so refusals appear next to the field.
FIELD_MAP = {
    "starts_at": "start",
    "ends_at": "end",
    "recurrence": "repeat",
    "recurrence.count": "count",
    "recurrence.until": "count",
    "recurrence.frequency": "repeat",
    "recurrence.interval": "interval",
    "recurrence.weekdays": "weekdays",
}


def _site_tz(units: list[Equipment]) -> str:
    sites = {u.site_id for u in units}
    if len(sites) == 1:
        return units[0].site.timezone
    return str(current_app.config["TIMEZONE"])


# --- week calendar -------------------------------------------------------


@bp.route("/calendar")
@permission_required("bookings.view")
def calendar() -> Any:
    unit_id = request.args.get("unit", type=int)
    category = request.args.get("category") or None
    units = list(
        db.session.scalars(week_calendar.units_stmt(category=category, unit_id=unit_id)).unique()
    )
    if unit_id is not None and not units:
        abort(404)
    tz = _site_tz(units)
    monday = week_calendar.parse_week(request.args.get("week"), tz)
    grid = week_calendar.build_week(units, monday, tz)
    selector = {"unit": unit_id} if unit_id is not None else {"category": category or ""}
    return render_template(
        "bookings/calendar.html",
        grid=grid,
        unit=units[0] if unit_id is not None else None,
        category=category or "",
        categories=equipment_services.categories(),
        selector={k: v for k, v in selector.items() if v},
        day_labels=[dates.day(d, 'day_short') for d in grid.days],
        # Prefix for block links ("/bookings/"), built once instead of per block.
        detail_url=url_for("bookings.detail", booking_id=0)[:-1],
        new_url=url_for("bookings.new"),
    )


# --- booking form ----------------------------------------------------------


def _bookable_units() -> list[Equipment]:
    stmt = equipment_services.list_equipment_stmt(status=EquipmentStatus.AVAILABLE.value)
    return list(db.session.scalars(stmt.options(sa.orm.joinedload(Equipment.site))))


def _unit_choices(units: list[Equipment]) -> dict[str, list[tuple[int, str]]]:
    grouped: dict[str, list[tuple[int, str]]] = {}
    for unit in units:
        grouped.setdefault(str(category_label(unit.category)), []).append((unit.id, unit.name))
    return grouped


def _participant_choices() -> list[tuple[int, str]]:
    people = db.session.scalars(visible_participants(current_user))
    return [(p.id, f"{p.last_name}, {p.first_name}") for p in people]


def _free_slots(unit: Equipment | None, day: dt.date | None) -> list[Interval] | None:
    if unit is None or day is None:
        return None
    tz = unit.site.timezone
    start, end = clock.local_midnight(day, tz), clock.local_day_end(day, tz)
    return availability.free_intervals(unit, start, end)


def _conflict_rows(error: Invalid | Conflict | None) -> list[dict[str, Any]]:
    """The bookings in the way, with their units and times."""
    if isinstance(error, Conflict):
        in_the_way = error.conflicts
    elif isinstance(error, Invalid):  # refused for other reasons too, and taken as well
        in_the_way = error.extra.get("conflicts", [])
    else:
        return []
    # Closures and maintenance are told in words (their reasons); the list names bookings.
    timed = [c for c in in_the_way if c.get("booking_id") is not None]
    ids = [c["booking_id"] for c in timed if c["booking_id"] is not None]
    names = dict(
        db.session.execute(
            sa.select(Booking.id, Equipment.name)
            .join(Equipment, Equipment.id == Booking.equipment_id)
            .where(Booking.id.in_(ids))
        ).all()
    )
    return [
        {
            "booking_id": c["booking_id"],
            "unit": names.get(c["booking_id"], ""),
            "starts_at": dt.datetime.fromisoformat(c["starts_at"]),
            "ends_at": dt.datetime.fromisoformat(c["ends_at"]),
        }
        for c in timed
    ]


def _booked_message(outcome: Any) -> str:
    booked = len(outcome.bookings)
    text = ngettext("%(num)d booking made.", "%(num)d bookings made.", booked)
    if outcome.skipped:
        times = ", ".join(
            dates.moment(dt.datetime.fromisoformat(item["starts_at"])) for item in outcome.skipped
        )
        text += " " + _("Skipped because taken: %(times)s.", times=times)
    return text


@bp.route("/bookings/new", methods=["GET", "POST"])
@permission_required("bookings.create")
def new() -> Any:
    units = _bookable_units()
    by_id = {u.id: u for u in units}
    form = BookingForm()
    form.equipment_id.choices = _unit_choices(units)  # type: ignore[assignment]
    form.participant_ids.choices = _participant_choices()  # type: ignore[assignment]
    if request.method == "GET":
        form.equipment_id.data = request.args.get("equipment_id", type=int)
        day = request.args.get("day")
        try:
            form.day.data = dt.date.fromisoformat(day) if day else None
        except ValueError:
            form.day.data = None
        for name in ("start", "end"):
            value = request.args.get(name)
            with contextlib.suppress(ValueError):
                getattr(form, name).data = dt.time.fromisoformat(value) if value else None
        if form.day.data is None and form.equipment_id.data in by_id:
            form.day.data = clock.today(by_id[form.equipment_id.data].site.timezone)
    sent = submit(form, lambda: _book(form, by_id), fields=FIELD_MAP)
    if sent.done:
        flash(_booked_message(sent.value), "success")
        return redirect(url_for("bookings.detail", booking_id=sent.value.bookings[0].id))
    unit = by_id.get(form.equipment_id.data) if form.equipment_id.data else None
    page = render_template(
        "bookings/form.html",
        form=form,
        unit=unit,
        slots=_free_slots(unit, form.day.data),
        conflicts=_conflict_rows(sent.error),
        day=form.day.data,
    )
    return page, sent.status


def _book(form: BookingForm, units: dict[int, Equipment]) -> services.BookingOutcome:
    """The booking form's request, in the unit's site time."""
    unit = units.get(form.equipment_id.data)
    if unit is None:
        raise invalid("equipment_id", _("This unit cannot be booked right now."))
    recurrence = form.recurrence()
    return services.create_booking(
        current_user,
        equipment_id=unit.id,
        # Wall-clock times: the service reads them in the site's zone (and refuses
        # one that daylight saving skips, naming the missing hour).
        starts_at=dt.datetime.combine(form.day.data, form.start.data),
        ends_at=dt.datetime.combine(form.end_day.data or form.day.data, form.end.data),
        purpose=form.purpose.data or "",
        participant_ids=list(form.participant_ids.data or []),
        recurrence=recurrence,
        skip_conflicts=bool(form.skip_conflicts.data),
    )


@bp.route("/bookings/free-slots")
@permission_required("bookings.create")
def free_slots() -> Any:
    """The free times of one unit on one day (a fragment for the booking form)."""
    unit_id = request.args.get("equipment_id", type=int)
    unit = db.session.get(Equipment, unit_id) if unit_id else None
    try:
        day = dt.date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = None
    return render_template(
        "bookings/_free_slots.html", unit=unit, day=day, slots=_free_slots(unit, day)
    )


# --- find a free unit ----------------------------------------------------------


@bp.route("/bookings/free")
@permission_required("bookings.create")
def find_free() -> Any:
    sites = list_sites() or [default_site()]  # NotFound when there is no site
    form = FindFreeForm(formdata=request.args if request.args else None, site_id=sites[0].id)
    form.category.choices = category_choices(equipment_services.categories(), blank=_("Choose…"))
    form.site_id.choices = [(s.id, s.name) for s in sites]
    site = next((s for s in sites if s.id == form.site_id.data), sites[0])
    if not request.args:
        form.day.data = clock.today(site.timezone)
        form.start.data = dt.time(14, 0)
        form.end.data = dt.time(16, 0)
    free: list[Equipment] | None = None
    start = end = None
    if request.args and form.validate():
        tz = site.timezone
        try:
            start = clock.wall_time(form.day.data, form.start.data, tz, "starts_at")
            end = clock.wall_time(form.end_day.data or form.day.data, form.end.data, tz, "ends_at")
            free = list(availability.free_units(form.category.data, site.id, start, end))
        except Invalid as error:  # a search, not a write: shown on the search form
            apply_errors(form, error, FIELD_MAP)
    quick = QuickBookForm()
    return render_template(
        "bookings/find_free.html",
        form=form,
        free=free,
        start=start,
        end=end,
        quick=quick,
        query=urlencode(request.args),
    )


def _place(form: QuickBookForm | MoveForm) -> tuple[int, dt.datetime, dt.datetime]:
    """The unit and times a one-click button posts (400 if tampered with)."""
    try:
        return (
            int(form.equipment_id.data or 0),
            dt.datetime.fromisoformat(form.starts_at.data or ""),
            dt.datetime.fromisoformat(form.ends_at.data or ""),
        )
    except ValueError:
        abort(400)


def _flash_refusal(sent: Submission[Any]) -> None:
    """A one-click booking or move refused: the reasons and the times in the way."""
    taken = [
        _("Taken %(when)s.", when=dates.span(r["starts_at"], r["ends_at"]))
        for r in _conflict_rows(sent.error)
    ]
    flash(" ".join([*sent.messages, *taken]), "danger")


@bp.route("/bookings/quick", methods=["POST"])
@permission_required("bookings.create")
def quick_book() -> Any:
    """Book a unit from the "find a free unit" list with one click."""
    form = QuickBookForm()
    back = safe_next(request.form.get("next"))
    if not form.validate_on_submit():
        flash(_("The booking could not be made. Please try again."), "danger")
        return redirect(back)
    equipment_id, starts_at, ends_at = _place(form)
    sent = submit(
        None,
        lambda: services.create_booking(
            current_user,
            equipment_id=equipment_id,
            starts_at=starts_at,
            ends_at=ends_at,
            purpose=form.purpose.data or "",
        ),
    )
    if not sent.done:
        _flash_refusal(sent)
        return redirect(back)
    flash(_booked_message(sent.value), "success")
    return redirect(url_for("bookings.detail", booking_id=sent.value.bookings[0].id))


@bp.route("/bookings/<int:booking_id>/move", methods=["POST"])
@permission_required("bookings.create")
def move(booking_id: int) -> Any:
    """Move a booking to a suggested unit and time with one click (every rule checked)."""
    booking = services.get_booking(current_user, booking_id)
    form = MoveForm()
    back = safe_next(form.next.data or url_for("bookings.detail", booking_id=booking_id))
    if not form.validate_on_submit():
        flash(_("The booking could not be moved. Please try again."), "danger")
        return redirect(back)
    equipment_id, starts_at, ends_at = _place(form)
    sent = submit(
        None,
        lambda: move_and_tell(
            current_user, booking, equipment_id=equipment_id, starts_at=starts_at, ends_at=ends_at
        ),
    )
    if not sent.done:
        _flash_refusal(sent)
        return redirect(back)
    flash(
        _(
            "Moved: %(unit)s, %(when)s.",
            unit=booking.equipment.name,
            when=dates.span(booking.starts_at, booking.ends_at),
        ),
        "success",
    )
    return redirect(back)


# --- my bookings, detail, cancel ------------------------------------------------


@bp.route("/bookings/mine")
@permission_required("bookings.view")
def mine() -> Any:
    now = clock.now()
    mine_stmt = services.list_bookings_stmt(booked_by_id=current_user.id)
    upcoming = db.session.scalars(mine_stmt.where(current_at(now))).all()
    past = db.session.scalars(
        mine_stmt.where(~current_at(now))
        .order_by(None)
        .order_by(Booking.starts_at.desc(), Booking.id.desc())
        .limit(PAST_LIMIT)
    ).all()
    return render_template(
        "bookings/mine.html", upcoming=upcoming, past=past
    )


@bp.route("/bookings/<int:booking_id>")
@permission_required("bookings.view")
def detail(booking_id: int) -> Any:
    booking = services.get_booking(current_user, booking_id)
    series = services.series_bookings(booking.series_id) if booking.series_id is not None else []
    booked_by = db.session.get(User, booking.booked_by_id) if booking.booked_by_id else None
    return render_template(
        "bookings/detail.html",
        booking=booking,
        series=series,
        booked_by=booked_by,
        action_form=ActionForm(),
        return_form=ReturnForm(),
    )


@bp.route("/bookings/<int:booking_id>/edit", methods=["GET", "POST"])
@permission_required("bookings.create")
def edit(booking_id: int) -> Any:
    """Move a booking (or its series) or change purpose and participants."""
    booking = services.get_booking(current_user, booking_id)
    unit = booking.equipment
    tz = unit.site.timezone
    form = EditBookingForm()
    form.participant_ids.choices = _participant_choices()  # type: ignore[assignment]
    local_start = clock.to_local(booking.starts_at, tz)
    local_end = clock.to_local(booking.ends_at, tz)
    if request.method == "GET":
        form.day.data, form.start.data = local_start.date(), local_start.time()
        form.end.data = local_end.time()
        if local_end.date() != local_start.date():
            form.end_day.data = local_end.date()
        form.purpose.data = booking.purpose
        form.participant_ids.data = [p.id for p in booking.participants]
    sent = submit(form, lambda: _change(form, booking), fields=FIELD_MAP)
    if sent.done:
        if sent.value:
            flash(_("Booking changed."), "success")
        return redirect(url_for("bookings.detail", booking_id=booking_id))
    conflicts = _conflict_rows(sent.error)
    page = render_template("bookings/edit.html", form=form, booking=booking, conflicts=conflicts)
    return page, sent.status


def _change(form: EditBookingForm, booking: Booking) -> list[Booking]:
    """What the edit form changes, applied to the booking (or its series); [] if nothing."""
    tz = booking.equipment.site.timezone
    changes: dict[str, Any] = {}
    starts_at = clock.wall_time(form.day.data, form.start.data, tz, "starts_at")
    ends_at = clock.wall_time(form.end_day.data or form.day.data, form.end.data, tz, "ends_at")
    if starts_at != booking.starts_at:
        changes["starts_at"] = starts_at
    if ends_at != booking.ends_at:
        changes["ends_at"] = ends_at
    if (form.purpose.data or "") != booking.purpose:
        changes["purpose"] = form.purpose.data or ""
    chosen = sorted(form.participant_ids.data or [])
    if chosen != sorted(p.id for p in booking.participants):
        changes["participant_ids"] = chosen
    if not changes:
        return []
    scope = form.scope.data if booking.series_id is not None else "this"
    return services.update_booking(current_user, booking, scope=scope, **changes)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@permission_required("bookings.view")
def cancel(booking_id: int) -> Any:
    """Ask first (GET says what would go), then cancel one date, the rest or the series."""
    booking = services.get_booking(current_user, booking_id)
    form = CancelForm(scope=request.args.get("scope", "this"), next=request.args.get("next", ""))
    if booking.booked_by_id in (None, current_user.id):
        del form.reason  # nobody else to tell
    back = safe_next(form.next.data or url_for("bookings.detail", booking_id=booking_id))
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Please choose what to cancel."), "danger")
            return redirect(back)
        reason = (form.reason.data or "") if "reason" in form else ""
        sent = submit(
            None,
            lambda: cancel_and_tell(current_user, booking, scope=form.scope.data, reason=reason),
        )
        if sent.done:
            cancelled = len(sent.value)
            flash(
                ngettext("%(num)d booking cancelled.", "%(num)d bookings cancelled.", cancelled),
                "success",
            )
        else:
            sent.flash()
        return redirect(back)
    scope = form.scope.data or "this"
    targets = services.bookings_to_cancel(booking, scope)
    return render_confirmation(_cancel_question(booking, targets, scope, form, back))


CANCEL_TITLES = {
    "this": _l("Cancel this booking?"),
    "following": _l("Cancel this and the following bookings?"),
    "series": _l("Cancel the whole series?"),
}


def _cancel_question(
    booking: Booking, targets: list[Booking], scope: str, form: CancelForm, back: str
) -> Confirmation:
    """What cancelling ``targets`` means, in words (the numbers from ``bookings_to_cancel``)."""
    unit, count = booking.equipment.name, len(targets)
    if count == 1:
        what = _(
            "The booking of %(unit)s on %(when)s will be cancelled.",
            unit=unit,
            when=dates.span(targets[0].starts_at, targets[0].ends_at),
        )
    else:
        what = _(
            "%(num)d bookings of %(unit)s will be cancelled, from %(first)s to %(last)s.",
            num=count,
            unit=unit,
            first=dates.moment(targets[0].starts_at),
            last=dates.moment(targets[-1].starts_at),
        )
    consequences = [what, _("The unit is free for others again at these times.")]
    if booking.session_id is not None:
        consequences.append(_("It holds equipment for a workshop session; the session stays."))
    if booking.booked_by_id not in (None, current_user.id):
        booker = db.session.get(User, booking.booked_by_id)
        if booker is not None:
            consequences.append(
                _(
                    "%(name)s made this booking and is told by e-mail if you give a reason.",
                    name=booker.name or booker.email,
                )
            )
    others = [
        (url_for("bookings.cancel", booking_id=booking.id, scope=other, next=back), str(label))
        for other, label in SCOPE_CHOICES
        if booking.series_id is not None and other != scope
    ]
    return Confirmation(
        title=str(CANCEL_TITLES[scope]),
        consequences=consequences,
        button=ngettext("Cancel booking", "Cancel %(num)d bookings", count),
        keep=ngettext("Keep the booking", "Keep the bookings", count),
        form=form,
        back_url=back,
        alternatives=others,
    )


# --- loans -----------------------------------------------------------------------


@bp.route("/bookings/loans")
@permission_required("loans.manage")
def loans() -> Any:
    desk = lending.loan_desk()
    return render_template(
        "bookings/loans.html",
        desk=desk,
        pickup=desk.pickup,
        now=clock.now(),
        action_form=ActionForm(),
        return_form=ReturnForm(),
    )


@bp.route("/bookings/<int:booking_id>/checkout", methods=["POST"])
@permission_required("loans.manage")
def checkout(booking_id: int) -> Any:
    booking = services.get_booking(current_user, booking_id)
    back = safe_next(request.form.get("next") or url_for("bookings.detail", booking_id=booking_id))
    if not ActionForm().validate_on_submit():
        abort(400)
    sent = submit(None, lambda: lending.check_out(current_user, booking))
    if sent.done:
        flash(_("%(unit)s handed out.", unit=booking.equipment.name), "success")
    else:
        sent.flash()
    return redirect(back)


@bp.route("/bookings/<int:booking_id>/return", methods=["POST"])
@permission_required("loans.manage")
def return_booking(booking_id: int) -> Any:
    booking = services.get_booking(current_user, booking_id)
    back = safe_next(request.form.get("next") or url_for("bookings.detail", booking_id=booking_id))
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Please choose the condition."), "danger")
        return redirect(back)
    def take_back() -> dict[str, list[int]]:
        lending.return_booking(
            current_user,
            booking,
            condition=form.condition.data,
            note=form.note.data or "",
            missing=_missing_from_checklist(request.form),
        )
        if booking.return_condition != "damaged":  # missing parts count as damaged too
            return {"bookings": [], "sessions": []}
        change = UnitChange.damaged(booking, form.note.data or "")
        return replan(change, current_user).affected

    sent = submit(None, take_back)
    if not sent.done:
        sent.flash()
    elif booking.return_condition == "damaged":
        if booking.return_missing:
            flash(
                _(
                    "%(unit)s is back without %(missing)s: it is now in maintenance; "
                    "the coordinators are told.",
                    unit=booking.equipment.name,
                    missing=kit_lines(booking.return_missing),
                ),
                "warning",
            )
        else:
            flash(
                _(
                    "%(unit)s is back and now in maintenance; the coordinators are told.",
                    unit=booking.equipment.name,
                ),
                "warning",
            )
        if sent.value["bookings"] or sent.value["sessions"]:
            flash(flash_text(sent.value), "warning")
    else:
        flash(_("%(unit)s is back.", unit=booking.equipment.name), "success")
    return redirect(back)


def _missing_from_checklist(posted: Any) -> list[dict[str, Any]]:
    """The kit's parts left unticked on the return form's checklist (see _return_form.html).

    Line ``i`` posts its item (``line-i``), a tick when complete (``present-i``)
    and, for several pieces, how many are missing (``missing-i``, all by default).
    """
    missing = []
    for i in range(MAX_KIT_LINES):
        item = posted.get(f"line-{i}")
        if item is None:
            break
        if posted.get(f"present-{i}"):
            continue
        count = (posted.get(f"missing-{i}") or posted.get(f"count-{i}") or "").strip()
        if count == "0":  # unticked, but none missing after all
            continue
        missing.append({"item": item, "count": int(count) if count.isdigit() else 0})
    return missing
