"""Workshop pages: public programme, teacher portal, running a session, planning.

Views turn form input (site-local wall clock) into service calls and commit
once; every rule (seats, waitlist, school isolation, equipment) lives in
``makerlab.workshops.services``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from makerlab import clock, dates, ical
from makerlab.auth.models import User
from makerlab.auth.permissions import STAFF, can, is_teacher
from makerlab.confirmations import Confirmation, render_confirmation
from makerlab.enums import EnrolmentStatus, SessionStatus
from makerlab.equipment.services import categories_in_use
from makerlab.errors import Conflict, Invalid
from makerlab.extensions import db
from makerlab.forms import choices
from makerlab.pages import permission_required, submit
from makerlab.participants.services import visible_participants
from makerlab.schools.services import visible_schools
from makerlab.sites.services import find_site, list_sites
from makerlab.workshops import services
from makerlab.workshops.forms import (
    ActionForm,
    ClassEnrolmentForm,
    ParticipantEnrolmentForm,
    SessionCancelForm,
    SessionForm,
    WorkshopForm,
    need_fields,
    needs_from,
    workshop_form_class,
)
from makerlab.workshops.models import Enrolment, Workshop, WorkshopSession

bp = Blueprint("workshops", __name__)

SESSION_FIELD_MAP = {"starts_at": "start", "ends_at": "end", "equipment_needs": "day"}


def _site_tz(site_id: int | None) -> str:
    site = find_site(site_id) if site_id else None
    return site.timezone if site else str(current_app.config["TIMEZONE"])


# --------------------------------------------------------------------------- programme


@bp.route("/programme")
def programme() -> Any:
    """Public: upcoming sessions with free seats; no names, no login."""
    sessions = services.upcoming_sessions()
    sites = {s.id: s for s in list_sites()}
    return render_template("workshops/programme.html", sessions=sessions, sites=sites)


@bp.route("/workshops")
@permission_required("workshops.view")
def index() -> Any:
    """The portal: teachers see their school's enrolments, staff the sessions to run."""
    upcoming = services.upcoming_sessions()
    data: dict[str, Any] = {"upcoming": upcoming, "action_form": ActionForm()}
    if is_teacher(current_user):
        data["ours"] = _school_enrolments(current_user)
    if can(current_user, "workshops.manage"):
        data["workshops"] = db.session.scalars(services.visible_workshops(current_user)).all()
    return render_template("workshops/index.html", **data)


def _school_enrolments(actor: User) -> list[dict[str, Any]]:
    """The teacher's school's active enrolments in sessions not over yet, with place in line."""
    enrolments = db.session.scalars(
        services.visible_enrolments(actor)
        .join(WorkshopSession, WorkshopSession.id == Enrolment.session_id)
        .options(selectinload(Enrolment.session).selectinload(WorkshopSession.workshop))
        .where(
            WorkshopSession.ends_at > clock.now(),
            Enrolment.status != EnrolmentStatus.CANCELLED.value,
        )
        .order_by(WorkshopSession.starts_at, Enrolment.id)
    ).all()
    views = {v.id: v for v in services.session_views(list({e.session for e in enrolments}))}
    rows = []
    for e in enrolments:
        waitlist = views[e.session_id].waitlist
        rows.append(
            {
                "enrolment": e,
                "session": views[e.session_id],
                "position": waitlist.index(e.id) + 1 if e.id in waitlist else None,
            }
        )
    return rows


# --------------------------------------------------------------------------- workshops


def _categories(extra: dict[str, int] | None = None) -> list[str]:
    """Categories a workshop may need: those of the units, and those it needs already."""
    return sorted(categories_in_use() | set(extra or {}))


def _facilitator_choices() -> list[Any]:
    staff = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .where(User.role.in_([r.value for r in STAFF]), User.active.is_(True))
        .order_by(User.name, User.email)
    ).all()
    return choices([(0, "—")] + [(u.id, u.name or u.email) for u in staff])


@bp.route("/workshops/new", methods=["GET", "POST"])
@permission_required("workshops.manage")
def new_workshop() -> Any:
    form = workshop_form_class(_categories())()
    form.facilitator_id.choices = _facilitator_choices()
    sent = submit(form, lambda: services.create_workshop(current_user, **_workshop_values(form)))
    if sent.done:
        flash(_("Workshop saved. Now plan its sessions."), "success")
        return redirect(url_for("workshops.workshop", workshop_id=sent.value.id))
    page = render_template(
        "workshops/workshop_form.html", form=form, workshop=None, needs=need_fields(form)
    )
    return page, sent.status


def _workshop_values(form: WorkshopForm) -> dict[str, Any]:
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "min_age": form.min_age.data,
        "max_age": form.max_age.data,
        "facilitator_id": form.facilitator_id.data or None,
        "equipment_needs": needs_from(form),
    }


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@permission_required("workshops.manage")
def edit_workshop(workshop_id: int) -> Any:
    workshop = services.get_workshop(current_user, workshop_id)
    form_class = workshop_form_class(_categories(workshop.equipment_needs))
    form = form_class(obj=workshop if request.method == "GET" else None)
    form.facilitator_id.choices = _facilitator_choices()
    if request.method == "GET":
        form.facilitator_id.data = workshop.facilitator_id or 0
        for f in need_fields(form):
            f.data = workshop.equipment_needs.get(f.name[len("need_") :])
    sent = submit(
        form, lambda: services.update_workshop(current_user, workshop, **_workshop_values(form))
    )
    if sent.done:
        flash(_("Workshop saved."), "success")
        return redirect(url_for("workshops.workshop", workshop_id=workshop.id))
    page = render_template(
        "workshops/workshop_form.html", form=form, workshop=workshop, needs=need_fields(form)
    )
    return page, sent.status


@bp.route("/workshops/<int:workshop_id>")
@permission_required("workshops.view")
def workshop(workshop_id: int) -> Any:
    workshop = services.get_workshop(current_user, workshop_id)
    past = request.args.get("past") == "1"
    sessions = services.session_views(
        db.session.scalars(services.sessions_of(workshop, upcoming_only=not past)).all()
    )
    facilitator = db.session.get(User, workshop.facilitator_id) if workshop.facilitator_id else None
    return render_template(
        "workshops/workshop.html",
        workshop=workshop,
        sessions=sessions,
        facilitator=facilitator,
        past=past,
    )


# --------------------------------------------------------------------------- planning sessions


def _site_choices() -> list[Any]:
    return choices((s.id, s.name) for s in list_sites())


def _session_times(form: SessionForm) -> tuple[dt.datetime, dt.datetime]:
    """The form's wall-clock times (the service reads them in the site's zone)."""
    assert form.day.data and form.start.data and form.end.data
    return (
        dt.datetime.combine(form.day.data, form.start.data),
        dt.datetime.combine(form.day.data, form.end.data),
    )


def _equipment_rows(
    workshop: Workshop, form: SessionForm, session: WorkshopSession | None = None
) -> list[dict[str, Any]] | None:
    """Whether the workshop's equipment is free at the form's time (None: time incomplete)."""
    needs = services.clean_equipment_needs(workshop.equipment_needs)
    if not needs or not (form.day.data and form.start.data and form.end.data):
        return None
    tz = _site_tz(form.site_id.data)
    starts_at, ends_at = (clock.combine(t.date(), t.time(), tz) for t in _session_times(form))
    if ends_at <= starts_at:
        return None
    rows = services.equipment_check(needs, form.site_id.data, starts_at, ends_at)
    if session is not None:
        # The session's own reservations are given back when it moves.
        held = services.session_bookings(session)
        for row in rows:
            own = [
                b
                for b in held
                if b.equipment.category == row["category"]
                and b.starts_at < ends_at
                and starts_at < b.blocked_until
            ]
            row["free"] += len(own)
            row["enough"] = row["free"] >= row["needed"]
    return rows


@bp.route("/workshops/<int:workshop_id>/sessions/new", methods=["GET", "POST"])
@permission_required("sessions.manage")
def new_session(workshop_id: int) -> Any:
    workshop = services.get_workshop(current_user, workshop_id)
    form = SessionForm()
    form.site_id.choices = _site_choices()
    if request.method == "GET":
        form.capacity.data = form.capacity.data or 20
        form.start.data = form.start.data or dt.time(9, 0)
        form.end.data = form.end.data or dt.time(12, 0)
    status = _check_only(form)
    if status is None:

        def plan() -> WorkshopSession:
            starts_at, ends_at = _session_times(form)
            return services.create_session(
                current_user,
                workshop,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=form.capacity.data or 0,
                site_id=form.site_id.data,
                location=form.location.data or "",
            )

        sent = submit(form, plan, fields=SESSION_FIELD_MAP)
        if sent.done:
            flash(_("Session planned; the equipment is reserved."), "success")
            return redirect(url_for("workshops.session", session_id=sent.value.id))
        status = sent.status
    page = render_template(
        "workshops/session_form.html",
        form=form,
        workshop=workshop,
        session=None,
        equipment=_equipment_rows(workshop, form),
    )
    return page, status


def _check_only(form: SessionForm) -> int | None:
    """The status of a session form shown without saving (None: it is being saved).

    "Check equipment" posts the form without ``save``: it is shown again with
    its problems and the equipment panel, which is no refusal.
    """
    if request.method != "POST":
        return 200
    if "save" in request.form:
        return None
    form.validate()
    return 200


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@permission_required("sessions.manage")
def edit_session(session_id: int) -> Any:
    session = services.get_session(current_user, session_id)
    if session.status == SessionStatus.CANCELLED.value:
        flash(_("This session has been cancelled."), "warning")
        return redirect(url_for("workshops.session", session_id=session.id))
    form = SessionForm()
    form.site_id.choices = _site_choices()
    if request.method == "GET":
        tz = _site_tz(session.site_id)
        start, end = clock.to_local(session.starts_at, tz), clock.to_local(session.ends_at, tz)
        form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
        form.capacity.data, form.site_id.data = session.capacity, session.site_id
        form.location.data = session.location
    status = _check_only(form)
    if status is None:

        def save() -> WorkshopSession:
            starts_at, ends_at = _session_times(form)
            return services.update_session(
                current_user,
                session,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=form.capacity.data,
                site_id=form.site_id.data,
                location=form.location.data or "",
            )

        sent = submit(form, save, fields=SESSION_FIELD_MAP)
        if sent.done:
            flash(_("Session saved."), "success")
            return redirect(url_for("workshops.session", session_id=session.id))
        status = sent.status
        session = services.get_session(current_user, session_id)  # as before the refusal
    page = render_template(
        "workshops/session_form.html",
        form=form,
        workshop=session.workshop,
        session=session,
        equipment=_equipment_rows(session.workshop, form, session),
    )
    return page, status


@bp.route("/workshops/<int:workshop_id>/equipment-check")
@permission_required("sessions.manage")
def equipment_check(workshop_id: int) -> Any:
    """The "is the equipment free?" panel of the session form (fetched by htmx)."""
    workshop = services.get_workshop(current_user, workshop_id)
    form = SessionForm(request.args, meta={"csrf": False})
    form.site_id.choices = _site_choices()
    form.validate()
    session_id = request.args.get("session_id", type=int)
    session = db.session.get(WorkshopSession, session_id) if session_id else None
    if session is not None and session.workshop_id != workshop.id:
        session = None
    return render_template(
        "workshops/_equipment_check.html",
        workshop=workshop,
        equipment=_equipment_rows(workshop, form, session),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@permission_required("sessions.manage")
def cancel_session(session_id: int) -> Any:
    """Ask first, saying whom it reaches, with a reason for the contacts; then cancel."""
    session = services.get_session(current_user, session_id)
    form = SessionCancelForm()
    sent = submit(
        form, lambda: services.cancel_session(current_user, session, form.reason.data or "")
    )
    if sent.done:
        flash(
            _(
                "Session cancelled; the equipment is free again and every enrolled "
                "contact gets an e-mail."
            ),
            "success",
        )
        return redirect(url_for("workshops.session", session_id=session_id))
    if sent.error is not None:  # cancelled meanwhile: say so on the session page
        sent.flash()
        return redirect(url_for("workshops.session", session_id=session_id))
    ending = services.session_cancellation(session)
    return render_confirmation(_session_question(session, ending, form), sent.status)


def _session_question(
    session: WorkshopSession, ending: services.SessionCancellation, form: SessionCancelForm
) -> Confirmation:
    """What cancelling the session ends, in words (numbers from ``session_cancellation``)."""
    when = dates.span(session.starts_at, session.ends_at)
    if ending.enrolments:
        who = []
        if ending.classes:
            who.append(ngettext("%(num)d class", "%(num)d classes", ending.classes))
        if ending.participants:
            who.append(
                ngettext(
                    "%(num)d single participant",
                    "%(num)d single participants",
                    ending.participants,
                )
            )
        who.append(ngettext("%(num)d seat", "%(num)d seats", ending.seats))
        told = ngettext(
            "%(num)d contact is told by e-mail, with your reason",
            "%(num)d contacts are told by e-mail, with your reason",
            len(ending.contacts),
        )
        main = _("%(who)s will be cancelled; %(told)s.", who=", ".join(who), told=told)
    else:
        main = _("Nobody is enrolled, so nobody needs to be told.")
    consequences = [main]
    if ending.units:
        consequences.append(
            ngettext(
                "%(num)d reserved unit is released: %(units)s.",
                "%(num)d reserved units are released: %(units)s.",
                len(ending.units),
                units=", ".join(ending.units),
            )
        )
    consequences.append(_("The session stays in calendars, marked as cancelled."))
    return Confirmation(
        title=_("Cancel “%(title)s” on %(when)s?", title=session.workshop.title, when=when),
        consequences=consequences,
        button=_("Cancel session"),
        keep=_("Keep the session"),
        form=form,
        back_url=url_for("workshops.session", session_id=session.id),
    )


# --------------------------------------------------------------------------- one session


def _class_form(formdata: Any = None) -> ClassEnrolmentForm:
    form = ClassEnrolmentForm(formdata=formdata)
    schools = db.session.scalars(visible_schools(current_user))  # teachers: their own
    form.school_id.choices = choices((s.id, s.name) for s in schools)
    if is_teacher(current_user) and formdata is None:
        form.school_id.data = current_user.school_id
        form.contact_email.data = current_user.email
    return form


def _participant_form(session: WorkshopSession, formdata: Any = None) -> ParticipantEnrolmentForm:
    form = ParticipantEnrolmentForm(formdata=formdata)
    people = db.session.scalars(visible_participants(current_user))
    form.participant_id.choices = choices((p.id, f"{p.last_name}, {p.first_name}") for p in people)
    return form


def _render_session(
    session: WorkshopSession,
    *,
    class_form: Any = None,
    participant_form: Any = None,
    status: int = 200,
) -> Any:
    view = services.session_view(session)
    enrolments = db.session.scalars(services.enrolments_of(current_user, session)).all()
    staff = can(current_user, "attendance.record")
    data: dict[str, Any] = {
        "s": view,
        "site": find_site(session.site_id),
        "enrolments": enrolments,
        "confirmed": [e for e in enrolments if e.status == EnrolmentStatus.CONFIRMED.value],
        "waiting": sorted(
            (e for e in enrolments if e.status == EnrolmentStatus.WAITLISTED.value),
            key=lambda e: view.waitlist.index(e.id),
        ),
        "cancelled": [e for e in enrolments if e.status == EnrolmentStatus.CANCELLED.value],
        "position": {eid: n for n, eid in enumerate(view.waitlist, start=1)},
        "open": services.enrolment_open(session, current_user),
        "attendance_open": services.attendance_open(session),
        "staff": staff,
        "action_form": ActionForm(),
        "class_form": class_form or _class_form(),
        "participant_form": (participant_form or _participant_form(session)) if staff else None,
        "bookings": services.session_bookings(session) if staff else [],
    }
    return render_template("workshops/session.html", **data), status


@bp.route("/sessions/<int:session_id>")
@permission_required("workshops.view")
def session(session_id: int) -> Any:
    return _render_session(services.get_session(current_user, session_id))


@bp.route("/sessions/<int:session_id>/enrol", methods=["POST"])
@permission_required("enrolments.create")
def enrol_class(session_id: int) -> Any:
    session = services.get_session(current_user, session_id)
    form = _class_form(request.form)
    sent = submit(
        form,
        lambda: services.enrol(
            current_user,
            session,
            school_id=form.school_id.data,
            class_name=form.class_name.data,
            headcount=form.headcount.data,
            contact_email=form.contact_email.data or None,
            accompanying_adults=form.accompanying_adults.data,
        ),
    )
    if sent.done:
        _flash_enrolled(sent.value)
        return redirect(url_for("workshops.session", session_id=session_id))
    session = services.get_session(current_user, session_id)  # as before the refusal
    return _render_session(session, class_form=form, status=sent.status)


def _flash_enrolled(enrolment: Enrolment) -> None:
    if enrolment.status == EnrolmentStatus.CONFIRMED.value:
        flash(_("Enrolled and confirmed."), "success")
    elif enrolment.seats > enrolment.session.capacity:
        flash(
            _(
                "The enrolment is on the waitlist, but with %(seats)d seats it is larger than "
                "the whole session (%(capacity)d seats): please split the group or choose "
                "another session.",
                seats=enrolment.seats,
                capacity=enrolment.session.capacity,
            ),
            "warning",
        )
    else:
        flash(
            _(
                "Not enough free seats: the enrolment is on the waitlist (place %(n)d). "
                "If seats become free, it is confirmed automatically and the contact gets "
                "an e-mail.",
                n=services.waitlist_position(enrolment) or 0,
            ),
            "warning",
        )


@bp.route("/sessions/<int:session_id>/enrol-participant", methods=["POST"])
@permission_required("participants.manage")
def enrol_participant(session_id: int) -> Any:
    session = services.get_session(current_user, session_id)
    form = _participant_form(session, request.form)
    sent = submit(
        form,
        lambda: services.enrol(current_user, session, participant_id=form.participant_id.data),
    )
    if sent.done:
        _flash_enrolled(sent.value)
        return redirect(url_for("workshops.session", session_id=session_id))
    session = services.get_session(current_user, session_id)  # as before the refusal
    return _render_session(session, participant_form=form, status=sent.status)


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
@permission_required("enrolments.create")
def cancel_enrolment(enrolment_id: int) -> Any:
    """Ask first, saying what is freed and who moves up; then cancel the enrolment."""
    enrolment = services.get_enrolment(current_user, enrolment_id)
    session_id = enrolment.session_id
    to_portal = (request.values.get("next") or "") == "portal"
    back = (
        url_for("workshops.index")
        if to_portal
        else url_for("workshops.session", session_id=session_id)
    )
    form = ActionForm()
    if request.method == "POST":
        sent = submit(form, lambda: services.cancel_enrolment(current_user, enrolment))
        if sent.done:
            message = _("Enrolment cancelled.")
            if sent.value and not is_teacher(current_user):
                message += " " + ngettext(
                    "%(num)d enrolment moved up from the waitlist.",
                    "%(num)d enrolments moved up from the waitlist.",
                    len(sent.value),
                )
            flash(message, "success")
        else:
            sent.flash()
        return redirect(back)
    ending = services.enrolment_cancellation(enrolment)
    return render_confirmation(_enrolment_question(ending, form, back))


def _freed_seats_lines(ending: services.EnrolmentCancellation) -> list[str]:
    """Who moves up into the freed seats (teachers hear only how many), or what becomes free."""
    if ending.promoted and is_teacher(current_user):
        return [
            ngettext(
                "%(num)d waiting enrolment moves up into the seats and is told.",
                "%(num)d waiting enrolments move up into the seats and are told.",
                len(ending.promoted),
            )
        ]
    if ending.promoted:
        return [
            ngettext(
                "%(num)d waiting enrolment moves up into the seats and is told: %(names)s.",
                "%(num)d waiting enrolments move up into the seats and are told: %(names)s.",
                len(ending.promoted),
                names=", ".join(_enrolment_label(e) for e in ending.promoted),
            )
        ]
    if ending.seats_freed:
        return [
            ngettext(
                "%(num)d seat becomes free for others.",
                "%(num)d seats become free for others.",
                ending.seats_freed,
            )
        ]
    return []


def _enrolment_question(
    ending: services.EnrolmentCancellation, form: ActionForm, back: str
) -> Confirmation:
    """What cancelling an enrolment frees and who moves up (numbers from the service).

    Teachers see how many classes move up, not which: other schools' classes
    are not theirs to know.
    """
    enrolment, session = ending.enrolment, ending.enrolment.session
    who = _enrolment_label(enrolment)
    when = dates.span(session.starts_at, session.ends_at)
    waiting = enrolment.status == EnrolmentStatus.WAITLISTED.value
    seats = ngettext("%(num)d seat", "%(num)d seats", enrolment.seats)
    if waiting:
        consequences = [
            _(
                "%(who)s (%(seats)s) leaves the waitlist of “%(title)s” on %(when)s.",
                who=who,
                seats=seats,
                title=session.workshop.title,
                when=when,
            )
        ]
    else:
        consequences = [
            _(
                "The enrolment of %(who)s (%(seats)s) in “%(title)s” on %(when)s "
                "will be cancelled.",
                who=who,
                seats=seats,
                title=session.workshop.title,
                when=when,
            )
        ]
    consequences.extend(_freed_seats_lines(ending))
    return Confirmation(
        title=_("Take %(who)s off the waitlist?", who=who)
        if waiting
        else _("Cancel the enrolment of %(who)s?", who=who),
        consequences=consequences,
        button=_("Remove from the waitlist") if waiting else _("Cancel enrolment"),
        keep=_("Keep the enrolment"),
        form=form,
        back_url=back,
    )


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@permission_required("attendance.record")
def record_attendance(session_id: int) -> Any:
    """Save the attendance column of the roster (all rows or none)."""
    session = services.get_session(current_user, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.check_attendance_open(session)
    except Conflict as error:
        flash(error.detail, "danger")
        return _render_session(session, status=409)
    enrolments = db.session.scalars(
        services.enrolments_of(current_user, session).where(
            Enrolment.status == EnrolmentStatus.CONFIRMED.value
        )
    ).all()
    rows: list[tuple[Enrolment, int]] = []
    problems: list[str] = []
    for enrolment in enrolments:
        raw = (request.form.get(f"attended-{enrolment.id}") or "").strip()
        if raw.isdigit():
            rows.append((enrolment, int(raw)))
        elif raw:
            label = _enrolment_label(enrolment)
            problems.append(_("%(who)s: please enter a whole number.", who=label))
    if not problems:
        sent = submit(None, lambda: services.record_roster(current_user, rows))
        if sent.done:
            flash(
                ngettext(
                    "Attendance saved for %(num)d enrolment.",
                    "Attendance saved for %(num)d enrolments.",
                    sent.value,
                ),
                "success",
            )
            return redirect(url_for("workshops.session", session_id=session_id) + "#roster")
        labels = {str(e.id): _enrolment_label(e) for e in enrolments}
        refused = sent.error.errors if isinstance(sent.error, Invalid) else {}
        problems = [f"{labels[row]}: {m}" for row, messages in refused.items() for m in messages]
    for problem in problems:
        flash(problem, "danger")
    flash(_("Nothing was saved; please correct the marked rows."), "danger")
    return redirect(url_for("workshops.session", session_id=session_id) + "#roster")


def _enrolment_label(enrolment: Enrolment) -> str:
    if enrolment.participant is not None:
        return enrolment.participant.display_name
    return _("class %(name)s", name=enrolment.class_name)


@bp.route("/sessions/<int:session_id>/sign-in")
@permission_required("attendance.record")
def sign_in_sheet(session_id: int) -> Any:
    """A printable A4 sheet: confirmed classes and participants with empty signature lines."""
    session = services.get_session(current_user, session_id)
    enrolments = db.session.scalars(
        services.enrolments_of(current_user, session).where(
            Enrolment.status == EnrolmentStatus.CONFIRMED.value
        )
    ).all()
    classes = [e for e in enrolments if e.participant_id is None]
    people = sorted(
        (e for e in enrolments if e.participant_id is not None),
        key=lambda e: (
            ((e.participant.last_name or ""), (e.participant.first_name or ""))
            if e.participant
            else ("", "")
        ),
    )
    return render_template(
        "workshops/sign_in.html",
        s=services.session_view(session),
        site=find_site(session.site_id),
        classes=classes,
        people=people,
    )


@bp.route("/sessions/<int:session_id>.ics")
@permission_required("workshops.view")
def session_ics(session_id: int) -> Response:
    """The session as an iCalendar file (for teachers' and staff calendars)."""
    session = services.get_session(current_user, session_id)
    mine = (
        db.session.scalars(
            services.enrolments_of(current_user, session).where(
                Enrolment.status != EnrolmentStatus.CANCELLED.value
            )
        ).all()
        if is_teacher(current_user)
        else []
    )
    event = ical.session_event(
        session,
        find_site(session.site_id),
        stamp=clock.now(),
        notes=[f"{_enrolment_label(e)}: {_status_text(e.status)}" for e in mine],
        url=url_for("workshops.session", session_id=session.id, _external=True),
    )
    return Response(
        ical.document([event]),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="workshop-{session.id}.ics"'},
    )


def _status_text(status: str) -> str:
    return {
        EnrolmentStatus.CONFIRMED.value: _("confirmed"),
        EnrolmentStatus.WAITLISTED.value: _("waitlisted"),
        EnrolmentStatus.CANCELLED.value: _("cancelled"),
    }.get(status, status)
